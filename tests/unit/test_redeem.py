"""Coupons at the counter: what staff are told (prize, guest, local times) and that a coupon is redeemed once."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tagback.app.redeem import CouponDesk, CouponStatus, Verdict
from tagback.cli import redemption_answer
from tagback.config.model import ClientConfig
from tagback.domain.awards import AwardKey, Coupon
from tagback.domain.prizes import new_coupon_code
from tests.fakes import InMemoryCoupons, InMemoryStore

KEY = "counter-signing-key"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 18, 40, 3, 608476, tzinfo=UTC)  # 19:40 in Berlin


def issue(store: InMemoryStore, *, guest_id: str = "ana", prize_name: str = "Gratis-Espresso", **changes: Any) -> str:
    """A coupon of the demo's espresso, issued yesterday in the guest's language (German here)."""
    code = new_coupon_code(random.Random(len(store.coupons.by_code)), KEY)
    fields: dict[str, Any] = {
        "code": code,
        "award": AwardKey(guest_id, "2026-11-24"),
        "prize_id": "espresso",
        "prize_name": prize_name,
        "issued_at": NOW - timedelta(days=1),
        "valid_until": date(2026, 12, 9),
    } | changes
    store.coupons.add(Coupon(**fields), NOW + timedelta(days=90))
    return code


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    store.guests.update("ana", NOW, display_name="Ana Sousa", language="de")
    return store


@pytest.fixture
def desk(store: InMemoryStore, demo_config: ClientConfig) -> CouponDesk:
    return CouponDesk(store, KEY, BERLIN, 90, CouponDesk.of(demo_config, store, KEY).prize_names)


def answer(status: CouponStatus) -> str:
    return redemption_answer(status, NOW.astimezone(BERLIN).date())


def test_a_look_names_the_prize_in_the_venues_language_and_the_guest_and_redeems_nothing(
    desk: CouponDesk, store: InMemoryStore
) -> None:
    code = issue(store)
    status = desk.check(code.lower().replace("-", " "), NOW)
    assert (status.verdict, status.code) == (Verdict.VALID, code)
    assert (status.prize, status.guest) == ("Free espresso", "Ana Sousa")  # not the German name the guest got
    assert status.issued_at == datetime(2026, 11, 24, 19, 40, 3, 608476, tzinfo=BERLIN)
    assert answer(status) == "VALID — Free espresso for Ana Sousa (until 9 Dec)"
    assert "redeemed_at" not in (store.coupons.get(code) or {}) and store.stats.months == {} and not store.outbox.events


def test_redeemed_once_then_already_used_at_the_local_time(desk: CouponDesk, store: InMemoryStore) -> None:
    code = issue(store)
    redeemed = desk.redeem(code, NOW)
    assert redeemed.verdict is Verdict.REDEEMED and redeemed.used_at == NOW.astimezone(BERLIN)
    assert answer(redeemed) == "REDEEMED — Free espresso for Ana Sousa (until 9 Dec)"
    again = desk.redeem(code, NOW + timedelta(hours=2))
    assert again.verdict is Verdict.ALREADY_USED
    assert answer(again) == "ALREADY USED on 25 Nov at 19:40 — Free espresso for Ana Sousa"
    assert desk.check(code, NOW + timedelta(days=30)).verdict is Verdict.ALREADY_USED  # used beats expired
    assert store.stats.months == {"2026-11": {"coupons_redeemed": 1}}
    (event,) = store.outbox.events.values()
    assert (event.event_id, event.guest_id, event.prize) == (f"redemption-{code}", "ana", "Gratis-Espresso")


def test_two_tills_at_once_redeem_it_once(desk: CouponDesk, store: InMemoryStore) -> None:
    code = issue(store)

    class OtherTillFirst(InMemoryCoupons):
        def redeem(self, code: str, at: datetime, by: str | None = None) -> dict[str, Any] | None:
            super().redeem(code, at - timedelta(seconds=1))  # the other till, a moment before ours
            return super().redeem(code, at, by)

    faster = OtherTillFirst()
    faster.by_code, faster._items = store.coupons.by_code, store.coupons._items
    store.coupons = faster
    assert desk.redeem(code, NOW).verdict is Verdict.ALREADY_USED
    assert store.stats.months == {} and not store.outbox.events  # the other till counted it


def test_expiry_is_the_venues_local_date(desk: CouponDesk, store: InMemoryStore) -> None:
    code = issue(store)
    last_evening = datetime(2026, 12, 9, 22, 59, tzinfo=UTC)  # 23:59 on 9 Dec in Berlin: still good
    assert desk.check(code, last_evening).verdict is Verdict.VALID
    expired = desk.redeem(code, last_evening + timedelta(minutes=2))  # 00:01 on 10 Dec in Berlin
    assert expired.verdict is Verdict.EXPIRED and "redeemed_at" not in (store.coupons.get(code) or {})
    assert answer(expired) == "EXPIRED — Free espresso for Ana Sousa (valid until 9 Dec)"


def test_every_unknown_code_gets_the_same_answer(desk: CouponDesk, store: InMemoryStore) -> None:
    never_stored = new_coupon_code(random.Random(99), KEY)  # well-formed, but no coupon of this venue has it
    typo = never_stored[:-1] + ("A" if never_stored[-1] != "A" else "B")
    other_venues = new_coupon_code(random.Random(99), "another-venues-key")
    assert {answer(desk.redeem(code, NOW)) for code in (never_stored, typo, other_venues)} == {
        "UNKNOWN — not a coupon of this venue, or a typo"
    }


def test_a_guest_erased_or_without_a_name_is_not_named(desk: CouponDesk, store: InMemoryStore) -> None:
    erased = issue(store, guest_id="erased-5f0c9e", prize_name="Free espresso")
    store.guests.update("erased-5f0c9e", NOW, display_name="must not be read")
    assert answer(desk.check(erased, NOW)) == "VALID — Free espresso for a guest whose data was erased (until 9 Dec)"
    nameless = issue(store, guest_id="ben", valid_until=date(2027, 1, 3))  # no profile: expired, or never named
    assert answer(desk.check(nameless, NOW)) == "VALID — Free espresso (until 3 Jan 2027)"


def test_a_prize_no_longer_in_the_client_file_is_named_as_issued(desk: CouponDesk, store: InMemoryStore) -> None:
    code = issue(store, prize_id="cake", prize_name="Gratis Kuchen")
    assert desk.check(code, NOW).prize == "Gratis Kuchen"
