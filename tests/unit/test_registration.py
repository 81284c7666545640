"""Venue stacks register with the edge through a CloudFormation custom resource: the registry function answers every
request (Create, Update, Delete), success or failure, by a PUT to the request's ResponseURL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from functions.registry import handler
from sandbox.apigw import LambdaContext
from tagback.app.registration import answer_registration, handle_custom_resource
from tagback.domain.clock import ManualClock
from tagback.domain.registrations import Registration
from tests.conftest import DEMO_ACCOUNT, REGISTERED_ON, registration
from tests.fakes import InMemoryRegistry

OTHER_ACCOUNT = "17841400000000002"
NOW = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
CONTEXT: Any = LambdaContext("registry")  # what Powertools reads of Lambda's context


def properties(venue: Registration) -> dict[str, str]:
    """The custom resource's properties, as CloudFormation passes them: every value a string (infra/names.py)."""
    values = asdict(venue) | {
        "closed": ",".join(venue.closed),
        "prize_names": json.dumps(dict(venue.prize_names), ensure_ascii=False),
    }
    return {name: str(value) for name, value in values.items() if name != "registered_on"}


@pytest.fixture
def registry() -> InMemoryRegistry:
    return InMemoryRegistry()


def test_create_registers_the_venue_by_account_and_by_client(registry: InMemoryRegistry) -> None:
    venue = registration("demo", DEMO_ACCOUNT, retention_days=45)
    answer = answer_registration("Create", properties(venue), None, registry, REGISTERED_ON)
    assert (answer.ok, answer.physical_id) == (True, "tagback-registration-demo")
    assert answer.reason == f"registered demo for Instagram account {DEMO_ACCOUNT}"
    assert registry.by_account(DEMO_ACCOUNT) == venue == registry.by_client("demo")
    assert venue.retention_days == 45


def test_an_update_moves_the_venue_to_its_new_account(registry: InMemoryRegistry) -> None:
    old = registration("demo", DEMO_ACCOUNT)
    answer_registration("Create", properties(old), None, registry, REGISTERED_ON)
    new = registration("demo", OTHER_ACCOUNT, table="tagback-demo-v2")
    answer = answer_registration("Update", properties(new), properties(old), registry, REGISTERED_ON)
    assert answer.ok and answer.physical_id == "tagback-registration-demo"
    assert registry.by_account(DEMO_ACCOUNT) is None  # the old account is free for another venue
    assert registry.by_account(OTHER_ACCOUNT) == new == registry.by_client("demo")


def test_delete_unregisters_and_a_second_delete_still_succeeds(registry: InMemoryRegistry) -> None:
    venue = registration("demo", DEMO_ACCOUNT)
    answer_registration("Create", properties(venue), None, registry, REGISTERED_ON)
    first = answer_registration("Delete", properties(venue), None, registry, REGISTERED_ON)
    assert (first.ok, first.reason) == (True, "unregistered demo")
    assert registry.by_account(DEMO_ACCOUNT) is None and registry.by_client("demo") is None
    again = answer_registration("Delete", properties(venue), None, registry, REGISTERED_ON)
    assert (again.ok, again.reason) == (True, "demo was not registered")


def test_a_delete_needs_no_valid_properties(registry: InMemoryRegistry) -> None:
    """A failed Create's rollback deletes what its properties name, valid or not: it must not fail again."""
    assert answer_registration(
        "Delete", {"client_id": "demo", "timezone": "Mars/Olympus"}, None, registry, REGISTERED_ON
    ).ok


