"""The edge's webhook handler's cost per event, printed as a ratio to the floor of the same work in the same run.

The handler: API Gateway event → verify → parse → classify → look the venue up → store in its table (in memory) →
response, with its log lines and metrics. The floor: `hmac` + `json.loads` on the same bytes. Beside them, the floor
of the per-POST machinery every HTTP handler must have (Powertools, the customer's, with issue 14's Tracer): the
resolver's route answering 200 under the handler's decorators, on the same POSTs. Each POST carries EVENTS_PER_POST
events, each with mids of its own (every event is really stored: no dedupe shortcut). Times are the process's CPU
time (`time.process_time`): the machine is shared, and waiting for a core is not the handler's cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities import typing as powertools_typing

from functions.webhook import handler
from sandbox import meta_payloads as p
from sandbox.apigw import LambdaContext, http_api_event
from sandbox.function_output import set_log_stream
from tagback.adapters.meta.webhook import sign
from tagback.config.environment import EdgeSettings
from tagback.config.loading import load_client_config
from tagback.domain.clock import ManualClock
from tagback.domain.registrations import Registration
from tagback.observability import logger, metrics, tracer
from tests.fakes import InMemoryEdge, Secrets

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
SECRET_PARAM = "/tagback/edge/meta-app-secret"
EVENTS_PER_POST = 20
POSTS = 200
REPEATS = 5


def least_seconds(run: Callable[[], None], before: Callable[[], None] = lambda: None) -> float:
    """The least CPU time of REPEATS runs (`before` each, untimed)."""
    times = []
    for _ in range(REPEATS):
        before()
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times)


def machinery_floor() -> Callable[..., dict[str, Any]]:
    """The webhook's handler without our work: its resolver's POST /webhook route answering 200, under the handler's
    decorators with the same Logger, Metrics and Tracer (tagback.observability)."""
    app = APIGatewayHttpResolver()

    @app.post("/webhook")
    def receive() -> Response:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body={})

    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def lambda_handler(event: dict[str, Any], context: powertools_typing.LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler


def handler_vs_floor() -> float:
    config = load_client_config(ROOT / "clients" / "demo.yaml")
    us = config.instagram_account_id
    bodies = [
        p.meta_json(
            p.envelope(
                us,
                [
                    p.story_mention(f"g{i}", us, f"m{post}.{i}")
                    if i % 2
                    else p.text(f"g{i}", us, f"m{post}.{i}", "olá")
                    for i in range(EVENTS_PER_POST)
                ],
            )
        )
        for post in range(POSTS)
    ]
    events = [
        http_api_event("POST", "/webhook", body=body, headers={"X-Hub-Signature-256": sign(body, SECRET)})
        for body in bodies
    ]
    context = LambdaContext("bench")
    settings = EdgeSettings.from_environ(
        {
            "REGISTRY_TABLE": "tagback-edge-bench",
            "META_APP_SECRET_PARAM": SECRET_PARAM,
            "META_VERIFY_TOKEN_PARAM": "/tagback/edge/meta-verify-token",
        }
    )
    venue = Registration(
        client_id=config.client_id,
        account_id=us,
        venue_name=config.venue_name,
        table="tagback-demo",
        region="eu-west-1",
        timezone=config.timezone,
        retention_days=config.retention_days,
        link_prefix="https://edge.example/l/demo",
    )
    secrets = Secrets({SECRET_PARAM: SECRET})
    clock = ManualClock(datetime(2026, 11, 20, tzinfo=UTC))

    def empty_stores() -> None:
        handler.edge.override(InMemoryEdge(venue).edge(settings, secrets, clock))

    def through_handler() -> None:
        for event in events:
            answer: dict[str, Any] = handler.lambda_handler(event, context)
            assert json.loads(answer["body"])["stored"] == EVENTS_PER_POST, answer

    floor_handler = machinery_floor()

    def through_floor_handler() -> None:
        for event in events:
            assert floor_handler(event, context)["statusCode"] == 200

    def floor() -> None:
        for body in bodies:
            hmac.compare_digest(hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(), "0" * 64)
            json.loads(body)

    # The handler's log lines and EMF metrics are part of its cost (Lambda ships stdout to CloudWatch).
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        console = set_log_stream(sink)
        ours = least_seconds(through_handler, empty_stores) / (POSTS * EVENTS_PER_POST)
        with warnings.catch_warnings():  # the floor counts nothing (counting is ours), which Powertools warns of
            warnings.filterwarnings("ignore", "No application metrics")
            machinery = least_seconds(through_floor_handler) / (POSTS * EVENTS_PER_POST)
        set_log_stream(console)
    base = least_seconds(floor) / (POSTS * EVENTS_PER_POST)
    print(
        f"webhook handler per event ({EVENTS_PER_POST} a POST): {ours * 1e6:6.1f} µs   "
        f"hmac+json.loads per event: {base * 1e6:5.2f} µs   ratio {ours / base:5.1f}x   (goal <= 3x)"
    )
    print(
        f"floor: Powertools' resolver, route and decorators alone per event: {machinery * 1e6:6.1f} µs = "
        f"{machinery / base:5.1f}x hmac+json.loads; the handler above it (ours): {(ours - machinery) / base:5.1f}x"
    )
    return ours / base


if __name__ == "__main__":
    handler_vs_floor()
