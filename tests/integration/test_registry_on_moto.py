"""The edge's registry of venues on the moto server (DynamoDB's transactions and conditions, not a test double's),
and the same contract against the in-memory fake the unit tests use."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.registrations import AccountTaken, Registration
from tagback.domain.watchdog import Silence
from tagback.store.registry import REGISTRATION_CACHE_SECONDS, AlertMarks, Quarantine, Registry, VenueTables
from tagback.store.schema import guest_key, key
from tagback.store.table import Table
from tests.conftest import DEMO_ACCOUNT, registration
from tests.fakes import InMemoryQuarantine, InMemoryRegistry
from tests.integration.conftest import REGION, client

pytestmark = pytest.mark.integration
OTHER_ACCOUNT = "17841400000000002"
NOW = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "in_memory"])
def registry(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryRegistry()
    endpoint, table = request.getfixturevalue("moto_endpoint"), request.getfixturevalue("edge_table")
    return Registry(Table(table, client("dynamodb", endpoint)), cache_seconds=0)


def test_a_venue_is_found_by_its_account_and_by_its_client(registry: Any) -> None:
    venue = registration("demo", DEMO_ACCOUNT, retention_days=45)
    assert registry.by_account(DEMO_ACCOUNT) is None and registry.by_client("demo") is None
    registry.register(venue)
    assert registry.by_account(DEMO_ACCOUNT) == venue == registry.by_client("demo")
    assert registry.by_account(OTHER_ACCOUNT) is None and registry.by_client("bar") is None


def test_the_redemption_pages_language_and_prize_names_are_kept(registry: Any) -> None:
    names = (("brunch-for-two", "Brunch für zwei"), ("espresso", "Gratis-Espresso"))
    venue = registration("demo", DEMO_ACCOUNT, language="de", prize_names=names)
    registry.register(venue)
    assert registry.by_client("demo") == venue == registry.by_account(DEMO_ACCOUNT)


def test_registering_the_same_client_again_is_idempotent_and_updates_it(registry: Any) -> None:
    registry.register(registration("demo", DEMO_ACCOUNT))
    registry.register(registration("demo", DEMO_ACCOUNT))
    renamed = registration("demo", DEMO_ACCOUNT, venue_name="Café Aurora Chiado", retention_days=30)
    registry.register(renamed)
    assert registry.by_account(DEMO_ACCOUNT) == renamed == registry.by_client("demo")


def test_another_client_for_a_taken_account_is_refused_naming_both(registry: Any) -> None:
    owner = registration("demo", DEMO_ACCOUNT, venue_name="Café Aurora")
    registry.register(owner)
    with pytest.raises(AccountTaken) as taken:
        registry.register(registration("bistro", DEMO_ACCOUNT))
    message = str(taken.value)
    assert f"Instagram account {DEMO_ACCOUNT} is already registered to client 'demo' (Café Aurora)" in message
    assert "client 'bistro' cannot register it too" in message and "Tagback-demo" in message
    assert taken.value.owner == owner
    assert registry.by_account(DEMO_ACCOUNT) == owner and registry.by_client("bistro") is None


def test_changing_account_releases_the_old_one(registry: Any) -> None:
    registry.register(registration("demo", DEMO_ACCOUNT))
    moved = registration("demo", OTHER_ACCOUNT)
    registry.register(moved)
    assert registry.by_account(DEMO_ACCOUNT) is None
    assert registry.by_account(OTHER_ACCOUNT) == moved == registry.by_client("demo")
    registry.register(registration("bistro", DEMO_ACCOUNT))  # the old account is free for another venue
    assert registry.by_account(DEMO_ACCOUNT) == registry.by_client("bistro")


def test_a_refused_account_change_keeps_the_old_registration(registry: Any) -> None:
    registry.register(registration("bistro", OTHER_ACCOUNT))
    mine = registration("demo", DEMO_ACCOUNT)
    registry.register(mine)
    with pytest.raises(AccountTaken):
        registry.register(registration("demo", OTHER_ACCOUNT))
    assert registry.by_client("demo") == mine == registry.by_account(DEMO_ACCOUNT)  # nothing half written


def test_unregistering_frees_the_account_and_returns_what_was_removed(registry: Any) -> None:
    venue = registration("demo", DEMO_ACCOUNT)
    registry.register(venue)
    registry.register(registration("bar", OTHER_ACCOUNT))
    assert registry.unregister("demo") == venue
    assert registry.by_account(DEMO_ACCOUNT) is None and registry.by_client("demo") is None
    assert registry.unregister("demo") is None
    assert registry.by_client("bar") is not None  # the other venue stays
    registry.register(registration("bistro", DEMO_ACCOUNT))


def test_one_account_goes_to_exactly_one_of_many_concurrent_clients(registry: Any) -> None:
    def claim(client_id: str) -> bool:
        try:
            registry.register(registration(client_id, DEMO_ACCOUNT))
        except AccountTaken:
            return False
        except Exception:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        won = list(pool.map(claim, [f"venue-{i}" for i in range(8)]))
    owner = registry.by_account(DEMO_ACCOUNT)
    assert won.count(True) == 1 and owner is not None
    assert owner.client_id == f"venue-{won.index(True)}"
    assert [registry.by_client(f"venue-{i}") is not None for i in range(8)] == won


@pytest.fixture(params=["dynamodb", "in_memory"])
def quarantine(request: pytest.FixtureRequest) -> tuple[Any, Callable[[], list[str]]]:
    """A quarantine, and how to read back the reasons it holds."""
    if request.param == "in_memory":
        fake = InMemoryQuarantine()
        return fake, lambda: [reason for _, reason in fake.items]
    endpoint, name = request.getfixturevalue("moto_endpoint"), request.getfixturevalue("edge_table")
    table = Table(name, client("dynamodb", endpoint))
    return Quarantine(table), lambda: sorted(item["reason"] for item in table.items_of_type("quarantined"))


def test_a_delivery_redelivered_at_the_same_moment_is_quarantined_once(
    quarantine: tuple[Any, Callable[[], list[str]]],
) -> None:
    store, reasons = quarantine
    raw = {"sender": {"id": "g1"}, "recipient": {"id": "555"}, "timestamp": 1}
    for received_at in (NOW, NOW, NOW + timedelta(seconds=1)):
        store.add(raw, "no venue registered for account 555", received_at, NOW + timedelta(days=30))
    store.add({**raw, "timestamp": 2}, "timestamp: int_type", NOW, NOW + timedelta(days=30))
    assert sorted(reasons()) == ["no venue registered for account 555"] * 2 + ["timestamp: int_type"]


# -- DynamoDB only ---------------------------------------------------------------------------------------------------
class Ticking:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def test_lookups_are_cached_for_a_minute_and_unknown_accounts_not_at_all(moto_endpoint: str, edge_table: str) -> None:
    table = Table(edge_table, client("dynamodb", moto_endpoint))
    registrar, now = Registry(table), Ticking()
    webhook = Registry(table, now=now)  # another function's container, with its own cache
    assert webhook.by_account(DEMO_ACCOUNT) is None
    venue = registration("demo", DEMO_ACCOUNT)
    registrar.register(venue)
    assert webhook.by_account(DEMO_ACCOUNT) == venue  # a new venue is routed at once
    assert webhook.by_client("demo") == venue
    registrar.unregister("demo")
    now.seconds = REGISTRATION_CACHE_SECONDS - 1
    assert webhook.by_account(DEMO_ACCOUNT) == venue and webhook.by_client("demo") == venue  # cached
    now.seconds = REGISTRATION_CACHE_SECONDS
    assert webhook.by_account(DEMO_ACCOUNT) is None and webhook.by_client("demo") is None


def test_the_two_items_of_a_registration(moto_endpoint: str, edge_table: str) -> None:
    table = Table(edge_table, client("dynamodb", moto_endpoint))
    Registry(table).register(registration("demo", DEMO_ACCOUNT))
    by_account, by_client = (
        table.get(key(f"ACCOUNT#{DEMO_ACCOUNT}", "REGISTRATION")),
        table.get(key("CLIENT#demo", "REGISTRATION")),
    )
    assert by_account is not None and by_client is not None
    assert by_account["item_type"] == by_client["item_type"] == "registration"
    assert by_account["client_id"] == "demo" and by_client["account_id"] == DEMO_ACCOUNT


def test_a_half_unregistered_client_can_register_a_new_account(moto_endpoint: str, edge_table: str) -> None:
    """An unregister that failed between its two deletes left the client's item without its account's."""
    table = Table(edge_table, client("dynamodb", moto_endpoint))
    registry = Registry(table, cache_seconds=0)
    registry.register(registration("demo", DEMO_ACCOUNT))
    table.delete(key(f"ACCOUNT#{DEMO_ACCOUNT}", "REGISTRATION"))
    moved = registration("demo", OTHER_ACCOUNT)
    registry.register(moved)
    assert registry.by_account(OTHER_ACCOUNT) == moved == registry.by_client("demo")


def test_quarantined_deliveries_are_kept_per_day_and_expire(moto_endpoint: str, edge_table: str) -> None:
    table = Table(edge_table, client("dynamodb", moto_endpoint))
    raw = {"sender": {"id": "g1"}, "recipient": {"id": "555"}, "message": {"mid": "m1", "text": "olá"}}
    Quarantine(table).add(raw, "no venue registered for account 555", NOW, NOW + timedelta(days=30))
    Quarantine(table).add(raw, "no venue registered for account 555", NOW, NOW + timedelta(days=30))  # redelivery
    (item,) = table.items_under(f"QUARANTINE#{NOW.date().isoformat()}")
    assert json.loads(item["raw"]) == raw and item["reason"] == "no venue registered for account 555"
    assert item["item_type"] == "quarantined" and item["expires_at"] == int((NOW + timedelta(days=30)).timestamp())


def test_venue_tables_are_reached_with_one_client_per_region(moto_endpoint: str, table: str) -> None:
    regions: list[str] = []

    def client_in(region: str) -> Any:
        regions.append(region)
        return client("dynamodb", moto_endpoint)

    venues = VenueTables(client_in)
    demo: Registration = registration("demo", DEMO_ACCOUNT, table=table, region=REGION)
    event = InboundEvent(EventKind.TEXT, "m1", "g1", DEMO_ACCOUNT, NOW, text="olá")
    assert venues.of(demo).inbound.add([event], NOW, NOW + timedelta(days=90)) == [True]
    assert venues.of(demo) is venues.of(demo)
    venues.of(registration("bar", OTHER_ACCOUNT, table="tagback-bar", region=REGION))
    assert regions == [REGION]
    store = venues.of(demo)
    assert [i["SK"] for i in store.table.items_under(guest_key("g1"))] == ["IN#m1"]


def test_an_alert_is_claimed_once_until_released_and_expires(moto_endpoint: str, edge_table: str) -> None:
    table = Table(edge_table, client("dynamodb", moto_endpoint))
    marks = AlertMarks(table)
    expires = NOW + timedelta(days=400)
    assert marks.claim("demo", "report-2026-10", NOW, expires)
    assert not marks.claim("demo", "report-2026-10", NOW, expires)  # the next hour's run: told already
    assert marks.claim("luna", "report-2026-10", NOW, expires)  # each venue's own
    marks.release("demo", "report-2026-10")
    assert marks.claim("demo", "report-2026-10", NOW, expires)
    item = table.get(key("WATCHDOG#demo", "report-2026-10"))
    assert item is not None and item["item_type"] == "watchdog_alert" and item["expires_at"] == int(expires.timestamp())


def test_a_quiet_venues_silence_is_kept_beside_its_alerts(moto_endpoint: str, edge_table: str) -> None:
    marks = AlertMarks(Table(edge_table, client("dynamodb", moto_endpoint)))
    expires = NOW + timedelta(days=400)
    assert marks.silence("demo") is None
    marks.keep_silence("demo", Silence(None, date(2026, 10, 5)), expires)
    assert marks.silence("demo") == Silence(None, date(2026, 10, 5))
    marks.keep_silence("demo", Silence(date(2026, 10, 20), date(2026, 11, 2)), expires)
    assert marks.silence("demo") == Silence(date(2026, 10, 20), date(2026, 11, 2))
    assert marks.silence("luna") is None and marks.claim("demo", "quiet-after-2026-10-20", NOW, expires)
