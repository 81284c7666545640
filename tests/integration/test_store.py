from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.metering import item_size
from tagback.app.watchdog import report_alert
from tagback.domain.events import EventKind, InboundEvent
from tagback.store.repositories import Repositories
from tagback.store.schema import guest_key
from tests.conftest import registration
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


def test_a_mentions_counters_are_not_billed_for_the_months_snapshots(moto_endpoint: str, table: str) -> None:
    """A counter's ADD is billed per KB of the item it changes: the snapshot's values (about 9 a day) live apart."""
    dynamodb = client("dynamodb", moto_endpoint)
    store = Repositories.on(table, client=dynamodb)
    store.stats.add_to_month("2026-11", {"mentions": 1, "mentions_day_20": 1, "mentions_hour_21": 1})

    def counters_size() -> int:
        item = dynamodb.get_item(TableName=table, Key={"PK": {"S": "STATS#2026-11"}, "SK": {"S": "TOTALS"}})["Item"]
        return item_size(item)

    before = counters_size()
    snapshot = {"followers": 1180, "reach": 380, "views": 1450, "accounts_engaged": 64, "rating": "4.5"}
    for day in range(1, 31):
        store.stats.set_day_values("2026-11", day, snapshot | {"profile_links_taps": 9, "rating_count": 163})
    assert counters_size() == before
    assert store.stats.month_totals("2026-11")["reach_d30"] == 380  # the month still reads whole


def test_the_watchdog_expects_the_report_of_a_month_with_only_daily_snapshots(moto_endpoint: str, table: str) -> None:
    """A month without a mention still had the venue (its snapshots, on their own item): its report is due."""
    store = Repositories.on(table, client=client("dynamodb", moto_endpoint))
    venue = registration(no_mention_days=0)
    noon_on_the_1st = datetime(2026, 12, 1, 12, tzinfo=venue.tz)  # the venue's time
    assert report_alert(venue, store.stats, noon_on_the_1st) is None  # no figures: not live that month
    store.stats.set_day_values("2026-11", 3, {"followers": 1180})
    alert = report_alert(venue, store.stats, noon_on_the_1st)
    assert alert is not None and alert.key == "report-2026-11"
    store.stats.report_sent("2026-11", noon_on_the_1st - timedelta(hours=4))
    assert report_alert(venue, store.stats, noon_on_the_1st) is None
