"""The store's contract: the same tests against the DynamoDB repositories (on the moto server) and against the
in-memory fake the unit tests use, so the fake cannot drift from what the table does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tagback.domain.awards import Awaiting, Award, AwardKey, AwardState, Coupon, WaitingForToken
from tagback.domain.events import EventKind, InboundEvent, OutboxEvent
from tagback.domain.redemption import PinAttempts
from tagback.domain.tokens import TokenRecord
from tagback.store.outbox import outbox_from_item
from tagback.store.repositories import Repositories
from tests.fakes import InMemoryStore
from tests.integration.conftest import client

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=90)
DAY = date(2026, 11, 20)


@pytest.fixture(params=["dynamodb", "in_memory"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryStore()
    endpoint, table = request.getfixturevalue("moto_endpoint"), request.getfixturevalue("table")
    return Repositories.on(table, client=client("dynamodb", endpoint))


def event(mid: str, kind: EventKind = EventKind.TEXT, guest: str = "g1") -> InboundEvent:
    return InboundEvent(kind=kind, mid=mid, guest_id=guest, account_id="17841400000000001", sent_at=NOW, text="olá")


def award(guest: str = "g1", period: str = "2026-11-20", mid: str = "m1", at: datetime = NOW) -> Award:
    return Award(key=AwardKey(guest, period), mention_mid=mid, mentioned_at=at, claimed_at=at, local_date=DAY)


# -- inbound events --------------------------------------------------------------------------------------------------
def test_inbound_events_are_stored_once_per_mid_and_a_deletion_has_its_own(store: Any) -> None:
    assert store.inbound.add([event("m1"), event("m2")], NOW, LATER) == [True, True]
    assert store.inbound.add([event("m2"), event("m3")], NOW, LATER) == [False, True]
    assert store.inbound.add([event("m1", EventKind.DELETED)], NOW, LATER) == [True]


def test_an_inbound_event_is_marked_handled_once_answered(store: Any) -> None:
    store.inbound.add([event("m1"), event("m1", EventKind.DELETED)], NOW, LATER)
    assert not store.inbound.handled(event("m1"))
    store.inbound.mark_handled(event("m1"), NOW, reply_mid="r1")
    assert store.inbound.handled(event("m1"))
    assert not store.inbound.handled(event("m1", EventKind.DELETED))  # the deletion is another item
    store.inbound.mark_handled(event("m9"), NOW, error="refused")  # an event never stored: marked all the same
    assert store.inbound.handled(event("m9"))


# -- awards and claims -----------------------------------------------------------------------------------------------
def test_one_award_per_period_and_the_holder_is_returned(store: Any) -> None:
    assert store.awards.get(AwardKey("g1", "2026-11-20")) is None
    first, created = store.awards.claim(award(mid="m1"), LATER)
    assert created and first.mention_mid == "m1"
    holder, created = store.awards.claim(award(mid="m2"), LATER)
    assert not created and holder.mention_mid == "m1" and holder.key == first.key
    assert store.awards.get(first.key) == first


def test_a_guests_latest_award_is_the_one_of_the_latest_period(store: Any) -> None:
    assert store.awards.latest("g1") is None
    for period in ("2026-11-19", "2026-11-20T09:15", "2026-11-20", "2026-10-31"):
        store.awards.claim(award(period=period, mid=f"m-{period}"), LATER)
    store.awards.claim(award("g2", period="2026-11-21"), LATER)  # another guest's
    store.awards.claim_table(award("g1", period="2026-11-18"), "12", LATER)
    latest = store.awards.latest("g1")
    assert latest is not None and (latest.key, latest.mention_mid) == (
        AwardKey("g1", "2026-11-20T09:15"),
        "m-2026-11-20T09:15",
    )


def test_a_cooldown_claim_holds_until_the_cooldown_has_passed(store: Any) -> None:
    first = award(period="2026-11-20T21:30", mid="m1")
    assert store.awards.claim(first, LATER, cooldown_since=NOW - timedelta(hours=24))[1]
    soon = award(period="2026-11-20T22:30", mid="m2", at=NOW + timedelta(hours=1))
    holder, created = store.awards.claim(soon, LATER, cooldown_since=soon.mentioned_at - timedelta(hours=24))
    assert not created and holder.key == first.key
    later = award(period="2026-11-21T22:30", mid="m3", at=NOW + timedelta(hours=25))
    assert store.awards.claim(later, LATER, cooldown_since=later.mentioned_at - timedelta(hours=24))[1]


def test_a_table_is_claimed_once_a_day_and_a_guest_once(store: Any) -> None:
    assert store.awards.claim_table(award("g1"), "12", LATER) == (award("g1"), "new")
    assert store.awards.claim_table(award("g2"), "12", LATER) == (None, "table_taken")
    assert store.awards.claim_table(award("g2"), "7", LATER) == (award("g2"), "new")
    repeat, how = store.awards.claim_table(award("g1", mid="m2"), "3", LATER)
    assert how == "guest_repeat" and repeat is not None and repeat.mention_mid == "m1"


def test_award_updates_set_and_remove_and_the_draw_is_recorded_once(store: Any) -> None:
    key = store.awards.claim(award(), LATER)[0].key
    assert store.awards.update(key, only_if_no_prize=True, prize_id="espresso", coupon_code="AAAA-BBBB-CCCC")
    assert not store.awards.update(key, only_if_no_prize=True, prize_id="brunch")
    store.awards.update(key, state=AwardState.DM_SENT, valid_until=date(2026, 12, 4), image_error="broken")
    store.awards.update(key, image_error=None)
    stored = store.awards.get(key)
    assert (stored.prize_id, stored.state, stored.valid_until) == ("espresso", AwardState.DM_SENT, date(2026, 12, 4))
    assert stored.image_error is None and stored.coupon_code == "AAAA-BBBB-CCCC"


def test_one_delivery_holds_an_award_until_it_releases_it_or_its_hold_lapses(store: Any) -> None:
    key, until = AwardKey("g1", "2026-11-20"), NOW + timedelta(minutes=15)
    assert store.awards.hold_delivery(key, now=NOW, until=until) is None  # no award: nothing to hold (nor created)
    assert store.awards.get(key) is None
    store.awards.claim(award(), LATER)
    store.awards.update(key, state=AwardState.DM_SENT)
    held = store.awards.hold_delivery(key, now=NOW, until=until)
    assert held is not None and held.state is AwardState.DM_SENT  # the award as it stands once held
    assert store.awards.hold_delivery(key, now=NOW + timedelta(minutes=14), until=until) is None
    store.awards.release_delivery(key)
    assert store.awards.hold_delivery(key, now=NOW, until=until) is not None
    assert store.awards.hold_delivery(key, now=until, until=until + timedelta(minutes=15)) is not None  # lapsed
    store.awards.release_delivery(AwardKey("g9", "2026-11-20"))  # nothing held: no error, no item made
    assert store.awards.get(AwardKey("g9", "2026-11-20")) is None


def test_a_prize_cap_gives_out_its_units_per_day(store: Any) -> None:
    assert [store.awards.reserve_prize("brunch", DAY, 2, LATER) for _ in range(3)] == [True, True, False]
    assert store.awards.reserve_prize("brunch", DAY + timedelta(days=1), 2, LATER)
    assert store.awards.reserve_prize("espresso", DAY, 1, LATER)


# -- messages waiting for the venue's token ------------------------------------------------------------------------
def test_waiting_messages_come_back_oldest_mention_first_until_done(store: Any) -> None:
    late = WaitingForToken(AwardKey("g2", "2026-11-20"), "prize", NOW + timedelta(minutes=5))
    early = WaitingForToken(AwardKey("g1", "2026-11-20"), "prize", NOW)
    question = WaitingForToken(AwardKey("g1", "2026-11-20"), "followup", NOW)
    assert store.awards.waiting_for_token() == []
    for waiting in (late, question, early, late):  # the same message twice: one marker
        store.awards.wait_for_token(waiting, LATER)
    assert store.awards.waiting_for_token() == [question, early, late]
    store.awards.done_waiting(question)
    store.awards.done_waiting(question)  # done twice: no error
    assert store.awards.waiting_for_token() == [early, late]


def test_waiting_markers_with_and_without_microseconds_sort_by_time(store: Any) -> None:
    with_micros = WaitingForToken(AwardKey("g2", "p"), "prize", NOW + timedelta(microseconds=1))
    on_the_second = WaitingForToken(AwardKey("g1", "p"), "prize", NOW.replace(microsecond=0))
    later = WaitingForToken(AwardKey("g3", "p"), "prize", NOW + timedelta(seconds=1))
    for waiting in (later, with_micros, on_the_second):
        store.awards.wait_for_token(waiting, LATER)
    assert [w.key.guest_id for w in store.awards.waiting_for_token()] == ["g1", "g2", "g3"]


# -- the venue's token (what is known of it, never the token) -------------------------------------------------------
def test_the_token_record_is_one_item_overwritten(store: Any) -> None:
    assert store.tokens.get() is None
    first = TokenRecord("17841400000000001", "cafe.aurora", NOW, NOW + timedelta(days=60), 1)
    store.tokens.put(first)
    assert store.tokens.get() == first
    refreshed = TokenRecord("17841400000000001", None, NOW + timedelta(days=7), None, 2)
    store.tokens.put(refreshed)
    assert store.tokens.get() == refreshed


# -- coupons ---------------------------------------------------------------------------------------------------------
def test_a_codes_wrong_pins_are_written_in_order_of_their_versions(store: Any) -> None:
    assert store.pin_attempts.get("AAAA-BBBB-CCCC") == PinAttempts()
    first = PinAttempts().after_wrong_pin(NOW)
    second = first.after_wrong_pin(NOW + timedelta(minutes=1))
    assert store.pin_attempts.replace("AAAA-BBBB-CCCC", first, NOW)
    assert not store.pin_attempts.replace("AAAA-BBBB-CCCC", first, NOW)  # another post wrote this version first
    assert store.pin_attempts.replace("AAAA-BBBB-CCCC", second, NOW)
    assert store.pin_attempts.get("AAAA-BBBB-CCCC") == second and len(second.failed_at) == 2
    locked = PinAttempts((), NOW + timedelta(minutes=10), second.version + 1)
    assert store.pin_attempts.replace("AAAA-BBBB-CCCC", locked, NOW)
    assert store.pin_attempts.get("AAAA-BBBB-CCCC") == locked
    assert store.pin_attempts.get("AAAA-BBBB-DDDD") == PinAttempts()  # each code its own


def test_a_coupon_code_is_taken_once_and_redeemed_once(store: Any) -> None:
    coupon = Coupon("7KQ4-M2XZ-9HJT", AwardKey("g1", "2026-11-20"), "espresso", "Free espresso", NOW, date(2026, 12, 4))
    assert store.coupons.add(coupon, LATER)
    assert not store.coupons.add(coupon, LATER)
    known = store.coupons.get(coupon.code)
    assert (known["guest_id"], known["period"], known["prize_name"]) == ("g1", "2026-11-20", "Free espresso")
    assert known["valid_until"] == "2026-12-04" and "redeemed_at" not in known
    redeemed = store.coupons.redeem(coupon.code, NOW)
    assert redeemed is not None and redeemed["redeemed_at"] == NOW.isoformat() and redeemed["prize_id"] == "espresso"
    assert store.coupons.redeem(coupon.code, NOW) is None
    assert "redeemed_by" not in redeemed  # the CLI names no one
    by_staff = Coupon("ZZZZ-YYYY-XXXX", coupon.award, "espresso", "Free espresso", NOW, coupon.valid_until)
    assert store.coupons.add(by_staff, NOW + timedelta(days=90))
    assert store.coupons.redeem(by_staff.code, NOW, "Rui")["redeemed_by"] == "Rui"
    assert store.coupons.get(by_staff.code)["redeemed_by"] == "Rui"
    assert store.coupons.redeem("NOPE-NOPE-NOPE", NOW) is None and store.coupons.get("NOPE-NOPE-NOPE") is None


# -- guests ----------------------------------------------------------------------------------------------------------
def test_a_guest_is_created_by_its_first_update_and_none_removes(store: Any) -> None:
    assert store.guests.get("g1") is None
    store.guests.update("g1", LATER, display_name="Ana", language="pt", awaiting=Awaiting.EMAIL, greeted_at=NOW)
    store.guests.update("g1", LATER, awaiting=None, tries=1)
    guest = store.guests.get("g1")
    assert (guest.guest_id, guest.display_name, guest.language, guest.greeted_at) == ("g1", "Ana", "pt", NOW)
    assert guest.awaiting is None and guest.tries == 1


def test_one_mention_is_held_per_guest(store: Any) -> None:
    hold = {"at": NOW, "period": "2026-11-20", "awaiting": Awaiting.TABLE, "expires_at": LATER}
    assert store.guests.hold_mention("g1", "m1", **hold)
    assert store.guests.hold_mention("g1", "m1", **hold)  # the same mention again: a redelivery
    assert not store.guests.hold_mention("g1", "m2", **hold)
    guest = store.guests.get("g1")
    assert (guest.pending_mid, guest.pending_at, guest.awaiting, guest.tries) == ("m1", NOW, Awaiting.TABLE, 0)
    store.guests.update("g1", LATER, pending_mid=None)
    assert store.guests.hold_mention("g1", "m2", **hold)


def test_a_mention_of_a_later_day_takes_over_one_still_held_from_an_earlier_day(store: Any) -> None:
    hold = {"at": NOW, "awaiting": Awaiting.TABLE, "expires_at": LATER}
    assert store.guests.hold_mention("g1", "m1", period="2026-11-20", **hold)
    assert not store.guests.hold_mention("g1", "m0", period="2026-11-19", **hold)  # a late redelivery of an older one
    assert store.guests.hold_mention("g1", "m2", period="2026-11-21", **hold)
    guest = store.guests.get("g1")
    assert (guest.pending_mid, guest.pending_period) == ("m2", "2026-11-21")


def test_a_guest_counts_once_a_month(store: Any) -> None:
    assert store.guests.first_award_of_month("g1", "2026-11")
    assert not store.guests.first_award_of_month("g1", "2026-11")
    assert store.guests.first_award_of_month("g1", "2026-12")
    assert store.guests.first_award_of_month("g2", "2026-11")


# -- tracked links ---------------------------------------------------------------------------------------------------
def test_a_link_keeps_its_first_target_and_counts_clicks(store: Any) -> None:
    token = "T" * 22
    store.links.create(token, "https://example.com/review", "google", AwardKey("g1", "2026-11-20"), LATER)
    store.links.create(token, "https://evil.example", "google", AwardKey("g2", "2026-11-20"), LATER)
    first = store.links.click(token, NOW)
    assert (first["target"], first["platform"], first["clicks"]) == ("https://example.com/review", "google", 1)
    assert store.links.click(token, NOW + timedelta(minutes=1))["clicks"] == 2
    assert store.links.click("U" * 22, NOW) is None


def test_a_link_keeps_the_guests_language_and_counts_previews_apart_from_clicks(store: Any) -> None:
    token = "P" * 22
    store.links.create(
        token, "https://example.com/review", "google", AwardKey("g1", "2026-11-20"), LATER, language="de"
    )
    previewed = store.links.preview(token)
    assert (previewed["target"], previewed["language"], previewed["previews"], previewed["clicks"]) == (
        "https://example.com/review",
        "de",
        1,
        0,
    )
    assert store.links.click(token, NOW)["clicks"] == 1  # a preview is no click: the guest's tap is the first
    assert store.links.preview("U" * 22) is None


# -- the month's stats -----------------------------------------------------------------------------------------------
def test_the_months_counters_add_up_and_the_snapshot_sits_beside_them(store: Any) -> None:
    assert store.stats.month_totals("2026-11") == {}
    store.stats.add_to_month("2026-11", {"mentions": 1, "mentions_day_20": 1})
    store.stats.add_to_month("2026-11", {"mentions": 2, "awards": 1})
    store.stats.set_day_values("2026-11", 3, {"followers": 1180, "rating": "4.5"})
    store.stats.set_day_values("2026-11", 4, {})
    assert store.stats.month_totals("2026-11") == {
        "mentions": 3,
        "mentions_day_20": 1,
        "awards": 1,
        "followers_d03": 1180,
        "rating_d03": "4.5",
    }
    assert store.stats.month_totals("2026-10") == {}


def test_the_months_item_says_when_its_report_was_sent(store: Any) -> None:
    store.stats.add_to_month("2026-10", {"mentions": 1})
    store.stats.report_sent("2026-10", NOW)
    assert store.stats.month_totals("2026-10") == {"mentions": 1, "report_sent_at": NOW.isoformat()}


# -- the outbox ------------------------------------------------------------------------------------------------------
def test_an_outbox_event_is_queued_once_and_its_sinks_are_marked(store: Any) -> None:
    owner_event = OutboxEvent("award-g1_2026-11-20", "award", NOW, "g1", display_name="Ana", prize="Free espresso")
    assert store.outbox.add(owner_event, LATER)
    assert not store.outbox.add(owner_event, LATER)
    assert store.outbox.delivered(owner_event.event_id) == set()
    assert store.outbox.mark_delivered(owner_event.event_id, "google_sheets", NOW)
    assert store.outbox.mark_delivered(owner_event.event_id, "webhook", NOW)
    assert store.outbox.delivered(owner_event.event_id) == {"google_sheets", "webhook"}
    item = store.outbox.get(owner_event.event_id)
    assert (item["event_type"], item["display_name"], item["occurred_at"]) == ("award", "Ana", NOW.isoformat())
    assert store.outbox.get("award-nobody") is None


def test_marking_an_outbox_event_whose_item_is_gone_recreates_nothing(store: Any) -> None:
    # Gone: its guest erased, or it expired, while its sinks were called. A stub without expires_at would never expire.
    assert not store.outbox.mark_delivered("award-g1_2026-11-20", "webhook", NOW)
    assert store.outbox.get("award-g1_2026-11-20") is None


def test_a_contact_event_keeps_its_consent_in_the_outbox(store: Any) -> None:
    contact = OutboxEvent(
        "contact-g1-email-1",
        "contact",
        NOW,
        "g1",
        email="ana@example.com",
        channel="email",
        consent_version="2026-11",
        consent_at=NOW,
    )
    store.outbox.add(contact, LATER)
    assert outbox_from_item(store.outbox.get(contact.event_id)) == contact  # what the stream hands to the sinks


# -- the suppression list --------------------------------------------------------------------------------------------
def test_a_suppression_is_held_until_removed(store: Any) -> None:
    hashed = "ab" * 32
    assert not store.suppressions.holds(hashed)
    store.suppressions.add(hashed, NOW)
    store.suppressions.add(hashed, NOW)  # a second STOP: still one entry
    assert store.suppressions.holds(hashed) and not store.suppressions.holds("cd" * 32)
    store.suppressions.remove(hashed)
    store.suppressions.remove(hashed)  # START twice: no error
    assert not store.suppressions.holds(hashed)
