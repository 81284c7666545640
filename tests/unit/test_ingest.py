from __future__ import annotations

from collections import Counter

import pytest

from sandbox import meta_payloads as p
from tagback.adapters.meta.webhook import sign
from tagback.app.ingest import WebhookRejected, ingest
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tests.conftest import APP_SECRET
from tests.fakes import InMemoryStore

GUEST = "9001"


def run(
    body: bytes,
    config: ClientConfig,
    store: InMemoryStore,
    clock: ManualClock,
    signature: str | None = "sign",
):
    header = sign(body, APP_SECRET) if signature == "sign" else signature
    return ingest(body, header, app_secret=APP_SECRET, config=config, store=store.inbound, clock=clock)


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


def test_a_batch_stores_exactly_the_storable_items(demo_config: ClientConfig, clock: ManualClock) -> None:
    store = InMemoryStore()
    report = run(batch(demo_config.instagram_account_id), demo_config, store, clock)
    assert sorted(e.mid for e in report.stored) == ["m1", "m3", "m4", "m5"]
    assert report.acknowledged == Counter({"echo": 1, "read": 1})
    assert report.received == 6
    assert sorted(sk for _, sk in store.inbound.items) == ["IN#m1", "IN#m3", "IN#m4", "IN#m5"]


def test_redeliveries_store_nothing_new(demo_config: ClientConfig, clock: ManualClock) -> None:
    store = InMemoryStore()
    body = batch(demo_config.instagram_account_id)
    reports = [run(body, demo_config, store, clock) for _ in range(5)]
    assert [len(r.stored) for r in reports] == [4, 0, 0, 0, 0]
    assert [r.duplicates for r in reports] == [0, 4, 4, 4, 4]
    assert len(store.inbound.items) == 4


def test_a_deletion_is_stored_beside_the_message_it_deletes(demo_config: ClientConfig, clock: ManualClock) -> None:
    store = InMemoryStore()
    us = demo_config.instagram_account_id
    run(p.meta_json(p.envelope(us, [p.story_mention(GUEST, us, "m1")])), demo_config, store, clock)
    report = run(p.meta_json(p.envelope(us, [p.deleted(GUEST, us, "m1")])), demo_config, store, clock)
    assert [e.kind.value for e in report.stored] == ["deleted"]
    assert set(store.inbound.items) == {(f"GUEST#{GUEST}", "IN#m1"), (f"GUEST#{GUEST}", "IN#m1#DELETED")}


def test_events_for_another_account_are_ignored(demo_config: ClientConfig, clock: ManualClock) -> None:
    store = InMemoryStore()
    report = run(p.meta_json(p.envelope("555", [p.story_mention(GUEST, "555", "m1")])), demo_config, store, clock)
    assert report.other_account == 1 and not store.inbound.items


def test_a_malformed_item_is_quarantined_and_its_neighbours_stored(
    demo_config: ClientConfig, clock: ManualClock
) -> None:
    store = InMemoryStore()
    us = demo_config.instagram_account_id
    bad = {**p.text(GUEST, us, "m9", "x"), "timestamp": "yesterday"}
    report = run(p.meta_json(p.envelope(us, [bad, p.text(GUEST, us, "m1", "hi")])), demo_config, store, clock)
    assert [e.mid for e in report.stored] == ["m1"]
    assert report.quarantined == ["timestamp: int_type"]
    assert store.inbound.quarantined == [(bad, "timestamp: int_type")]


def test_items_expire_after_the_retention_period(demo_config: ClientConfig, clock: ManualClock) -> None:
    store = InMemoryStore()
    us = demo_config.instagram_account_id
    run(p.meta_json(p.envelope(us, [p.text(GUEST, us, "m1", "hi")])), demo_config, store, clock)
    (item,) = store.inbound.items.values()
    assert item["expires_at"] == int(clock.now().timestamp()) + demo_config.retention_days * 86400
    assert item["received_at"] == clock.now().isoformat()


@pytest.mark.parametrize("signature", [None, "sha256=00", "sign-with-another-secret"])
def test_unsigned_or_forged_bodies_are_refused_and_nothing_is_stored(
    demo_config: ClientConfig, clock: ManualClock, signature: str | None
) -> None:
    store = InMemoryStore()
    body = batch(demo_config.instagram_account_id)
    if signature == "sign-with-another-secret":
        signature = sign(body, "another-secret")
    with pytest.raises(WebhookRejected) as rejected:
        run(body, demo_config, store, clock, signature=signature)
    assert rejected.value.status == 403
    assert not store.inbound.items


def test_signed_garbage_is_a_400(demo_config: ClientConfig, clock: ManualClock) -> None:
    with pytest.raises(WebhookRejected) as rejected:
        run(b'{"object":"instagram","entry":[', demo_config, InMemoryStore(), clock)
    assert rejected.value.status == 400
