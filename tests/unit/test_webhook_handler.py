"""The edge's webhook Lambda through its real entry point, with API-Gateway-shaped events and in-memory stores: the
registry of venues, each venue's table, the quarantine."""

from __future__ import annotations

import html
import json
import re
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
from tagback.config.environment import EdgeSettings
from tagback.domain.awards import AwardKey
from tagback.domain.clock import ManualClock
from tagback.domain.languages import LANGUAGES
from tagback.messages.link_labels import LINK_LABELS
from tagback.messages.staff_labels import EDGE_PAGE_LANGUAGES
from tests import user_agents as ua
from tests.conftest import APP_SECRET, APP_SECRET_PARAM, DEMO_ACCOUNT, VERIFY_TOKEN, VERIFY_TOKEN_PARAM, registration
from tests.fakes import InMemoryEdge, InMemoryStore, Secrets

CONTEXT = LambdaContext("tagback-webhook")
OTHER_ACCOUNT = "17841400000000002"
SETTINGS = EdgeSettings.from_environ(
    {
        "REGISTRY_TABLE": "tagback-edge",
        "META_APP_SECRET_PARAM": APP_SECRET_PARAM,
        "META_VERIFY_TOKEN_PARAM": VERIFY_TOKEN_PARAM,
    }
)
TOKEN = "T" * 22


@pytest.fixture
def edge(clock: ManualClock) -> Iterator[InMemoryEdge]:
    edge = InMemoryEdge(
        registration("demo", DEMO_ACCOUNT, timezone="Europe/Lisbon"),
        registration("bar", OTHER_ACCOUNT, timezone="Pacific/Auckland", language="de"),
    )
    secrets = Secrets({APP_SECRET_PARAM: APP_SECRET, VERIFY_TOKEN_PARAM: VERIFY_TOKEN})
    handler.edge.override(edge.edge(SETTINGS, secrets, clock))
    yield edge
    handler.edge.override(None)


@pytest.fixture
def store(edge: InMemoryEdge) -> InMemoryStore:
    """The demo venue's table."""
    return edge.store_of("demo")


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


def test_signed_story_mention_is_stored_in_its_venues_table(store: InMemoryStore) -> None:
    us = DEMO_ACCOUNT
    response = post_signed(p.meta_json(p.envelope(us, [p.story_mention("g1", us, "m1")])))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"received": 1, "stored": 1, "duplicates": 0, "unknown_account": 0}
    assert store.inbound.items[("GUEST#g1", "IN#m1")]["kind"] == "story_mention"


def test_a_delivery_for_two_venues_and_an_unknown_account_is_split(edge: InMemoryEdge) -> None:
    entries = [
        *p.envelope(DEMO_ACCOUNT, [p.story_mention("g1", DEMO_ACCOUNT, "d1")])["entry"],
        *p.envelope(OTHER_ACCOUNT, [p.text("g2", OTHER_ACCOUNT, "b1", "hi")])["entry"],
        *p.envelope("17841400000000555", [p.text("g3", "17841400000000555", "u1", "hi")])["entry"],
    ]
    response = post_signed(p.meta_json({"object": "instagram", "entry": entries}))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"received": 3, "stored": 2, "duplicates": 0, "unknown_account": 1}
    assert list(edge.store_of("demo").inbound.items) == [("GUEST#g1", "IN#d1")]
    assert list(edge.store_of("bar").inbound.items) == [("GUEST#g2", "IN#b1")]
    assert [reason for _, reason in edge.quarantine.items] == ["no venue registered for account 17841400000000555"]


def test_a_failing_registry_is_a_503_that_tells_meta_nothing_internal(edge: InMemoryEdge) -> None:
    edge.registry.failure = ConnectionError("tagback-edge-registry unreachable")
    response = post_signed(p.meta_json(p.envelope(DEMO_ACCOUNT, [p.story_mention("g1", DEMO_ACCOUNT, "m1")])))
    assert response["statusCode"] == 503
    assert "unreachable" not in response["body"] and "redeliver later" in response["body"]
    assert edge.venues.written() == {} and edge.quarantine.items == []


def test_base64_bodies_are_verified_on_their_decoded_bytes(store: InMemoryStore) -> None:
    us = DEMO_ACCOUNT
    body = p.meta_json(p.envelope(us, [p.text("g1", us, "m1", "café / bar")]))
    assert b"\\u00e9" in body and b"\\/" in body
    assert post_signed(body, force_base64=True)["statusCode"] == 200
    assert store.inbound.items[("GUEST#g1", "IN#m1")]["text"] == "café / bar"


