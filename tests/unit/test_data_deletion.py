"""Meta's data deletion callback at the edge: the signed_request (Meta's test vector, forged, expired, another
algorithm), and the webhook Lambda's two routes with in-memory stores: every venue asked to erase, the status page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from functions.webhook import handler
from sandbox.apigw import LambdaContext, http_api_event
from tagback.adapters.meta.deletion import SignedRequestRefused, sign_request, user_to_delete
from tagback.domain.clock import ManualClock
from tagback.domain.erasure import DeletionStatus
from tests.conftest import APP_SECRET, APP_SECRET_PARAM, DEMO_ACCOUNT, VERIFY_TOKEN, VERIFY_TOKEN_PARAM, registration
from tests.fakes import InMemoryEdge, Secrets
from tests.unit.test_webhook_handler import SETTINGS

# ../shared/reference/meta-messaging.md: signed with the app secret `test_app_secret_123` (tests.conftest.APP_SECRET).
VECTOR = (
    "aZULgOUBgxqT6PYJfVOp2bjyU4lmnM_PSvT8lhWohXs."
    "eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMiOjEyOTE4NDA0MDAsImlzc3VlZF9hdCI6MTI5MTgzNjgwMCwidXNlcl9pZCI6IjIxODQ3MSJ9"
)
ISSUED = datetime.fromtimestamp(1291836800, UTC)
EXPIRES = datetime.fromtimestamp(1291840400, UTC)
GUEST = "6170000000000042"
CONTEXT = LambdaContext("tagback-webhook")


def payload(**changes: Any) -> dict[str, Any]:
    now = int(datetime(2026, 11, 20, 21, 30, tzinfo=UTC).timestamp())
    return {"algorithm": "HMAC-SHA256", "expires": now + 3600, "issued_at": now, "user_id": GUEST} | changes


def test_metas_test_vector_names_its_user() -> None:
    assert APP_SECRET == "test_app_secret_123"
    assert user_to_delete(VECTOR, APP_SECRET, ISSUED) == "218471"
    assert sign_request({"algorithm": "HMAC-SHA256", "expires": 1291840400, "issued_at": 1291836800,
                         "user_id": "218471"}, APP_SECRET) == VECTOR  # fmt: skip


@pytest.mark.parametrize(
    ("signed", "status", "reason"),
    [
        (VECTOR.replace("aZULg", "bZULg"), 403, "signature"),  # forged: another signature
        (sign_request(payload(), "another-app-secret"), 403, "signature"),  # signed with another app's secret
        (VECTOR[:-4] + VECTOR[-4:].lower(), 403, "signature"),  # the payload changed after signing
        (sign_request(payload(algorithm="HMAC-SHA1"), APP_SECRET), 400, "algorithm"),
        (sign_request(payload(user_id="../../etc"), APP_SECRET), 400, "user_id"),
        (sign_request(payload(expires="soon"), APP_SECRET), 400, "expires"),
        ("no-dot-in-it", 400, "<signature>.<payload>"),
        ("%%%.%%%", 400, "base64url"),
        ("", 400, "<signature>.<payload>"),
    ],
)
def test_a_request_meta_did_not_sign_for_this_app_is_refused(signed: str, status: int, reason: str) -> None:
    with pytest.raises(SignedRequestRefused) as refused:
        user_to_delete(signed, APP_SECRET, ISSUED)
    assert refused.value.status == status and reason in refused.value.reason


def test_an_expired_request_is_refused_from_its_expiry_on() -> None:
    assert user_to_delete(VECTOR, APP_SECRET, EXPIRES - timedelta(seconds=1)) == "218471"
    for late in (EXPIRES, EXPIRES + timedelta(days=1)):
        with pytest.raises(SignedRequestRefused, match="expired") as refused:
            user_to_delete(VECTOR, APP_SECRET, late)
        assert refused.value.status == 403


def test_a_request_without_an_expiry_has_none() -> None:
    unexpiring = {k: v for k, v in payload().items() if k != "expires"}
    assert user_to_delete(sign_request(unexpiring, APP_SECRET), APP_SECRET, ISSUED + timedelta(days=400)) == GUEST


# -- the edge's routes -----------------------------------------------------------------------------------------------
@pytest.fixture
def edge(clock: ManualClock) -> Iterator[InMemoryEdge]:
    edge = InMemoryEdge(registration("demo", DEMO_ACCOUNT), registration("luna", "17841400000000002"))
    secrets = Secrets({APP_SECRET_PARAM: APP_SECRET, VERIFY_TOKEN_PARAM: VERIFY_TOKEN})
    handler.edge.override(edge.edge(SETTINGS, secrets, clock))
    yield edge
    handler.edge.override(None)


def post_deletion(signed: str) -> dict[str, Any]:
    event = http_api_event(
        "POST",
        "/meta/data-deletion",
        body=urlencode({"signed_request": signed}).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Host": "edge.example",
            "X-Forwarded-Proto": "https",
        },
    )
    return handler.lambda_handler(event, CONTEXT)


def status_page(url: str) -> dict[str, Any]:
    path = url.removeprefix("https://edge.example")
    return handler.lambda_handler(http_api_event("GET", path, headers={"Host": "edge.example"}), CONTEXT)


def test_a_genuine_request_asks_every_venue_and_gives_meta_a_code_and_a_status_url(
    edge: InMemoryEdge, clock: ManualClock
) -> None:
    edge.quarantine.add(
        {"sender": {"id": GUEST}, "message": {"text": "hi"}}, "unknown account", clock.now(), clock.now()
    )
    edge.quarantine.add({"sender": {"id": "61700"}}, "unknown account", clock.now(), clock.now())
    answer = post_deletion(sign_request(payload(), APP_SECRET))
    assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"] == "application/json"
    body = json.loads(answer["body"])
    code = body["confirmation_code"]
    assert body == {"url": f"https://edge.example/meta/data-deletion/{code}", "confirmation_code": code}
    for client in ("demo", "luna"):
        (request,) = edge.store_of(client).erasures.by_code.values()
        assert (request.code, request.guest_id, request.edge_table) == (code, GUEST, SETTINGS.registry_table)
    deletion = edge.deletions.get(code)
    assert deletion is not None and deletion.venues == {"demo": "pending", "luna": "pending"}
    assert [raw for raw, _ in edge.quarantine.items] == [{"sender": {"id": "61700"}}]  # theirs erased at the edge
    assert edge.deletions.expiries[code] - clock.now() == timedelta(days=365)


def test_the_status_page_follows_each_venues_outcome(edge: InMemoryEdge) -> None:
    url = json.loads(post_deletion(sign_request(payload(), APP_SECRET))["body"])["url"]
    code = url.rsplit("/", 1)[1]
    page = status_page(url)
    assert page["statusCode"] == 200 and page["headers"]["Content-Type"] == "text/html"
    assert "Pending" in page["body"] and code in page["body"] and "<script" not in page["body"]
    assert page["headers"]["Cache-Control"] == "no-store"
    edge.deletions.report(code, "demo", DeletionStatus.DONE)
    assert "Pending" in status_page(url)["body"]  # Luna has not answered yet
    edge.deletions.report(code, "luna", DeletionStatus.NOTHING_HELD)
    assert "Data deletion request: Done" in status_page(url)["body"]


def test_a_user_no_venue_knows_gets_a_code_all_the_same_and_nothing_held(clock: ManualClock) -> None:
    empty = InMemoryEdge()  # no venue registered yet
    handler.edge.override(empty.edge(SETTINGS, Secrets({APP_SECRET_PARAM: APP_SECRET}), clock))
    try:
        url = json.loads(post_deletion(sign_request(payload(), APP_SECRET))["body"])["url"]
        assert "Data deletion request: Nothing held" in status_page(url)["body"]
    finally:
        handler.edge.override(None)


@pytest.mark.parametrize(
    "signed",
    [sign_request(payload(), "another-app-secret"), sign_request(payload(expires=1291840400), APP_SECRET)],
    ids=["forged", "expired"],
)
def test_a_forged_or_expired_request_is_refused_with_a_log_line_and_nothing_erased(
    edge: InMemoryEdge, signed: str, log_lines: Any
) -> None:
    edge.quarantine.add({"sender": {"id": GUEST}}, "unknown account", datetime.now(UTC), datetime.now(UTC))
    answer = post_deletion(signed)
    assert answer["statusCode"] == 403
    assert not edge.store_of("demo").erasures.by_code and not edge.deletions.by_code
    assert len(edge.quarantine.items) == 1
    logged = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert [line["message"] for line in logged if line["level"] == "WARNING"] == ["data deletion request refused"]
    assert GUEST not in log_lines.getvalue()


def test_a_form_without_signed_request_is_a_bad_request(edge: InMemoryEdge) -> None:
    event = http_api_event("POST", "/meta/data-deletion", body=b"user_id=6170000000000042")
    assert handler.lambda_handler(event, CONTEXT)["statusCode"] == 400


@pytest.mark.parametrize("code", ["0123456789abcdef0123", "not-a-code", "0123456789ABCDEF0123"])
def test_a_code_never_issued_gets_a_not_found_page(edge: InMemoryEdge, code: str) -> None:
    page = handler.lambda_handler(http_api_event("GET", f"/meta/data-deletion/{code}"), CONTEXT)
    assert page["statusCode"] == 404 and "Request not found" in page["body"]
