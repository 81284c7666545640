"""The edge's ingestion: one signed delivery of the agency's app, each venue's events into that venue's table."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from sandbox import meta_payloads as p
from tagback.adapters.meta.webhook import sign
from tagback.app.ingest import QUARANTINE_RETENTION, IngestReport, WebhookRejected, ingest
from tagback.domain.clock import ManualClock
from tests.conftest import APP_SECRET, DEMO_ACCOUNT, registration
from tests.fakes import InMemoryEdge

GUEST = "9001"
OTHER_ACCOUNT = "17841400000000002"  # the second venue's
UNKNOWN_ACCOUNT = "17841400000000555"  # connected to the app, registered by no venue


@pytest.fixture
def edge() -> InMemoryEdge:
    return InMemoryEdge(
        registration("demo", DEMO_ACCOUNT, retention_days=90),
        registration("bar", OTHER_ACCOUNT, retention_days=30),
    )


def run(body: bytes, edge: InMemoryEdge, clock: ManualClock, signature: str | None = "sign") -> IngestReport:
    header = sign(body, APP_SECRET) if signature == "sign" else signature
    return ingest(
        body,
        header,
        app_secret=APP_SECRET,
        registry=edge.registry,
        inbound_of=lambda venue: edge.venues.of(venue).inbound,
        quarantine=edge.quarantine,
        clock=clock,
    )


def delivery(*entries: tuple[str, list[dict[str, Any]]]) -> bytes:
    """One delivery of the agency's app: an entry per (account, messaging items)."""
    return p.meta_json(
        {"object": "instagram", "entry": [e for account, items in entries for e in p.envelope(account, items)["entry"]]}
    )


def batch(us: str) -> bytes:
    """3 entries × 2 messaging items: 4 storable, an echo and a read receipt."""
    return p.meta_json(
        p.envelope(
            us,
            [p.story_mention("g1", us, "m1"), p.echo("g1", us, "m2")],
            [p.text("g2", us, "m3", "olá"), p.quick_reply("g2", us, "m4", "LANG:pt")],
            [p.postback("g3", us, "m5", "REVIEW_NO:x"), p.read("g3", us, "m6")],
        )
    )


def mixed() -> bytes:
    """Two venues, an unregistered account, and a malformed item, in one delivery."""
    bad = {**p.text("g9", DEMO_ACCOUNT, "m9", "x"), "timestamp": "yesterday"}
    return delivery(
        (DEMO_ACCOUNT, [p.story_mention("g1", DEMO_ACCOUNT, "d1"), bad]),
        (OTHER_ACCOUNT, [p.text("g2", OTHER_ACCOUNT, "b1", "hi"), p.story_mention("g3", OTHER_ACCOUNT, "b2")]),
        (UNKNOWN_ACCOUNT, [p.story_mention("g4", UNKNOWN_ACCOUNT, "u1")]),
    )


def test_a_batch_stores_exactly_the_storable_items(edge: InMemoryEdge, clock: ManualClock) -> None:
    report = run(batch(DEMO_ACCOUNT), edge, clock)
    assert sorted(e.mid for e in report.stored) == ["m1", "m3", "m4", "m5"]
    assert report.acknowledged == Counter({"echo": 1, "read": 1})
    assert report.received == 6
    assert sorted(sk for _, sk in edge.store_of("demo").inbound.items) == ["IN#m1", "IN#m3", "IN#m4", "IN#m5"]


def test_one_delivery_for_two_venues_lands_in_each_venues_table_only(edge: InMemoryEdge, clock: ManualClock) -> None:
    body = delivery(
        (DEMO_ACCOUNT, [p.story_mention("g1", DEMO_ACCOUNT, "d1"), p.text("g1", DEMO_ACCOUNT, "d2", "olá")]),
        (OTHER_ACCOUNT, [p.story_mention("g2", OTHER_ACCOUNT, "b1")]),
    )
    report = run(body, edge, clock)
    assert report.by_client == Counter({"demo": 2, "bar": 1})
    assert sorted(edge.store_of("demo").inbound.items) == [("GUEST#g1", "IN#d1"), ("GUEST#g1", "IN#d2")]
    assert sorted(edge.store_of("bar").inbound.items) == [("GUEST#g2", "IN#b1")]
    assert edge.venues.written() == {"tagback-demo": 2, "tagback-bar": 1}  # no other table touched
    assert edge.quarantine.items == []


