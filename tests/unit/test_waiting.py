"""Messages waiting for the venue's token: Meta refused the token (code 190), so the prize DM or the review question
waits; once the token works again the token step sends them, oldest first, inside Meta's 24-hour window."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tagback.adapters.phones import valid_phone
from tagback.app.tokens import TokenKeeper, keep_token_and_resume
from tagback.config.model import ClientConfig
from tagback.conversation.engine import Engine
from tagback.conversation.outcome import DeliveryPending, Outcome
from tagback.domain.awards import AwardKey, AwardState, FollowUpState, WaitingForToken
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import ErrorKind
from tests.conftest import DEMO_ACCOUNT
from tests.fakes import FakeImages, FakeMessenger, FakeRefresher, FakeScheduler, FakeVault, InMemoryStore, token_refused

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = "2026-11-20"
DEAD, RENEWED = "dead-token-value", "renewed-token-value"


def mention(mid: str, guest: str = "g1", at: datetime = NOON) -> InboundEvent:
    return InboundEvent(EventKind.STORY_MENTION, mid, guest, DEMO_ACCOUNT, at, story_url="https://cdn/x")


class Venue:
    """One venue's engine on fakes, its token in a fake SSM that the messenger reads per send (through the cache)."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.token_name = config.secrets.meta_access_token
        self.clock = ManualClock(NOON + timedelta(seconds=2))
        self.vault = FakeVault(self.clock)
        self.vault.put(self.token_name, DEAD, NOON - timedelta(days=10))
        self.vault.put(config.secrets.coupon_signing_key, "coupon-key", NOON - timedelta(days=10))
        self.store, self.scheduler = InMemoryStore(), FakeScheduler()
        self.messenger = FakeMessenger(token=lambda: self.vault(self.token_name))
        self.messenger.dead_tokens.add(DEAD)
        self.engine = Engine(
            config,
            self.store,
            self.messenger,
            FakeImages(config),
            self.scheduler,
            self.clock,
            random.Random(1),
            self.vault,
            link_prefix="https://edge.example/l/demo",
            valid_phone=valid_phone,
        )
        # Meta refuses to refresh a dead token, as it refuses to send with it.
        self.refresher = FakeRefresher(*(token_refused() for _ in range(3)))
        self.keeper = TokenKeeper(config, self.vault, self.refresher, self.store.tokens, self.clock)

    def reconnect(self) -> None:
        """`tagback connect` writes a working token to SSM (the functions' caches still hold the dead one)."""
        self.vault.put(self.token_name, RENEWED, self.clock.now())

    def token_step(self) -> Counter[str]:
        return Counter(keep_token_and_resume(self.keeper, self.engine).resumed)

    def prize_texts(self) -> list[str]:
        return [m["to"] for m in self.messenger.sent if m["kind"] == "text" and "Your prize" in m["body"]]

    def state(self, guest: str = "g1") -> AwardState:
        award = self.store.awards.get(AwardKey(guest, TODAY))
        assert award is not None
        return award.state


@pytest.fixture
def venue(english_only: ClientConfig) -> Venue:
    return Venue(english_only)


def test_a_refused_token_makes_the_prize_wait_with_a_marker(venue: Venue) -> None:
    assert venue.engine.handle(mention("m1")) is Outcome.WAITING_FOR_TOKEN
    award = venue.store.awards.get(AwardKey("g1", TODAY))
    assert award is not None and award.state is AwardState.WAITING_FOR_TOKEN
    assert award.dm_error is not None and "Error validating access token" in award.dm_error
    assert award.coupon_code is not None  # drawn: the same prize goes out later
    assert venue.store.awards.waiting_for_token() == [WaitingForToken(award.key, "prize", NOON)]
    assert venue.messenger.sent == [] and venue.scheduler.scheduled == {}
    assert venue.store.stats.months.get("2026-11", {}).get("dms_failed") is None  # not a failure: it waits


def test_a_redelivered_mention_while_waiting_sends_nothing(venue: Venue) -> None:
    venue.engine.handle(mention("m1"))
    refused = venue.messenger.refused
    assert venue.engine.handle(mention("m1")) is Outcome.WAITING_FOR_TOKEN
    assert venue.messenger.refused == refused and len(venue.store.awards.waiting_for_token()) == 1