def test_forged_post_is_403_and_stores_nothing(edge: InMemoryEdge) -> None:
    us = DEMO_ACCOUNT
    body = p.meta_json(p.envelope(us, [p.story_mention("g1", us, "m1")]))
    for headers in ({}, {"X-Hub-Signature-256": sign(body, "guessed")}):
        assert call("POST", body=body, headers=headers)["statusCode"] == 403
    assert edge.venues.written() == {} and edge.quarantine.items == []


@pytest.mark.parametrize("body", [b"not json", b'{"object":"page","entry":[]}', b'{"object":"instagram"}'])
def test_signed_non_envelope_is_400_and_stores_nothing(edge: InMemoryEdge, body: bytes) -> None:
    response = post_signed(body)
    assert response["statusCode"] == 400
    assert "error" in json.loads(response["body"])
    assert edge.venues.written() == {} and edge.quarantine.items == []


def test_unknown_route_is_404(edge: InMemoryEdge) -> None:
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
    st.builds(
        _wrong_typed,
        st.one_of(st.text(), st.none(), st.floats(), st.lists(st.integers()), st.booleans(), st.integers()),
    ),
    st.integers(min_value=0, max_value=len(_FULL) - 1).map(lambda n: _FULL[:n]),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=8,
    ).map(lambda value: json.dumps({"object": "instagram", "entry": [{"id": "1", "messaging": [value]}]}).encode()),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, as_base64=st.booleans())
def test_validly_signed_junk_never_gets_a_5xx(edge: InMemoryEdge, body: bytes, as_base64: bool) -> None:
    response = post_signed(body, force_base64=as_base64)
    assert response["statusCode"] in {200, 400}, response


def test_event_with_invalid_base64_is_400(edge: InMemoryEdge) -> None:
    event = http_api_event("POST", "/webhook", body=b"x", headers={"X-Hub-Signature-256": "sha256=00"})
    event.update(body="%%%not-base64", isBase64Encoded=True)
    assert handler.lambda_handler(event, CONTEXT)["statusCode"] == 400


def follow(client: str, token: str, user_agent: str | None = None) -> dict[str, Any]:
    return call(
        "GET",
        f"/l/{client}/{token}",
        route="/l/{client}/{token}",
        path_parameters={"client": client, "token": token},
        headers={"User-Agent": user_agent} if user_agent else None,
    )


def link(
    store: InMemoryStore, target: str, token: str = TOKEN, platform: str = "google", language: str | None = None
) -> None:
    expires_at = datetime(2027, 2, 18, tzinfo=UTC)
    store.links.create(token, target, platform, AwardKey("g1", "2026-11-20"), expires_at, language=language)


def test_a_tracked_link_redirects_and_counts_in_its_venues_table(edge: InMemoryEdge, store: InMemoryStore) -> None:
    link(store, "https://search.google.com/local/writereview?placeid=X")
    response = follow("demo", TOKEN)
    assert response["statusCode"] == 302
    assert response["headers"]["Location"] == "https://search.google.com/local/writereview?placeid=X"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert store.links.by_token[TOKEN]["clicks"] == 1
    assert store.stats.months["2026-11"] == {
        "review_link_clicks_google": 1,
        "review_link_unique_clicks_google": 1,
        "review_link_browser_other": 1,  # no User-Agent header: the plain redirect, counted as from "other"
    }
    assert edge.store_of("bar").stats.months == {}


def test_links_are_routed_by_client_and_count_in_the_clients_month(edge: InMemoryEdge, clock: ManualClock) -> None:
    link(edge.store_of("demo"), "https://demo.example/review")
    link(edge.store_of("bar"), "https://bar.example/review")
    clock.advance(datetime(2026, 11, 30, 12, 0, tzinfo=UTC) - clock.now())  # 1 December, 01:00 in Auckland
    assert follow("bar", TOKEN)["headers"]["Location"] == "https://bar.example/review"
    assert follow("demo", TOKEN)["headers"]["Location"] == "https://demo.example/review"
    counted = {"review_link_clicks_google": 1, "review_link_unique_clicks_google": 1, "review_link_browser_other": 1}
    assert edge.store_of("bar").stats.months == {"2026-12": counted}
    assert edge.store_of("demo").stats.months == {"2026-11": counted}


GOOGLE = "https://search.google.com/local/writereview?placeid=ChIJ_x"
GOOGLE_ESCAPED = "https%3A%2F%2Fsearch.google.com%2Flocal%2Fwritereview%3Fplaceid%3DChIJ_x"


def hrefs(page: str) -> list[str]:
    """Every place the page can send the guest: its automatic hand-off and its links (as HTML escapes them)."""
    return [html.unescape(url) for url in re.findall(r'(?:href="|content="0;url=)([^"]+)"', page)]