def test_each_venues_events_expire_after_its_own_retention(edge: InMemoryEdge, clock: ManualClock) -> None:
    run(
        delivery(
            (DEMO_ACCOUNT, [p.text(GUEST, DEMO_ACCOUNT, "d1", "hi")]),
            (OTHER_ACCOUNT, [p.text(GUEST, OTHER_ACCOUNT, "b1", "hi")]),
        ),
        edge,
        clock,
    )
    received = int(clock.now().timestamp())
    ((demo_item,), (bar_item,)) = (edge.store_of(c).inbound.items.values() for c in ("demo", "bar"))
    assert demo_item["expires_at"] == received + 90 * 86400
    assert bar_item["expires_at"] == received + 30 * 86400
    assert demo_item["received_at"] == clock.now().isoformat()


def test_redeliveries_store_nothing_new(edge: InMemoryEdge, clock: ManualClock) -> None:
    body = batch(DEMO_ACCOUNT)
    reports = [run(body, edge, clock) for _ in range(5)]
    assert [len(r.stored) for r in reports] == [4, 0, 0, 0, 0]
    assert [r.duplicates for r in reports] == [0, 4, 4, 4, 4]
    assert len(edge.store_of("demo").inbound.items) == 4


def test_a_deletion_is_stored_beside_the_message_it_deletes(edge: InMemoryEdge, clock: ManualClock) -> None:
    run(p.meta_json(p.envelope(DEMO_ACCOUNT, [p.story_mention(GUEST, DEMO_ACCOUNT, "m1")])), edge, clock)
    report = run(p.meta_json(p.envelope(DEMO_ACCOUNT, [p.deleted(GUEST, DEMO_ACCOUNT, "m1")])), edge, clock)
    assert [e.kind.value for e in report.stored] == ["deleted"]
    assert set(edge.store_of("demo").inbound.items) == {
        (f"GUEST#{GUEST}", "IN#m1"),
        (f"GUEST#{GUEST}", "IN#m1#DELETED"),
    }


def test_an_unknown_account_is_quarantined_and_counted_beside_a_known_venue(
    edge: InMemoryEdge, clock: ManualClock, metric_counts: Counter[str]
) -> None:
    unknown = p.story_mention("g4", UNKNOWN_ACCOUNT, "u1")
    report = run(
        delivery((UNKNOWN_ACCOUNT, [unknown]), (DEMO_ACCOUNT, [p.story_mention("g1", DEMO_ACCOUNT, "d1")])),
        edge,
        clock,
    )
    assert report.unknown_account == 1 and [e.mid for e in report.stored] == ["d1"]
    assert edge.quarantine.items == [(unknown, f"no venue registered for account {UNKNOWN_ACCOUNT}")]
    assert edge.quarantine.expiries == [clock.now() + QUARANTINE_RETENTION]
    assert edge.venues.written() == {"tagback-demo": 1}
    assert metric_counts["InboundUnknownAccount"] == 1 and metric_counts["InboundStored"] == 1


def test_a_malformed_item_is_quarantined_at_the_edge_and_its_neighbours_stored(
    edge: InMemoryEdge, clock: ManualClock
) -> None:
    bad = {**p.text(GUEST, DEMO_ACCOUNT, "m9", "x"), "timestamp": "yesterday"}
    body = p.meta_json(p.envelope(DEMO_ACCOUNT, [bad, p.text(GUEST, DEMO_ACCOUNT, "m1", "hi")]))
    report = run(body, edge, clock)
    assert [e.mid for e in report.stored] == ["m1"]
    assert report.quarantined == ["timestamp: int_type"]
    assert edge.quarantine.items == [(bad, "timestamp: int_type")]


# 1e20 (a float), the calendar's ends (a crash in the conversation's local day), before Instagram, after 2099.
@pytest.mark.parametrize(
    "stamp", [10**20, 1e20, -(10**20), 253_402_300_799_999, 0, 1_286_323_199_999, 4_102_444_800_000]
)
def test_an_item_stamped_when_instagram_cannot_have_sent_it_is_quarantined_and_its_neighbours_stored(
    edge: InMemoryEdge, clock: ManualClock, stamp: int
) -> None:
    bad = {**p.text(GUEST, DEMO_ACCOUNT, "m9", "x"), "timestamp": stamp}
    earliest = p.text(GUEST, DEMO_ACCOUNT, "m2", "first", time_ms=1_286_323_200_000)  # 2010-10-06, Instagram's launch
    latest = p.text(GUEST, DEMO_ACCOUNT, "m3", "last", time_ms=4_102_444_799_999)  # 2099-12-31
    body = p.meta_json(p.envelope(DEMO_ACCOUNT, [bad, p.text(GUEST, DEMO_ACCOUNT, "m1", "hi"), earliest, latest]))
    report = run(body, edge, clock)
    assert [e.mid for e in report.stored] == ["m1", "m2", "m3"]
    (reason,) = report.quarantined
    assert reason.startswith("timestamp: ")
    assert edge.quarantine.items == [(bad, reason)]


