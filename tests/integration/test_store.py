from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tagback.domain.events import EventKind, InboundEvent
from tagback.store.repositories import Repositories
from tagback.store.schema import guest_key
from tests.integration.conftest import client

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=90)


def event(mid: str, kind: EventKind = EventKind.TEXT, guest: str = "g1") -> InboundEvent:
    return InboundEvent(kind=kind, mid=mid, guest_id=guest, account_id="17841400000000001", sent_at=NOW, text="olá")


def test_conditional_put_dedupes_by_mid(moto_endpoint: str, table: str) -> None:
    store = Repositories.on(table, client=client("dynamodb", moto_endpoint))
    assert store.inbound.add([event("m1"), event("m2")], NOW, LATER) == [True, True]
    assert store.inbound.add([event("m2"), event("m3")], NOW, LATER) == [False, True]
    items = store.table.items_under(guest_key("g1"))
    assert [i["SK"] for i in items] == ["IN#m1", "IN#m2", "IN#m3"]
    assert items[0]["text"] == "olá" and items[0]["expires_at"] == int(LATER.timestamp())
    assert items[0]["item_type"] == "inbound_event"


def test_a_large_batch_is_written_in_parallel_exactly_once(moto_endpoint: str, table: str) -> None:
    store = Repositories.on(table, client=client("dynamodb", moto_endpoint))
    events = [event(f"m{i:03}", guest=f"g{i % 7}") for i in range(120)]
    assert all(store.inbound.add(events, NOW, LATER))
    assert not any(store.inbound.add(events, NOW, LATER))
    assert sum(len(store.table.items_under(guest_key(f"g{g}"))) for g in range(7)) == 120
