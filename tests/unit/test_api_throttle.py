"""The sandbox's HTTP API throttles each route by its own limit, as the edge stack sets it (infra/api_routes.py)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from infra.api_routes import DELIVERIES, LINK_CLICKS
from sandbox.apigw import HttpApi


class Seconds:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def served(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": event["routeKey"]}


def request(method: str, path: str) -> Request:
    return Request(EnvironBuilder(method=method, path=path).get_environ())


def test_a_flood_of_one_route_is_refused_as_api_gateway_refuses_it_and_no_other_route_is() -> None:
    seconds = Seconds()
    api = HttpApi({"webhook": served, "redemption": served}, seconds=seconds)
    answers = [api(request("POST", "/webhook")).status_code for _ in range(DELIVERIES.burst + 50)]
    assert answers == [200] * DELIVERIES.burst + [429] * 50
    refused = api(request("POST", "/webhook"))
    assert refused.status_code == 429 and json.loads(refused.get_data()) == {"message": "Too Many Requests"}
    links = [api(request("GET", "/l/demo/T")).status_code for _ in range(LINK_CLICKS.burst)]
    assert links == [200] * LINK_CLICKS.burst  # its own bucket, untouched by the flood
    assert api(request("GET", "/webhook")).status_code == 200


def test_a_route_refills_at_its_rate() -> None:
    seconds = Seconds()
    api = HttpApi({"webhook": served, "redemption": served}, seconds=seconds)
    while api(request("POST", "/webhook")).status_code == 200:
        pass
    seconds.now += 0.5
    admitted = sum(api(request("POST", "/webhook")).status_code == 200 for _ in range(DELIVERIES.rate))
    assert admitted == DELIVERIES.rate // 2
    seconds.now += 3600  # a quiet hour fills the bucket to its burst, no more
    admitted = sum(api(request("POST", "/webhook")).status_code == 200 for _ in range(DELIVERIES.burst * 2))
    assert admitted == DELIVERIES.burst