def test_an_account_another_client_holds_is_refused_naming_both(registry: InMemoryRegistry) -> None:
    answer_registration(
        "Create",
        properties(registration("demo", DEMO_ACCOUNT, venue_name="Café Aurora")),
        None,
        registry,
        REGISTERED_ON,
    )
    answer = answer_registration(
        "Create", properties(registration("bistro", DEMO_ACCOUNT)), None, registry, REGISTERED_ON
    )
    assert not answer.ok and answer.physical_id == "tagback-registration-bistro"
    assert f"Instagram account {DEMO_ACCOUNT} is already registered to client 'demo' (Café Aurora)" in answer.reason
    assert "client 'bistro' cannot register it too" in answer.reason and "clients/bistro.yaml" in answer.reason
    assert registry.by_client("bistro") is None and registry.by_account(DEMO_ACCOUNT) == registry.by_client("demo")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"client_id": "Demo Venue"}, "client_id 'Demo Venue' is not a client id"),
        ({"account_id": "@cafe"}, "account_id '@cafe' is not an Instagram account id"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not an IANA timezone"),
        ({"retention_days": "ninety"}, "retention_days 'ninety' is not a number of days"),
        ({"retention_days": "0"}, "retention_days '0' is not a number of days"),
        ({"link_prefix": "edge.example/l/demo"}, "link_prefix 'edge.example/l/demo' is not a URL"),
        ({"table": "", "region": ""}, "missing properties: table, region"),
    ],
)
def test_bad_properties_are_refused_naming_each(registry: InMemoryRegistry, change: dict[str, str], named: str) -> None:
    answer = answer_registration("Create", properties(registration()) | change, None, registry, REGISTERED_ON)
    assert not answer.ok and named in answer.reason
    assert registry.registered == {} and registry.accounts == {}


def test_every_bad_property_is_named_at_once(registry: InMemoryRegistry) -> None:
    bad = properties(registration()) | {"account_id": "x", "timezone": "Nowhere", "link_prefix": "ftp://x"}
    answer = answer_registration("Update", bad, properties(registration()), registry, REGISTERED_ON)
    assert [part.split(" ")[0] for part in answer.reason.split("; ")] == ["account_id", "timezone", "link_prefix"]


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_a_failing_registry_is_a_failed_answer_not_an_exception(registry: InMemoryRegistry, request_type: str) -> None:
    registry.failure = ConnectionError("DynamoDB unavailable")
    answer = answer_registration(
        request_type, properties(registration()), properties(registration()), registry, REGISTERED_ON
    )
    assert not answer.ok
    assert answer.reason == "the edge's registry failed (ConnectionError): deploy again"


