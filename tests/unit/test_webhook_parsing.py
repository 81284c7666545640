from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox import meta_payloads as p
from tagback.adapters.meta.webhook import MalformedItem, classify, iter_items, parse_envelope, read_item
from tagback.domain.events import EventKind, InboundEvent

GUEST, US = "9001", "17841400000000001"


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        (p.story_mention(GUEST, US, "m1"), EventKind.STORY_MENTION),
        (p.text(GUEST, US, "m2", "hello"), EventKind.TEXT),
        (p.quick_reply(GUEST, US, "m3", "LANG:pt"), EventKind.QUICK_REPLY),
        (p.postback(GUEST, US, "m4", "REVIEW_YES:x"), EventKind.POSTBACK),
        (p.story_reply(GUEST, US, "m5", "love it"), EventKind.STORY_REPLY),
        (p.deleted(GUEST, US, "m6"), EventKind.DELETED),
        (p.echo(GUEST, US, "m7"), EventKind.ECHO),
        (p.read(GUEST, US, "m8"), EventKind.READ),
        (p.reaction(GUEST, US, "m9"), EventKind.REACTION),
        (p.edit(GUEST, US, "m10"), EventKind.EDIT),
        (
            {**p.text(GUEST, US, "m11", "x"), "message": {"mid": "m11", "is_unsupported": True}},
            EventKind.UNSUPPORTED,
        ),
        (
            {**p.text(GUEST, US, "m12", "x"), "message": {"mid": "m12", "attachments": [{"type": "image"}]}},
            EventKind.ATTACHMENT,
        ),
        (
            {"sender": {"id": GUEST}, "recipient": {"id": US}, "timestamp": 1_764_000_000_000, "referral": {}},
            EventKind.UNKNOWN,
        ),
    ],
)
def test_each_documented_kind_is_recognised(item: dict, kind: EventKind) -> None:
    outcome = classify(read_item(item))
    assert (outcome.kind if isinstance(outcome, InboundEvent) else outcome) is kind


def test_story_mention_keeps_only_the_url_and_the_ids() -> None:
    event = classify(read_item(p.story_mention(GUEST, US, "mid.abc", time_ms=1_764_000_123_456)))
    assert isinstance(event, InboundEvent)
    assert (event.mid, event.guest_id, event.account_id) == ("mid.abc", GUEST, US)
    assert event.sent_at == datetime(2025, 11, 24, 16, 2, 3, 456000, tzinfo=UTC)
    assert event.story_url is not None and event.story_url.startswith("https://lookaside.fbsbx.com/")


def test_payloads_of_quick_replies_and_postbacks_are_kept() -> None:
    for item in (p.quick_reply(GUEST, US, "a", "LANG:pt"), p.postback(GUEST, US, "b", "LANG:pt")):
        event = classify(read_item(item))
        assert isinstance(event, InboundEvent) and event.payload == "LANG:pt"


def test_unknown_fields_are_tolerated_wrong_types_are_not() -> None:
    item = p.text(GUEST, US, "m1", "hi")
    item["message"]["brand_new_field"] = {"x": 1}
    item["something_meta_added"] = True
    assert isinstance(classify(read_item(item)), InboundEvent)
    with pytest.raises(MalformedItem, match="timestamp"):
        read_item({**item, "timestamp": "soon"})
    with pytest.raises(MalformedItem, match=r"sender\.id"):
        read_item({**item, "sender": {"id": 9001}})
    with pytest.raises(MalformedItem):
        read_item("not an item")


def test_dashboard_test_form_is_read_like_messaging() -> None:
    envelope = parse_envelope(p.meta_json(p.dashboard_test(GUEST, US, "m-test", "hello")))
    (event,) = [classify(i) for i in iter_items(envelope)]
    assert isinstance(event, InboundEvent)
    assert event.kind is EventKind.TEXT and event.sent_at == datetime.fromtimestamp(1_764_000_000, UTC)


def test_changes_of_other_fields_are_unknown_not_errors() -> None:
    body = {
        "object": "instagram",
        "entry": [{"id": US, "changes": [{"field": "comments", "value": {"id": "1"}}]}],
    }
    assert [classify(i) for i in iter_items(parse_envelope(p.meta_json(body)))] == [EventKind.UNKNOWN]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"object":"page","entry":[]}', "object"),
        (b'{"object":"instagram"}', "entry"),
        (b'{"object":"instagram","entry":{}}', "entry"),
        (b"[1,2]", "Instagram webhook envelope"),
    ],
)
def test_envelope_errors_say_why(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_envelope(body)