def test_instagram_on_android_gets_the_hand_off_page_to_google_maps(store: InMemoryStore) -> None:
    link(store, GOOGLE)
    response = follow("demo", TOKEN, ua.INSTAGRAM_ANDROID)
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'sha256-")
    assert (headers["Cache-Control"], headers["Referrer-Policy"]) == ("no-store", "no-referrer")
    page = response["body"]
    assert "<h1>Leave your Google review</h1>" in page and '<p class="status">Opening Google Maps…</p>' in page
    assert "browser you are not signed in to Google. In Google Maps or your own browser, the review is quicker." in page
    assert "Nothing happened? Tap “Open in Google Maps”." in page
    maps = "package=com.google.android.apps.maps"
    assert hrefs(page) == [
        # at once, without a fallback: if it is blocked, the page and its buttons stay
        f"intent://search.google.com/local/writereview?placeid=ChIJ_x#Intent;scheme=https;{maps};end",
        # the button: the app, or the review page itself when the app cannot take it
        f"intent://search.google.com/local/writereview?placeid=ChIJ_x#Intent;scheme=https;{maps};"
        f"S.browser_fallback_url={GOOGLE_ESCAPED};end",
        "intent://search.google.com/local/writereview?placeid=ChIJ_x#Intent;scheme=https;end",  # the phone's browser
        GOOGLE,  # continue here
    ]
    assert ">Open in Google Maps</a>" in page and ">Open in default browser</a>" in page
    assert "<script" not in page and "/l/" not in page  # nothing runs; nothing comes back to be counted twice
    assert store.links.by_token[TOKEN]["clicks"] == 1
    assert store.stats.months["2026-11"] == {
        "review_link_clicks_google": 1,
        "review_link_unique_clicks_google": 1,
        "review_link_browser_in_app": 1,
    }


def test_instagram_on_ios_hands_over_to_the_browser_with_safari_as_a_second_way(store: InMemoryStore) -> None:
    link(store, GOOGLE)
    response = follow("demo", TOKEN, ua.INSTAGRAM_IOS)
    assert response["statusCode"] == 200
    page = response["body"]
    assert "<h1>Leave your Google review</h1>" in page and '<p class="status">Opening your browser…</p>' in page
    assert "In Instagram&#x27;s browser you are not signed in to Google. In your own browser" in page
    assert "Nothing happened? Tap “Open in default browser”." in page
    assert hrefs(page) == [
        f"instagram://extbrowser/?url={GOOGLE_ESCAPED}",
        f"instagram://extbrowser/?url={GOOGLE_ESCAPED}",
        f"x-safari-{GOOGLE}",
        GOOGLE,
    ]
    assert ">Open in default browser</a>" in page and ">Open in Safari</a>" in page
    assert store.stats.months["2026-11"]["review_link_browser_in_app"] == 1


@pytest.mark.parametrize("agent", [ua.FACEBOOK_IOS, ua.FACEBOOK_IOS_2025])
def test_facebook_on_ios_hands_over_to_safari(store: InMemoryStore, agent: str) -> None:
    link(store, GOOGLE)
    page = follow("demo", TOKEN, agent)["body"]
    assert hrefs(page) == [f"x-safari-{GOOGLE}", f"x-safari-{GOOGLE}", GOOGLE]
    assert "In Facebook&#x27;s browser you are not signed in to Google." in page
    assert "Nothing happened? Tap “Open in Safari”." in page


@pytest.mark.parametrize(
    ("platform", "package"),
    [("tripadvisor", "package=com.tripadvisor.tripadvisor;"), ("facebook", "package=com.facebook.katana;")],
)
def test_tripadvisor_and_facebook_links_hand_over_to_their_apps(
    store: InMemoryStore, platform: str, package: str
) -> None:
    link(store, "https://www.tripadvisor.com/UserReviewEdit-d1", platform=platform)
    page = follow("demo", TOKEN, ua.FACEBOOK_ANDROID)["body"]
    assert hrefs(page)[0] == f"intent://www.tripadvisor.com/UserReviewEdit-d1#Intent;scheme=https;{package}end"
    name = {"tripadvisor": "Tripadvisor", "facebook": "Facebook"}[platform]
    assert f"<h1>Leave your {name} review</h1>" in page and f"not signed in to {name}." in page
    assert store.stats.months["2026-11"][f"review_link_unique_clicks_{platform}"] == 1


