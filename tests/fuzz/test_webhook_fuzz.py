"""Validly signed deliveries of every shape through the webhook Lambda's real entry point, on in-memory stores: never
a 5xx; every valid event stored in its venue's table, nothing stored from an invalid one, and every item that no
venue can take quarantined as it came."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.webhook import handler
from sandbox import meta_payloads as p
from sandbox.apigw import LambdaContext, http_api_event
from tagback.adapters.meta.webhook import sign
from tagback.config.environment import EdgeSettings
from tagback.domain.clock import ManualClock
from tests.conftest import APP_SECRET, APP_SECRET_PARAM, DEMO_ACCOUNT, VERIFY_TOKEN, VERIFY_TOKEN_PARAM, registration
from tests.fakes import InMemoryEdge, Secrets
from tests.fuzz.conftest import FUZZ_PROFILE

pytestmark = pytest.mark.fuzz

OTHER_ACCOUNT = "17841400000000002"
UNKNOWN_ACCOUNT = "17841400000000555"
TABLES = {DEMO_ACCOUNT: "tagback-demo", OTHER_ACCOUNT: "tagback-bar"}
SETTINGS = EdgeSettings.from_environ(
    {
        "REGISTRY_TABLE": "tagback-edge",
        "META_APP_SECRET_PARAM": APP_SECRET_PARAM,
        "META_VERIFY_TOKEN_PARAM": VERIFY_TOKEN_PARAM,
    }
)
SECRETS = Secrets({APP_SECRET_PARAM: APP_SECRET, VERIFY_TOKEN_PARAM: VERIFY_TOKEN})
CONTEXT = LambdaContext("tagback-webhook")
NOW = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)

# When Instagram can have sent a message, written independently of the parser's bounds.
FIRST_MS = int(datetime(2010, 10, 6, tzinfo=UTC).timestamp() * 1000)
END_MS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)

STORED = ("story_mention", "text", "quick_reply", "postback", "story_reply", "deleted")
ACKNOWLEDGED = ("echo", "read", "reaction", "edit")
# The fields the parser reads, by level: extra fields get other names.
READ_FIELDS = {
    "envelope": {"object", "entry"},
    "entry": {"id", "time", "messaging", "changes"},
    "item": {"sender", "recipient", "timestamp", "message", "postback", "read", "reaction", "message_edit"},
    "message": {"mid", "text", "attachments", "quick_reply", "reply_to", "is_echo", "is_deleted", "is_unsupported"},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# Unicode as guests type it, and now and then a lone surrogate escape (valid JSON, not valid UTF-8).
texts = st.text(max_size=40) | st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2
)
# Numbers, lists, objects, null and booleans where a string belongs.
not_strings = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.lists(st.text(max_size=3), max_size=2) | st.just({})
)
# Timestamps Instagram cannot have sent: 1e20 (a float), beyond 2099, before Instagram, floats, strings.
bad_stamps = st.one_of(
    st.just(1e20),
    st.integers(min_value=END_MS),
    st.integers(max_value=FIRST_MS - 1),
    st.floats(),
    st.text(max_size=12),
    st.none() | st.booleans() | st.lists(st.integers(), max_size=2) | st.just({}),
)


def extra_fields(level: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.text(max_size=12).filter(lambda k: k not in READ_FIELDS[level]), json_values, max_size=3)


def as_read(value: Any) -> Any:
    """A value as the webhook reads it back from JSON: two lone surrogate escapes in a row are one character (and
    two keys that become the same are one)."""
    return json.loads(json.dumps(value))


@dataclass
class Delivery:
    """A delivery as posted, and what the webhook must do with it."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    stored: set[tuple[str, str, str, str, str | None]] = field(default_factory=set)  # table, kind, mid, guest, text
    quarantined: list[object] = field(default_factory=list)  # the raw items, as they came
    items: int = 0


def _with_quick_reply(item: dict[str, Any]) -> dict[str, Any]:
    item["message"]["quick_reply"] = {"payload": "YES"}  # titled with the text as drawn, even empty
    return item


def _valid_item(kind: str, guest: str, account: str, mid: str, *, text: str, stamp: int) -> dict[str, Any]:
    build = {
        "story_mention": lambda: p.story_mention(guest, account, mid, stamp),
        "text": lambda: p.text(guest, account, mid, text, stamp),
        "quick_reply": lambda: _with_quick_reply(p.text(guest, account, mid, text, stamp)),
        "postback": lambda: p.postback(guest, account, mid, text, stamp),
        "story_reply": lambda: p.story_reply(guest, account, mid, text, stamp),
        "deleted": lambda: p.deleted(guest, account, mid, stamp),
        "echo": lambda: p.echo(guest, account, mid, stamp),
        "read": lambda: p.read(guest, account, mid, stamp),
        "reaction": lambda: p.reaction(guest, account, mid, stamp),
        "edit": lambda: p.edit(guest, account, mid, stamp),
    }
    return build[kind]()


def _corrupt(draw: st.DrawFn, item: dict[str, Any]) -> dict[str, Any]:
    """The item with one field the parser reads made wrong: a wrong type, missing, or a timestamp out of range."""
    corruption = draw(st.sampled_from(["sender", "recipient", "timestamp", "missing", "mid", "message", "shape"]))
    content = "postback" if "postback" in item else "message" if "message" in item else None
    if corruption == "shape":  # not an object at all
        return draw(st.lists(json_values, max_size=3) | st.integers() | st.text(max_size=5) | st.none())
    if corruption == "missing":
        missing = draw(st.sampled_from(["sender", "recipient", "timestamp"]))
        return {name: value for name, value in item.items() if name != missing}
    if corruption == "timestamp":
        return item | {"timestamp": draw(bad_stamps)}
    if corruption in {"sender", "recipient"}:
        return item | {corruption: draw(st.just({}) | st.builds(lambda v: {"id": v}, not_strings) | not_strings)}
    if corruption == "mid" and content is not None:
        return item | {content: item[content] | {"mid": draw(not_strings)}}
    if content is not None:  # the message or postback itself of the wrong type
        return item | {content: draw(st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2))}
    return item | {"timestamp": draw(bad_stamps)}