class CloudFormation(BaseHTTPRequestHandler):
    """The presigned ResponseURL: records each PUT."""

    received: ClassVar[list[tuple[str, str | None, dict[str, Any]]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers.get("Content-Type"), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def response_url() -> Iterator[str]:
    CloudFormation.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CloudFormation)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cfn-response?X-Amz-Signature=abc"
    server.shutdown()
    server.server_close()


def request(request_type: str, url: str, props: dict[str, str], old: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:tagback-edge-registry",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/Tagback-demo/1",
        "RequestId": "req-1",
        "ResourceType": "Custom::TagbackRegistration",
        "LogicalResourceId": "Registration",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:x", **props},
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = "tagback-registration-demo"
    if old is not None:
        event["OldResourceProperties"] = old
    return event


def test_the_answer_is_put_to_the_response_url(registry: InMemoryRegistry, response_url: str) -> None:
    returned = handle_custom_resource(
        request("Create", response_url, properties(registration())), registry, ManualClock(NOW)
    )
    ((path, content_type, answer),) = CloudFormation.received
    assert path == "/cfn-response?X-Amz-Signature=abc" and content_type == ""  # as the URL was signed
    assert (
        answer
        == returned
        == {
            "Status": "SUCCESS",
            "Reason": f"registered demo for Instagram account {DEMO_ACCOUNT}",
            "PhysicalResourceId": "tagback-registration-demo",
            "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/Tagback-demo/1",
            "RequestId": "req-1",
            "LogicalResourceId": "Registration",
            "Data": {},
        }
    )


def test_a_refusal_is_put_as_failed(registry: InMemoryRegistry, response_url: str) -> None:
    registry.register(registration("bistro", DEMO_ACCOUNT))
    handle_custom_resource(
        request("Create", response_url, properties(registration("demo"))), registry, ManualClock(NOW)
    )
    ((_, _, answer),) = CloudFormation.received
    assert answer["Status"] == "FAILED" and "'bistro'" in answer["Reason"] and "'demo'" in answer["Reason"]


def test_the_registry_function_answers_through_its_entry_point(response_url: str) -> None:
    registry = InMemoryRegistry(registration("demo", DEMO_ACCOUNT))
    handler.registry.override(registry)  # type: ignore[arg-type]  # keeps Registry's guarantees
    try:
        old, new = properties(registration()), properties(registration(venue_name="Café Aurora Chiado"))
        handler.lambda_handler(request("Update", response_url, new, old), CONTEXT)
        handler.lambda_handler(request("Delete", response_url, new), CONTEXT)
    finally:
        handler.registry.override(None)
    assert [answer["Status"] for _, _, answer in CloudFormation.received] == ["SUCCESS", "SUCCESS"]
    assert registry.registered == {} and registry.accounts == {}


def test_an_unreachable_response_url_is_retried_then_raised(registry: InMemoryRegistry) -> None:
    import requests  # noqa: PLC0415

    with pytest.raises(requests.RequestException):
        handle_custom_resource(
            request("Create", "http://127.0.0.1:9/unreachable", properties(registration())), registry, ManualClock(NOW)
        )
    assert registry.by_client("demo") is not None  # registered: a retry of the request finds it so (idempotent)


def test_the_watchdogs_settings_are_registered_and_a_venue_from_before_them_has_none(
    registry: InMemoryRegistry,
) -> None:
    venue = registration("demo", DEMO_ACCOUNT, no_mention_days=3, closed=("mon", "2026-12-25"))
    assert answer_registration("Create", properties(venue), None, registry, REGISTERED_ON).ok
    assert registry.by_client("demo") == venue
    before = {name: value for name, value in properties(venue).items() if name not in ("no_mention_days", "closed")}
    assert answer_registration("Update", before, properties(venue), registry, REGISTERED_ON).ok
    assert registry.by_client("demo") == registration("demo", DEMO_ACCOUNT)  # never told: no_mention_days 0


def test_the_redemption_pages_settings_are_registered_and_a_venue_from_before_them_has_english_and_none(
    registry: InMemoryRegistry,
) -> None:
    names = (("brunch-for-two", "Brunch für zwei"), ("espresso", "Gratis-Espresso"))
    venue = registration("demo", DEMO_ACCOUNT, language="de", prize_names=names)
    assert answer_registration("Create", properties(venue), None, registry, REGISTERED_ON).ok
    assert registry.by_client("demo") == venue
    before = {name: value for name, value in properties(venue).items() if name not in ("language", "prize_names")}
    assert answer_registration("Update", before, properties(venue), registry, REGISTERED_ON).ok
    assert registry.by_client("demo") == registration("demo", DEMO_ACCOUNT)  # English words, prizes as issued


def test_a_language_or_prize_names_that_are_not_are_refused(registry: InMemoryRegistry) -> None:
    venue = properties(registration("demo", DEMO_ACCOUNT)) | {"language": "German", "prize_names": "espresso"}
    answer = answer_registration("Create", venue, None, registry, REGISTERED_ON)
    assert not answer.ok
    assert "language 'German' is not a language code" in answer.reason
    assert "prize_names is not a JSON object of prize ids and names" in answer.reason


def test_a_closed_day_that_is_not_one_is_refused(registry: InMemoryRegistry) -> None:
    venue = properties(registration("demo", DEMO_ACCOUNT)) | {"closed": "mon,funday", "no_mention_days": "a week"}
    answer = answer_registration("Create", venue, None, registry, REGISTERED_ON)
    assert not answer.ok
    assert "no_mention_days 'a week' is not a number of days" in answer.reason
    assert "closed: 'funday' is neither a weekday" in answer.reason


def test_a_venue_keeps_the_date_it_first_registered_on(registry: InMemoryRegistry) -> None:
    venue = registration("demo", DEMO_ACCOUNT)
    later = REGISTERED_ON + timedelta(days=30)
    assert answer_registration("Create", properties(venue), None, registry, REGISTERED_ON).ok
    assert answer_registration("Update", properties(venue), properties(venue), registry, later).ok
    assert registry.by_client("demo") == venue  # first registered on REGISTERED_ON
    assert answer_registration(
        "Create", properties(registration("luna", "17841400000000002")), None, registry, later
    ).ok
    luna = registry.by_client("luna")
    assert luna is not None and luna.registered_on == later