def test_after_reconnecting_the_prize_image_and_follow_up_go_out(venue: Venue) -> None:
    venue.engine.handle(mention("m1"))
    venue.clock.advance(timedelta(hours=3))
    venue.reconnect()
    assert venue.token_step() == Counter({"dm_sent": 1})
    award = venue.store.awards.get(AwardKey("g1", TODAY))
    assert award is not None and award.state is AwardState.DM_SENT and award.dm_error is None
    assert [m["kind"] for m in venue.messenger.sent] == ["text", "image"]
    assert award.coupon_code is not None and award.coupon_code in venue.messenger.sent[0]["body"]
    assert venue.store.awards.waiting_for_token() == []
    # the follow-up was due 2 hours ago: it is scheduled a minute from now instead, never in the past
    assert venue.scheduler.followups() == {award.key: venue.clock.now() + timedelta(minutes=1)}
    assert award.followup_at == venue.clock.now() + timedelta(minutes=1)
    assert venue.vault.forgotten == [venue.token_name]  # the dead token was dropped from the cache first


def test_a_prize_resumed_early_keeps_its_follow_up_delay(venue: Venue) -> None:
    venue.engine.handle(mention("m1"))
    venue.clock.advance(timedelta(minutes=10))
    venue.reconnect()
    venue.token_step()
    award = venue.store.awards.get(AwardKey("g1", TODAY))
    assert award is not None
    assert venue.scheduler.followups() == {award.key: award.claimed_at + timedelta(minutes=60)}


def test_what_waits_is_sent_oldest_mention_first(venue: Venue) -> None:
    for guest, minutes in (("g2", 20), ("g3", 40), ("g1", 0)):  # handled out of order
        venue.engine.handle(mention(f"m-{guest}", guest, at=NOON + timedelta(minutes=minutes)))
    assert [w.key.guest_id for w in venue.store.awards.waiting_for_token()] == ["g1", "g2", "g3"]
    venue.clock.advance(timedelta(hours=1))
    venue.reconnect()
    assert venue.token_step() == Counter({"dm_sent": 3})
    assert venue.prize_texts() == ["g1", "g2", "g3"]


def test_a_token_still_refused_stops_the_resume_and_keeps_every_marker(
    venue: Venue, metric_counts: Counter[str]
) -> None:
    for i in range(3):
        venue.engine.handle(mention(f"m{i}", f"g{i}", at=NOON + timedelta(minutes=i)))
    refused = venue.messenger.refused
    done = keep_token_and_resume(venue.keeper, venue.engine)
    assert (done.token, done.resumed) == ("token_refresh_refused", {"waiting_for_token": 1})
    assert venue.messenger.refused == refused + 1  # one try, not one per waiting guest
    assert len(venue.store.awards.waiting_for_token()) == 3
    assert {venue.state(f"g{i}") for i in range(3)} == {AwardState.WAITING_FOR_TOKEN}
    assert metric_counts["TokenRefused"] == 2  # the alarm's metric: the refresh refused, and the prize again


def test_past_metas_window_a_waiting_prize_fails_for_good_and_is_counted(
    venue: Venue, metric_counts: Counter[str]
) -> None:
    venue.engine.handle(mention("m1"))
    venue.clock.advance(timedelta(hours=24))
    venue.reconnect()
    assert venue.token_step() == Counter({"dm_failed_permanent": 1})
    award = venue.store.awards.get(AwardKey("g1", TODAY))
    assert award is not None and award.state is AwardState.DM_FAILED_PERMANENT
    assert award.dm_error is not None and "24-hour window closed" in award.dm_error
    assert venue.messenger.sent == [] and venue.store.awards.waiting_for_token() == []
    assert venue.store.stats.months["2026-11"]["dms_failed"] == 1
    assert metric_counts["DmFailedPermanent"] == 1


def test_a_guest_who_opted_out_meanwhile_is_not_messaged(venue: Venue) -> None:
    venue.engine.handle(mention("m1"))
    venue.store.guests.update("g1", NOON + timedelta(days=90), opted_out_at=NOON + timedelta(minutes=5))
    venue.reconnect()
    assert venue.token_step() == Counter({"dm_failed_permanent": 1})
    assert venue.messenger.sent == [] and venue.state() is AwardState.DM_FAILED_PERMANENT


def test_a_story_after_a_stop_gets_its_waiting_prize_and_no_follow_up(venue: Venue) -> None:
    venue.store.guests.update("g1", NOON + timedelta(days=90), opted_out_at=NOON - timedelta(hours=1))
    venue.engine.handle(mention("m1"))  # the guest's own request, after their STOP
    venue.reconnect()
    assert venue.token_step() == Counter({"dm_sent": 1})
    assert venue.prize_texts() == ["g1"] and venue.scheduler.followups() == {}
    award = venue.store.awards.get(AwardKey("g1", TODAY))
    assert award is not None and award.followup_state is FollowUpState.SKIPPED_OPTED_OUT