def test_the_body_is_read_in_one_pass_without_json_loads(
    edge: InMemoryEdge, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_: object, **__: object) -> None:
        raise AssertionError("the body was parsed twice")

    monkeypatch.setattr(json, "loads", refused)
    report = run(batch(DEMO_ACCOUNT), edge, clock)
    assert sorted(e.mid for e in report.stored) == ["m1", "m3", "m4", "m5"]


def test_an_unknown_accounts_item_is_quarantined_as_it_came_with_the_fields_we_do_not_read(
    edge: InMemoryEdge, clock: ManualClock
) -> None:
    unknown = p.story_mention("g4", UNKNOWN_ACCOUNT, "u1")
    unknown["message"]["brand_new_field"] = {"x": [1, "é"]}
    run(delivery((UNKNOWN_ACCOUNT, [unknown])), edge, clock)
    assert edge.quarantine.items == [(unknown, f"no venue registered for account {UNKNOWN_ACCOUNT}")]


def test_a_text_with_a_lone_surrogate_escape_is_stored_as_before(edge: InMemoryEdge, clock: ManualClock) -> None:
    body = p.meta_json(p.envelope(DEMO_ACCOUNT, [p.text(GUEST, DEMO_ACCOUNT, "m1", "x")])).replace(b'"x"', b'"\\ud800"')
    (event,) = run(body, edge, clock).stored
    assert event.text == "\ud800"


def test_a_failing_registry_is_a_503_and_nothing_is_written_anywhere(edge: InMemoryEdge, clock: ManualClock) -> None:
    edge.registry.failure = ConnectionError("DynamoDB unavailable")
    with pytest.raises(WebhookRejected) as rejected:
        run(mixed(), edge, clock)
    assert rejected.value.status == 503
    assert edge.venues.written() == {}
    assert edge.quarantine.items == []  # not even the malformed item: Meta redelivers all of it


def test_every_account_is_looked_up_once_per_delivery(edge: InMemoryEdge, clock: ManualClock) -> None:
    report = run(mixed(), edge, clock)
    assert edge.registry.lookups == 3  # demo, bar and the unknown one, whatever the number of items
    assert report.by_client == Counter({"demo": 1, "bar": 2})
    assert (report.unknown_account, report.quarantined) == (1, ["timestamp: int_type"])
    assert report.received == 5


@pytest.mark.parametrize("signature", [None, "sha256=00", "sign-with-another-secret"])
def test_a_bad_signature_refuses_the_whole_mixed_delivery(
    edge: InMemoryEdge, clock: ManualClock, signature: str | None
) -> None:
    body = mixed()
    if signature == "sign-with-another-secret":
        signature = sign(body, "another-secret")
    with pytest.raises(WebhookRejected) as rejected:
        run(body, edge, clock, signature=signature)
    assert rejected.value.status == 403
    assert edge.venues.written() == {} and edge.quarantine.items == []
    assert edge.registry.lookups == 0  # refused before anything is looked up


def test_signed_garbage_is_a_400(edge: InMemoryEdge, clock: ManualClock) -> None:
    with pytest.raises(WebhookRejected) as rejected:
        run(b'{"object":"instagram","entry":[', edge, clock)
    assert rejected.value.status == 400


def test_a_venue_registered_later_is_routed_at_once(edge: InMemoryEdge, clock: ManualClock) -> None:
    body = delivery((UNKNOWN_ACCOUNT, [p.story_mention("g4", UNKNOWN_ACCOUNT, "u1")]))
    assert run(body, edge, clock).unknown_account == 1
    edge.registry.register(registration("late", UNKNOWN_ACCOUNT))
    clock.advance(timedelta(seconds=1))
    assert [e.mid for e in run(body, edge, clock).stored] == ["u1"]
    assert edge.venues.written() == {"tagback-late": 1}
