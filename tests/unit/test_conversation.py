"""The story-mention flow with in-memory fakes: claims, draws, DMs, retries, follow-ups."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from tagback.adapters.phones import valid_phone
from tagback.config.loading import parse_client_config
from tagback.config.model import ClientConfig
from tagback.conversation.engine import Engine
from tagback.conversation.outcome import DeliveryPending, Outcome
from tagback.domain.awards import AwardKey, AwardState, CouponFace, FollowUpState
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import ErrorKind
from tagback.domain.prizes import code_is_genuine
from tests.conftest import DEMO_CONFIG, ENGLISH_ONLY
from tests.fakes import FakeImages, FakeMessenger, FakeScheduler, InMemoryStore, Secrets

KEY = "coupon-signing-key"
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def config_with(**changes: Any) -> ClientConfig:
    """The demo client in English only (no language question, no contact question), with `changes`."""
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8")) | ENGLISH_ONLY | changes
    return parse_client_config(data, "test", DEMO_CONFIG.parent)


def mention(mid: str, guest: str = "g1", at: datetime = NOON) -> InboundEvent:
    return InboundEvent(EventKind.STORY_MENTION, mid, guest, "17841400000000001", at, story_url="https://cdn/x")


class World:
    def __init__(self, config: ClientConfig, seed: int = 1) -> None:
        self.store, self.messenger = InMemoryStore(), FakeMessenger()
        self.images, self.scheduler = FakeImages(config), FakeScheduler()
        self.clock = ManualClock(NOON + timedelta(seconds=2))
        secrets = Secrets({config.secrets.coupon_signing_key: KEY})
        self.engine = Engine(
            config,
            self.store,
            self.messenger,
            self.images,
            self.scheduler,
            self.clock,
            random.Random(seed),
            secrets,
            link_prefix="https://edge.example/l/demo",
            valid_phone=valid_phone,
        )

    def texts(self, guest: str = "g1") -> list[str]:
        return [m["body"] for m in self.messenger.sent if m["kind"] == "text" and m["to"] == guest]


@pytest.fixture
def world(english_only: ClientConfig) -> World:
    return World(english_only)


def test_a_mention_ends_in_a_coupon_dm_an_image_and_a_follow_up(world: World, english_only: ClientConfig) -> None:
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    award = world.store.awards.get(AwardKey("g1", "2026-11-20"))
    assert award is not None and award.state is AwardState.DM_SENT
    assert award.prize_id in {p.id for p in english_only.prizes}
    assert award.coupon_code is not None and code_is_genuine(award.coupon_code, KEY)
    (text,) = world.texts()
    assert award.prize_name is not None and award.prize_name in text
    assert award.coupon_code in text and "Café Aurora" in text
    assert award.text_mid and award.image_mid
    assert [m["kind"] for m in world.messenger.sent] == ["text", "image"]  # the code first, then the picture
    assert world.images.published[award.coupon_code].startswith(b"\x89PNG")
    assert world.images.valid_days[award.coupon_code] == 14  # the image is kept as long as the coupon is valid
    assert world.scheduler.followups() == {award.key: award.claimed_at + timedelta(minutes=60)}
    assert award.followup_at == award.claimed_at + timedelta(minutes=60)
    coupon = world.store.coupons.by_code[award.coupon_code]
    assert coupon.valid_until == award.local_date + timedelta(days=14) == award.valid_until
    assert world.store.guests.by_id["g1"].display_name == "Guest g1"
    assert world.store.guests.by_id["g1"].greeted_at is not None


def test_redelivered_records_never_send_a_second_dm(world: World) -> None:
    for _ in range(5):
        assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert [m["kind"] for m in world.messenger.sent] == ["text", "image"]
    assert world.messenger.profile_calls == 1  # the display name is fetched once


def test_thirty_concurrent_mentions_win_one_prize_and_no_again_before_it(world: World) -> None:
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(world.engine.handle, [mention(f"m{i}") for i in range(30)]))
    assert outcomes.count(Outcome.DM_SENT) == 1
    # A repeat read before the prize was sent gets nothing; after, the polite reply.
    assert outcomes.count(Outcome.REPEAT_REPLIED) + outcomes.count(Outcome.REPEAT_BEFORE_PRIZE) == 29
    assert len(world.store.awards.by_key) == 1 and len(world.store.coupons.by_code) == 1
    texts = world.texts()
    assert sum("Your prize" in t for t in texts) == 1
    assert sum("one prize per day" in t for t in texts) == outcomes.count(Outcome.REPEAT_REPLIED)
    assert not any("one prize per day" in t for t in texts[: texts.index(next(t for t in texts if "Your prize" in t))])
    # a repeat's redelivery does not reply twice
    assert world.engine.handle(mention("m7")) in {Outcome.ALREADY_HANDLED, Outcome.DM_SENT}
    assert len(world.texts()) == 1 + outcomes.count(Outcome.REPEAT_REPLIED)


def test_the_day_is_the_clients_local_day() -> None:
    world = World(config_with(timezone="Asia/Tokyo"))
    late_evening = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    after_midnight = late_evening + timedelta(hours=1)  # 00:30 the next day in Tokyo
    assert world.engine.handle(mention("m1", at=late_evening)) is Outcome.DM_SENT
    assert world.engine.handle(mention("m2", at=after_midnight)) is Outcome.DM_SENT
    assert {k.period for k in world.store.awards.by_key} == {"2026-11-20", "2026-11-21"}


def test_cooldown_policy_counts_hours_not_days() -> None:
    world = World(config_with(claim_policy={"kind": "cooldown", "cooldown_hours": 6}))
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert world.engine.handle(mention("m2", at=NOON + timedelta(hours=5))) is Outcome.REPEAT_REPLIED
    assert world.engine.handle(mention("m3", at=NOON + timedelta(hours=6, minutes=1))) is Outcome.DM_SENT
    assert len(world.store.awards.by_key) == 2


def test_when_every_prize_is_capped_out_the_guest_is_told() -> None:
    single_capped = [{"id": "brunch", "name": "Brunch", "weight": 100, "daily_cap": 2}]
    world = World(config_with(prizes=single_capped))
    outcomes = [world.engine.handle(mention(f"m{i}", guest=f"g{i}")) for i in range(4)]
    assert outcomes == [Outcome.DM_SENT, Outcome.DM_SENT, Outcome.NO_PRIZE_LEFT, Outcome.NO_PRIZE_LEFT]
    assert "All of today's prizes have been given" in world.texts("g3")[0]
    assert len(world.scheduler.followups()) == 4  # everyone who got a DM is asked for a review


def test_caps_hold_under_fifty_concurrent_winners() -> None:
    prizes = [
        {"id": "rare", "name": "Rare", "weight": 50, "daily_cap": 5},
        {"id": "common", "name": "Common", "weight": 50},
    ]
    world = World(config_with(prizes=prizes), seed=11)
    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(world.engine.handle, [mention(f"m{i}", guest=f"g{i}") for i in range(50)]))
    assert outcomes.count(Outcome.DM_SENT) == 50
    won = [a.prize_id for a in world.store.awards.by_key.values()]
    assert won.count("rare") == 5 and won.count("common") == 45


def test_throttling_beyond_the_clients_retries_fails_the_record_and_the_retry_sends_once(world: World) -> None:
    world.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        world.engine.handle(mention("m1"))
    award = world.store.awards.get(AwardKey("g1", "2026-11-20"))
    assert award is not None and award.state is AwardState.CLAIMED and award.dm_error
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert len(world.texts()) == 1
    assert len(world.store.coupons.by_code) == 1  # the retry reused the prize drawn the first time


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (ErrorKind.OUTSIDE_WINDOW, AwardState.DM_FAILED_PERMANENT),
        (ErrorKind.USER_UNAVAILABLE, AwardState.DM_FAILED_PERMANENT),
    ],
)
def test_permanent_failures_are_terminal_and_not_retried(world: World, kind: ErrorKind, state: AwardState) -> None:
    world.messenger.failures = [kind]
    assert world.engine.handle(mention("m1")).value == state.value
    assert world.engine.handle(mention("m1")).value == state.value  # redelivery: nothing sent, no loop
    award = world.store.awards.get(AwardKey("g1", "2026-11-20"))
    assert award is not None and award.state is state and award.dm_error
    assert world.messenger.sent == [] and world.scheduler.scheduled == {}
    assert world.store.awards.waiting_for_token() == []  # only the venue's token is waited for


def test_an_image_failure_keeps_the_prize_and_the_follow_up(world: World) -> None:
    world.messenger.failures = []
    original = world.images.publish

    def broken(face: CouponFace, valid_days: int) -> str:
        raise OSError("bucket unavailable")

    world.images.publish = broken  # type: ignore[method-assign]
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    award = world.store.awards.get(AwardKey("g1", "2026-11-20"))
    assert award is not None and award.image_error and "bucket unavailable" in award.image_error
    assert award.followup_at is not None and len(world.texts()) == 1
    world.images.publish = original  # type: ignore[method-assign]
    world.engine.handle(mention("m1"))
    assert [m["kind"] for m in world.messenger.sent] == ["text"]  # recorded failure: not retried forever


def test_the_follow_up_asks_every_messaged_guest_once(world: World) -> None:
    world.engine.handle(mention("m1"))
    key = AwardKey("g1", "2026-11-20")
    world.clock.advance(timedelta(minutes=60))
    assert world.engine.follow_up(key) is FollowUpState.SENT
    assert world.engine.follow_up(key) is FollowUpState.SENT  # a second trigger sends nothing
    question = [m for m in world.messenger.sent if "review on Google" in m["body"]]
    assert len(question) == 1
    assert question[0]["quick_replies"] == "REVIEW_YES:2026-11-20,REVIEW_NO:2026-11-20"
    award = world.store.awards.get(key)
    assert award is not None and award.followup_mid == question[0]["mid"]


def test_the_follow_up_respects_metas_window_and_failed_dms(world: World) -> None:
    world.engine.handle(mention("m1"))
    world.clock.advance(timedelta(hours=24))
    assert world.engine.follow_up(AwardKey("g1", "2026-11-20")) is FollowUpState.SKIPPED_WINDOW
    world.messenger.failures = [ErrorKind.USER_UNAVAILABLE]
    world.engine.handle(mention("m2", guest="g2"))
    assert world.engine.follow_up(AwardKey("g2", "2026-11-20")) is FollowUpState.SKIPPED_NOT_MESSAGED
    assert world.engine.follow_up(AwardKey("nobody", "2026-11-20")) is None
    assert not [m for m in world.messenger.sent if "review on Google" in m["body"]]
