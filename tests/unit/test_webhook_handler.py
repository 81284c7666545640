"""The webhook Lambda through its real entry point, with API-Gateway-shaped events and in-memory stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.webhook import handler
from sandbox import meta_payloads as p
from sandbox.apigw import LambdaContext, http_api_event
from tagback.adapters.meta.webhook import sign
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tagback.wiring import Webhook
from tests.conftest import APP_SECRET, VERIFY_TOKEN
from tests.fakes import InMemoryStore, Secrets

CONTEXT = LambdaContext("tagback-webhook")


@pytest.fixture
def store(demo_config: ClientConfig, clock: ManualClock) -> Iterator[InMemoryStore]:
    store = InMemoryStore()
    secrets = Secrets(
        {demo_config.secrets.meta_app_secret: APP_SECRET, demo_config.secrets.meta_verify_token: VERIFY_TOKEN}
    )
    handler.webhook.override(Webhook(config=demo_config, store=store, secret=secrets, clock=clock))
    yield store
    handler.webhook.override(None)


def call(method: str, path: str = "/webhook", **kwargs: Any) -> dict[str, Any]:
    return handler.lambda_handler(http_api_event(method, path, **kwargs), CONTEXT)


def post_signed(body: bytes, **kwargs: Any) -> dict[str, Any]:
    return call("POST", body=body, headers={"X-Hub-Signature-256": sign(body, APP_SECRET)}, **kwargs)


def test_handshake_echoes_the_challenge_as_plain_text(store: InMemoryStore) -> None:
    response = call("GET", query=f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")
    assert response["statusCode"] == 200
    assert response["body"] == "1158201444"
    assert response["headers"]["Content-Type"] == "text/plain"


@pytest.mark.parametrize("query", ["hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", "", "hub.challenge=1"])
def test_handshake_with_a_wrong_token_is_forbidden(store: InMemoryStore, query: str) -> None:
    assert call("GET", query=query)["statusCode"] == 403


def test_signed_story_mention_is_stored(store: InMemoryStore, demo_config: ClientConfig) -> None:
    us = demo_config.instagram_account_id
    response = post_signed(p.meta_json(p.envelope(us, [p.story_mention("g1", us, "m1")])))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"received": 1, "stored": 1, "duplicates": 0}
    assert store.inbound.items[("GUEST#g1", "IN#m1")]["kind"] == "story_mention"


def test_base64_bodies_are_verified_on_their_decoded_bytes(store: InMemoryStore, demo_config: ClientConfig) -> None:
    us = demo_config.instagram_account_id
    body = p.meta_json(p.envelope(us, [p.text("g1", us, "m1", "café / bar")]))
    assert b"\\u00e9" in body and b"\\/" in body
    assert post_signed(body, force_base64=True)["statusCode"] == 200
    assert store.inbound.items[("GUEST#g1", "IN#m1")]["text"] == "café / bar"


def test_forged_post_is_403_and_stores_nothing(store: InMemoryStore, demo_config: ClientConfig) -> None:
    us = demo_config.instagram_account_id
    body = p.meta_json(p.envelope(us, [p.story_mention("g1", us, "m1")]))
    for headers in ({}, {"X-Hub-Signature-256": sign(body, "guessed")}):
        assert call("POST", body=body, headers=headers)["statusCode"] == 403
    assert not store.inbound.items


@pytest.mark.parametrize("body", [b"not json", b'{"object":"page","entry":[]}', b'{"object":"instagram"}'])
def test_signed_non_envelope_is_400_and_stores_nothing(store: InMemoryStore, body: bytes) -> None:
    response = post_signed(body)
    assert response["statusCode"] == 400
    assert "error" in json.loads(response["body"])
    assert not store.inbound.items


def test_unknown_route_is_404(store: InMemoryStore) -> None:
    assert call("GET", "/nothing-here")["statusCode"] == 404


def _wrong_typed(value: Any) -> bytes:
    us = "17841400000000001"
    item = p.story_mention("g1", us, "m1")
    item["timestamp"] = value
    return p.meta_json(p.envelope(us, [item], [p.text("g2", us, "m2", "x")]))


_FULL = p.meta_json(
    p.envelope("17841400000000001", [p.story_mention("g1", "17841400000000001", "m1"), p.text("g1", "1", "m2", "é")])
)


bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(_wrong_typed, st.one_of(st.text(), st.none(), st.floats(), st.lists(st.integers()), st.booleans())),
    st.integers(min_value=0, max_value=len(_FULL) - 1).map(lambda n: _FULL[:n]),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=8,
    ).map(lambda value: json.dumps({"object": "instagram", "entry": [{"id": "1", "messaging": [value]}]}).encode()),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, as_base64=st.booleans())
def test_validly_signed_junk_never_gets_a_5xx(store: InMemoryStore, body: bytes, as_base64: bool) -> None:
    response = post_signed(body, force_base64=as_base64)
    assert response["statusCode"] in {200, 400}, response


def test_event_with_invalid_base64_is_400(store: InMemoryStore) -> None:
    event = http_api_event("POST", "/webhook", body=b"x", headers={"X-Hub-Signature-256": "sha256=00"})
    event.update(body="%%%not-base64", isBase64Encoded=True)
    assert handler.lambda_handler(event, CONTEXT)["statusCode"] == 400


def test_a_tracked_link_redirects_and_counts(store: InMemoryStore) -> None:
    from tagback.domain.awards import AwardKey  # noqa: PLC0415

    store.links.create(
        "T" * 22,
        "https://search.google.com/local/writereview?placeid=X",
        "google",
        AwardKey("g1", "2026-11-20"),
        expires_at=datetime(2027, 2, 18, tzinfo=UTC),
    )
    response = call("GET", f"/l/{'T' * 22}", route="/l/{token}", path_parameters={"token": "T" * 22})
    assert response["statusCode"] == 302
    assert response["headers"]["Location"] == "https://search.google.com/local/writereview?placeid=X"
    assert store.links.by_token["T" * 22]["clicks"] == 1
    assert store.stats.months["2026-11"] == {"review_link_clicks_google": 1}


@pytest.mark.parametrize("token", ["U" * 22, "short", "not%2Fa%2Ftoken"])
def test_an_unknown_link_is_a_small_404_page_never_a_500(store: InMemoryStore, token: str) -> None:
    response = call("GET", f"/l/{token}", route="/l/{token}", path_parameters={"token": token})
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "text/html"
    assert "Link not found" in response["body"]