def test_a_throttled_resume_is_retried_and_delivers_once(venue: Venue) -> None:
    venue.engine.handle(mention("m1"))
    venue.reconnect()
    venue.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        venue.token_step()  # Lambda retries the step
    assert len(venue.store.awards.waiting_for_token()) == 1
    assert venue.token_step() == Counter({"dm_sent": 1})
    assert venue.prize_texts() == ["g1"] and venue.store.awards.waiting_for_token() == []


def test_a_refused_review_question_waits_and_goes_out_once_the_token_works(venue: Venue) -> None:
    venue.messenger.dead_tokens.clear()
    venue.engine.handle(mention("m1"))
    key = AwardKey("g1", TODAY)
    venue.messenger.dead_tokens.add(DEAD)
    venue.clock.advance(timedelta(minutes=60))
    assert venue.engine.follow_up(key) is FollowUpState.WAITING_FOR_TOKEN
    assert venue.engine.follow_up(key) is FollowUpState.WAITING_FOR_TOKEN  # a second trigger tries nothing
    assert venue.messenger.refused == 1
    assert venue.store.awards.waiting_for_token() == [WaitingForToken(key, "followup", NOON)]
    venue.reconnect()
    assert venue.token_step() == Counter({"followup_sent": 1})
    (question,) = [m for m in venue.messenger.sent if "review on Google" in m["body"]]
    award = venue.store.awards.get(key)
    assert award is not None and award.followup_state is FollowUpState.SENT and award.followup_mid == question["mid"]
    assert venue.store.awards.waiting_for_token() == []


def test_a_waiting_review_question_past_the_window_is_skipped(venue: Venue) -> None:
    venue.messenger.dead_tokens.clear()
    venue.engine.handle(mention("m1"))
    venue.messenger.dead_tokens.add(DEAD)
    venue.clock.advance(timedelta(hours=1))
    venue.engine.follow_up(AwardKey("g1", TODAY))
    venue.clock.advance(timedelta(hours=23))
    venue.reconnect()
    sent = len(venue.messenger.sent)
    assert venue.token_step() == Counter({"followup_skipped_window": 1})
    assert len(venue.messenger.sent) == sent and venue.store.awards.waiting_for_token() == []


def test_a_throttled_review_question_is_retried_and_asked_once(venue: Venue) -> None:
    venue.messenger.dead_tokens.clear()
    venue.engine.handle(mention("m1"))
    venue.messenger.dead_tokens.add(DEAD)
    venue.clock.advance(timedelta(hours=1))
    venue.engine.follow_up(AwardKey("g1", TODAY))
    venue.reconnect()
    venue.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        venue.token_step()
    assert venue.token_step() == Counter({"followup_sent": 1})
    assert len([m for m in venue.messenger.sent if "review on Google" in m["body"]]) == 1


def test_a_waiting_prize_and_a_waiting_question_resume_in_mention_order(venue: Venue) -> None:
    venue.messenger.dead_tokens.clear()
    venue.engine.handle(mention("m1", "g1", at=NOON))
    venue.messenger.dead_tokens.add(DEAD)
    venue.clock.advance(timedelta(minutes=60))
    venue.engine.follow_up(AwardKey("g1", TODAY))
    venue.engine.handle(mention("m2", "g2", at=NOON + timedelta(minutes=59)))
    assert [(w.key.guest_id, w.message) for w in venue.store.awards.waiting_for_token()] == [
        ("g1", "followup"),
        ("g2", "prize"),
    ]
    venue.reconnect()
    before = len(venue.messenger.sent)
    assert venue.token_step() == Counter({"followup_sent": 1, "dm_sent": 1})
    assert [m["to"] for m in venue.messenger.sent[before:] if m["kind"] == "text"] == ["g1", "g2"]


def test_a_refused_language_question_makes_the_prize_wait_at_once_not_at_the_timeout(demo_config: ClientConfig) -> None:
    venue = Venue(demo_config)  # three languages: the first DM is the language question
    assert venue.engine.handle(mention("m1")) is Outcome.WAITING_FOR_TOKEN
    assert venue.state() is AwardState.WAITING_FOR_TOKEN
    assert venue.scheduler.scheduled == {}  # no language timeout left to fire
    venue.reconnect()
    assert venue.token_step()["dm_sent"] == 1
    assert venue.prize_texts() == ["g1"]  # in the default language, English