def test_a_platform_without_an_app_is_handed_to_the_phones_browser(store: InMemoryStore) -> None:
    link(store, "https://reviews.example/venue", platform="other")
    page = follow("demo", TOKEN, ua.INSTAGRAM_ANDROID)["body"]
    assert hrefs(page) == ["intent://reviews.example/venue#Intent;scheme=https;end"] * 2 + [
        "https://reviews.example/venue"
    ]
    assert "<h1>Leave your review</h1>" in page and "not signed in to reviews.example." in page


@pytest.mark.parametrize(
    ("agent", "browser"),
    [
        (ua.CHROME_WINDOWS, "desktop"),
        (ua.SAFARI_MAC, "desktop"),
        (ua.CHROME_ANDROID, "android"),
        (ua.SAFARI_IPHONE, "ios"),
    ],
)
def test_any_other_browser_gets_the_plain_redirect(store: InMemoryStore, agent: str, browser: str) -> None:
    link(store, GOOGLE)
    response = follow("demo", TOKEN, agent)
    assert (response["statusCode"], response["headers"]["Location"]) == (302, GOOGLE)
    assert store.stats.months["2026-11"][f"review_link_browser_{browser}"] == 1


@pytest.mark.parametrize("agent", [ua.FACEBOOKEXTERNALHIT, ua.WHATSAPP, ua.SLACKBOT, ua.GOOGLEBOT_SMARTPHONE])
def test_a_link_preview_is_redirected_but_not_counted(store: InMemoryStore, agent: str) -> None:
    link(store, GOOGLE)
    response = follow("demo", TOKEN, agent)
    assert (response["statusCode"], response["headers"]["Location"]) == (302, GOOGLE)
    assert (store.links.by_token[TOKEN]["clicks"], store.links.by_token[TOKEN]["previews"]) == (0, 1)
    assert store.stats.months == {}
    follow("demo", TOKEN, ua.INSTAGRAM_IOS)  # the guest's own tap after the preview: their link's first
    assert store.stats.months["2026-11"]["review_link_unique_clicks_google"] == 1


def test_a_link_preview_of_an_unknown_link_is_a_404(store: InMemoryStore) -> None:
    assert follow("demo", "U" * 22, ua.FACEBOOKEXTERNALHIT)["statusCode"] == 404


@pytest.mark.parametrize(
    ("client", "language", "heading"),
    [
        ("demo", "pt", "Deixe a sua avaliação no Google"),  # the guest's language in the chat
        ("bar", None, "Schreib deine Google-Bewertung"),  # none kept: the venue's
        ("bar", "nl", "Schreib deine Google-Bewertung"),  # a language the page has no words for: the venue's
        ("demo", "nl", "Leave your Google review"),  # nor for the venue's: English
    ],
)
def test_the_page_speaks_the_guests_language_else_the_venues(
    edge: InMemoryEdge, client: str, language: str | None, heading: str
) -> None:
    link(edge.store_of(client), GOOGLE, language=language)
    page = follow(client, TOKEN, ua.INSTAGRAM_ANDROID)["body"]
    assert f"<h1>{heading}</h1>" in page


def test_the_page_has_words_for_every_built_in_language() -> None:
    assert EDGE_PAGE_LANGUAGES == LANGUAGES  # named apart only so that the webhook imports no Babel
    assert all(set(texts) == set(LANGUAGES) and all(texts.values()) for texts in LINK_LABELS.values())


def test_a_link_in_another_venues_table_is_not_found_under_this_client(edge: InMemoryEdge) -> None:
    link(edge.store_of("bar"), "https://bar.example/review")
    assert follow("demo", TOKEN)["statusCode"] == 404
    assert edge.store_of("bar").links.by_token[TOKEN]["clicks"] == 0


@pytest.mark.parametrize(
    ("client", "token"),
    [("nobody", TOKEN), ("Demo", TOKEN), ("demo", "U" * 22), ("demo", "short"), ("demo", "not%2Fa%2Ftoken")],
)
def test_an_unknown_client_or_link_is_a_small_404_page_never_a_500(edge: InMemoryEdge, client: str, token: str) -> None:
    link(edge.store_of("demo"), "https://demo.example/review")
    response = follow(client, token)
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "text/html"
    assert "Link not found" in response["body"]


def test_the_old_route_without_a_client_is_gone(edge: InMemoryEdge) -> None:
    assert call("GET", f"/l/{TOKEN}", route="/l/{token}", path_parameters={"token": TOKEN})["statusCode"] == 404


def test_a_failing_registry_on_a_link_fails_the_invocation_rather_than_redirect(edge: InMemoryEdge) -> None:
    edge.registry.failure = ConnectionError("DynamoDB unavailable")
    with pytest.raises(ConnectionError):
        follow("demo", TOKEN)
