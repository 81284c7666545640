"""Repeat mentions (issue 13): a guest who posts again before their prize arrived gets no "again" — the prize on its
way is what they get, its delivery resumed when a retryable failure left it stuck — and never a second DM, under
redelivery or concurrency; once the prize arrived, the polite reply as before."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tagback.config.model import ClientConfig
from tagback.conversation.delivery import DELIVERY_HOLD
from tagback.conversation.outcome import DeliveryPending, Outcome
from tagback.domain.awards import AwardKey, AwardState
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import ErrorKind, QuickReply
from tests.unit.test_chat import TODAY, Chat, config_with
from tests.unit.test_conversation import World, mention

AGAIN = "again! It's one prize per day"
KEY = AwardKey("g1", "2026-11-20")


@pytest.fixture
def chat(demo_config: ClientConfig) -> Chat:
    return Chat(demo_config)


@pytest.fixture
def world(english_only: ClientConfig) -> World:
    return World(english_only)


def prize_texts(texts: list[str]) -> list[str]:
    return [t for t in texts if "Your prize" in t]


def test_a_second_story_before_the_language_answer_gets_nothing_then_one_prize(chat: Chat) -> None:
    assert chat.mention("ana") is Outcome.LANGUAGE_ASKED
    second = InboundEvent(EventKind.STORY_MENTION, "story-2", "ana", "1", chat.clock.now())
    assert chat.engine.handle(second) is Outcome.REPEAT_BEFORE_PRIZE
    assert chat.engine.handle(second) is Outcome.ALREADY_HANDLED  # a redelivery
    assert [m["quick_replies"] for m in chat.inbox("ana")] == ["LANG:en,LANG:de,LANG:pt"]  # the question only
    assert chat.tap("ana", "LANG:en", "English") is Outcome.DM_SENT
    bodies = [m["body"] for m in chat.inbox("ana")]
    assert len(prize_texts(bodies)) == 1 and not any(AGAIN in b for b in bodies)
    assert chat.mention("ana") is Outcome.REPEAT_REPLIED  # the prize arrived: now the polite reply
    assert AGAIN in chat.last("ana")["body"]
    totals = chat.store.stats.months["2026-11"]
    assert (totals["mentions"], totals["repeat_replies"]) == (3, 1)  # each story counted once


def test_a_story_after_a_throttled_prize_dm_resumes_it_and_no_again(world: World) -> None:
    world.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        world.engine.handle(mention("m1"))
    assert world.engine.handle(mention("m2")) is Outcome.DM_SENT  # the stuck prize, sent for the new story
    assert world.engine.handle(mention("m2")) is Outcome.ALREADY_HANDLED
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT  # the first story's retry: nothing left to send
    assert len(prize_texts(world.texts())) == 1 and not any(AGAIN in t for t in world.texts())
    assert [m["kind"] for m in world.messenger.sent] == ["text", "image"]
    assert world.engine.handle(mention("m3")) is Outcome.REPEAT_REPLIED
    assert AGAIN in world.texts()[-1]
    assert world.store.stats.months["2026-11"]["mentions"] == 3


@pytest.mark.parametrize("refusal", ["token", ErrorKind.USER_UNAVAILABLE])
def test_a_story_while_the_prize_waits_for_the_token_or_failed_for_good_gets_nothing(
    world: World, refusal: str | ErrorKind
) -> None:
    if refusal == "token":
        world.messenger.refusing_token = True
    else:
        world.messenger.failures = [ErrorKind.USER_UNAVAILABLE]
    first = world.engine.handle(mention("m1"))
    assert first in (Outcome.WAITING_FOR_TOKEN, Outcome.DM_FAILED_PERMANENT)
    refused = world.messenger.refused
    assert world.engine.handle(mention("m2")) is Outcome.REPEAT_BEFORE_PRIZE
    assert world.messenger.sent == [] and world.messenger.refused == refused  # not even tried
    award = world.store.awards.get(KEY)
    assert award is not None and award.state.value == first.value
    assert world.store.stats.months["2026-11"]["mentions"] == 2


def test_a_delivery_under_way_is_left_to_its_holder_until_its_hold_lapses(world: World) -> None:
    world.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        world.engine.handle(mention("m1"))
    now = world.clock.now()
    assert world.store.awards.hold_delivery(KEY, now=now, until=now + DELIVERY_HOLD)  # a delivery that crashed
    with pytest.raises(DeliveryPending, match="another delivery of it is under way"):
        world.engine.handle(mention("m1"))  # the retry: the event source tries again later
    assert world.engine.handle(mention("m2")) is Outcome.REPEAT_BEFORE_PRIZE  # a repeat leaves it to the holder
    assert world.messenger.sent == []
    world.clock.advance(DELIVERY_HOLD)
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert len(prize_texts(world.texts())) == 1


def test_a_stuck_prize_is_sent_once_while_its_retry_and_many_repeats_race(world: World) -> None:
    world.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        world.engine.handle(mention("m1"))
    send_text = world.messenger.send_text

    def slow_send(recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str:
        time.sleep(0.05)  # Meta takes its time: every racer reads the award before the first send returns
        return send_text(recipient, text, quick_replies)

    world.messenger.send_text = slow_send  # type: ignore[method-assign]

    def handle(mid: str) -> str:
        try:
            return world.engine.handle(mention(mid)).value
        except DeliveryPending:
            return "pending"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(handle, ["m1", *(f"r{i}" for i in range(11))]))
    texts = world.texts()
    assert len(prize_texts(texts)) == 1 and not any(AGAIN in t for t in texts), texts
    assert set(outcomes) <= {"dm_sent", "repeat_before_prize", "pending"}
    assert [m["kind"] for m in world.messenger.sent].count("image") == 1


def test_the_retry_of_a_language_answer_sends_the_prize_meta_throttled(chat: Chat) -> None:
    chat.mention("bo")
    answer = InboundEvent(EventKind.QUICK_REPLY, "tap-1", "bo", "1", chat.clock.now(), "English", "LANG:en")
    chat.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        chat.engine.handle(answer)
    assert chat.engine.handle(answer) is Outcome.DM_SENT  # the stream's retry of the same answer
    assert len(prize_texts([m["body"] for m in chat.inbox("bo")])) == 1
    assert chat.store.guests.by_id["bo"].pending_period is None


def test_the_retry_of_the_language_timeout_sends_the_prize_meta_throttled(chat: Chat) -> None:
    chat.mention("cy")
    chat.clock.advance(timedelta(minutes=10))
    chat.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        chat.engine.language_timeout(AwardKey("cy", TODAY))
    assert chat.engine.language_timeout(AwardKey("cy", TODAY)) is Outcome.DM_SENT  # Lambda's retry of the step
    assert chat.engine.language_timeout(AwardKey("cy", TODAY)) is Outcome.IGNORED  # and then it is done
    award = chat.store.awards.get(AwardKey("cy", TODAY))
    assert award is not None and award.state is AwardState.DM_SENT


def test_at_a_table_a_story_after_a_throttled_prize_dm_resumes_it_and_no_again() -> None:
    chat = Chat(
        config_with(languages=["en"], messages={}, per_table=True, tables=["1-20"], contact_capture={"channels": "off"})
    )
    assert chat.mention("nia") is Outcome.TABLE_ASKED
    assert chat.mention("nia") is Outcome.MENTION_PENDING  # a second story while the table is asked: nothing
    chat.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        chat.say("nia", "12")
    assert chat.mention("nia") is Outcome.DM_SENT  # the table's stuck prize, sent for the new story
    bodies = [m["body"] for m in chat.inbox("nia")]
    assert len(prize_texts(bodies)) == 1 and not any(AGAIN in b for b in bodies)
    assert chat.mention("nia") is Outcome.REPEAT_REPLIED