@st.composite
def deliveries(draw: st.DrawFn) -> Delivery:
    """Entries for the venues (and an unknown account), each item valid or made wrong, extra fields anywhere, now
    and then a batch of up to 1,000 items; every mid unique, so each item's fate can be told apart."""
    delivery = Delivery()
    mids = iter(range(1_000_000))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        account = draw(st.sampled_from([DEMO_ACCOUNT, OTHER_ACCOUNT, UNKNOWN_ACCOUNT]))
        templates = draw(
            st.lists(
                st.tuples(st.sampled_from(STORED + ACKNOWLEDGED), texts, st.booleans(), extra_fields("item")),
                min_size=1,
                max_size=6,
            )
        )
        size = draw(st.sampled_from([len(templates)] * 9 + [1000]))  # Meta's largest batch, in one entry of ten
        guests = draw(st.lists(texts, min_size=1, max_size=3))
        messaging = []
        for n in range(size):
            kind, text, valid, extra = templates[n % len(templates)]
            guest, mid = guests[n % len(guests)], f"m{next(mids)}.{text[:8]}"
            stamp = draw(st.integers(min_value=FIRST_MS, max_value=END_MS - 1)) if n < len(templates) else NOW_MS
            item = _valid_item(kind, guest, account, mid, text=text, stamp=stamp)
            if "message" in item and n < len(templates):
                item["message"] |= draw(extra_fields("message"))
            item |= extra
            if not valid:
                item = _corrupt(draw, item)
                delivery.quarantined.append(as_read(item))
            elif account == UNKNOWN_ACCOUNT and kind in STORED:
                delivery.quarantined.append(as_read(item))
            elif kind in STORED:
                kept_text = None if kind in {"story_mention", "deleted", "postback"} else as_read(text)
                delivery.stored.add((TABLES[account], kind, as_read(mid), as_read(guest), kept_text))
            messaging.append(item)
        entry = {"id": account, "time": NOW_MS, "messaging": messaging} | draw(extra_fields("entry"))
        delivery.entries.append(entry)
        delivery.items += size
    return delivery


def post(body: bytes, as_base64: bool) -> dict[str, Any]:
    headers = {"X-Hub-Signature-256": sign(body, APP_SECRET)}
    return handler.lambda_handler(
        http_api_event("POST", "/webhook", body=body, headers=headers, force_base64=as_base64), CONTEXT
    )


def fresh_edge() -> InMemoryEdge:
    edge = InMemoryEdge(registration("demo", DEMO_ACCOUNT), registration("bar", OTHER_ACCOUNT))
    handler.edge.override(edge.edge(SETTINGS, SECRETS, ManualClock(NOW)))
    return edge


def stored_events(edge: InMemoryEdge) -> set[tuple[str, str, str, str, str | None]]:
    return {
        (table, item["kind"], item["mid"], item["guest_id"], item.get("text"))
        for (_, table), store in edge.venues.stores.items()
        for item in store.inbound.items.values()
    }


def as_json(raw: object) -> str:
    return json.dumps(raw, sort_keys=True, default=str)


@pytest.fixture(autouse=True)
def no_edge_left_behind() -> Any:
    yield
    handler.edge.override(None)


@settings(settings.get_profile(FUZZ_PROFILE))
@given(
    delivery=deliveries(),
    envelope_extra=extra_fields("envelope"),
    as_base64=st.booleans(),
    redelivered=st.booleans(),
)
def test_every_signed_delivery_stores_exactly_its_valid_events_and_quarantines_the_rest(
    delivery: Delivery, envelope_extra: dict[str, Any], as_base64: bool, redelivered: bool
) -> None:
    edge = fresh_edge()
    body = p.meta_json({"object": "instagram", "entry": delivery.entries} | envelope_extra)
    response = post(body, as_base64)
    assert response["statusCode"] == 200, response
    answer = json.loads(response["body"])
    assert answer["received"] == delivery.items and answer["stored"] == len(delivery.stored)
    assert stored_events(edge) == delivery.stored
    assert {as_json(raw) for raw, _ in edge.quarantine.items} == {as_json(raw) for raw in delivery.quarantined}
    if redelivered:  # Meta delivers at least once: the same bytes again store nothing new
        again = json.loads(post(body, as_base64)["body"])
        assert again["stored"] == 0 and again["duplicates"] == len(delivery.stored)
        assert stored_events(edge) == delivery.stored


@settings(settings.get_profile(FUZZ_PROFILE))
@given(
    body=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda value: json.dumps(value).encode()),
        json_values.map(lambda value: p.meta_json({"object": "instagram", "entry": value})),
        json_values.map(lambda value: p.meta_json({"object": "instagram", "entry": [{"id": "1", "messaging": value}]})),
    ),
    as_base64=st.booleans(),
)
def test_a_signed_body_of_any_other_shape_is_refused_or_acknowledged_and_stores_nothing(
    body: bytes, as_base64: bool
) -> None:
    edge = fresh_edge()
    response = post(body, as_base64)
    assert response["statusCode"] in {200, 400}, response
    assert stored_events(edge) == set()
