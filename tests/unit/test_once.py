"""No duplicate DMs, no silent loss (issue 14.5), with in-memory fakes: each message of an award records its intent
before it is sent and its outcome after; a send whose answer was lost is looked up in the guest's conversation, sent
again only when it is not there, and counted as uncertain, never resent, when the conversation cannot be read."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from tagback.config.model import ClientConfig
from tagback.conversation import once
from tagback.conversation.outcome import DeliveryPending, Outcome
from tagback.domain.awards import AwardKey, AwardState, FollowUpState
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import ErrorKind, GraphError, fingerprint
from tests.fakes import AnswerLost
from tests.unit.test_conversation import NOON, World, mention

KEY = AwardKey("g1", "2026-11-20")


@pytest.fixture
def world(english_only: ClientConfig) -> World:
    return World(english_only)


def prize_texts(world: World, guest: str = "g1") -> list[str]:
    return [t for t in world.texts(guest) if "Your prize" in t]


def award(world: World) -> Any:
    found = world.store.awards.get(KEY)
    assert found is not None
    return found


def test_a_prize_text_delivered_but_unanswered_is_found_in_the_conversation_not_sent_again(world: World) -> None:
    world.messenger.failures = [AnswerLost(delivered=True)]
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    (text,) = prize_texts(world)
    prize = award(world)
    assert prize.text_mid == world.messenger.sent[0]["mid"]  # Meta's id, as the conversation lists it
    assert prize.text_digest == fingerprint(text) and prize.text_sending_at is not None
    assert [m["kind"] for m in world.messenger.sent] == ["text", "image"]  # and the rest follows
    assert world.store.guests.by_id["g1"].greeted_at is not None  # the footer went with it
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT  # redelivered: nothing more
    assert len(world.messenger.sent) == 2


def test_a_prize_text_never_delivered_is_sent_once_it_is_sure_it_did_not_arrive(world: World) -> None:
    world.messenger.failures = [AnswerLost(delivered=False)]
    sent_at = world.clock.now()
    with pytest.raises(DeliveryPending, match="did not arrive"):
        world.engine.handle(mention("m1"))
    assert world.clock.now() >= sent_at + once.SETTLE  # looked up again once the send had settled
    assert world.messenger.lookups == 2
    prize = award(world)
    assert prize.state is AwardState.CLAIMED and prize.text_sending_at is None and prize.dm_error
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT  # the retry sends it
    assert len(prize_texts(world)) == 1


def test_without_time_to_wait_the_lookup_is_left_to_the_retry(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(once, "seconds_left", lambda: 20.0)  # less than the wait and a lookup
    world.messenger.failures = [AnswerLost(delivered=False)]
    before = world.clock.now()
    with pytest.raises(DeliveryPending, match="may still arrive"):
        world.engine.handle(mention("m1"))
    assert world.clock.now() == before and award(world).text_sending_at is not None  # still possibly sent
    world.clock.advance(timedelta(minutes=2))  # the stream's retry, later
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert len(prize_texts(world)) == 1 and world.messenger.lookups == 2


def test_a_send_whose_outcome_was_never_recorded_is_looked_up_by_the_next_attempt(world: World) -> None:
    """The attempt died between Meta's answer and the award's update (a Lambda timeout): the intent is all there is."""
    record_outcome = world.store.awards.update

    def dies_after_sending(key: AwardKey, **changes: Any) -> bool:
        if changes.get("state") is AwardState.DM_SENT:
            raise TimeoutError("Task timed out")
        return record_outcome(key, **changes)

    world.store.awards.update = dies_after_sending  # type: ignore[method-assign]
    with pytest.raises(TimeoutError):
        world.engine.handle(mention("m1"))
    world.store.awards.update = record_outcome  # type: ignore[method-assign]
    assert len(prize_texts(world)) == 1 and award(world).text_mid is None
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert len(prize_texts(world)) == 1
    assert award(world).text_mid == world.messenger.sent[0]["mid"]


def test_an_unreadable_conversation_leaves_the_prize_uncertain_visible_and_never_resent(
    world: World, metric_counts: Counter[str]
) -> None:
    world.messenger.failures = [AnswerLost(delivered=False)]
    world.messenger.lookup_failures = [GraphError(ErrorKind.AUTH, 403, 200, None, "(#200) permission")]
    assert world.engine.handle(mention("m1")) is Outcome.DM_UNCERTAIN
    prize = award(world)
    assert prize.state is AwardState.DM_UNCERTAIN and prize.text_mid is None and prize.dm_error
    assert world.store.stats.months["2026-11"]["dms_uncertain"] == 1
    assert world.store.stats.months["2026-11"]["awards"] == 1  # the prize stands
    assert metric_counts["DmsUncertain"] == 1
    assert f"award-{KEY.award_id}" in world.store.outbox.events  # the owner's sheet has it
    assert [m["kind"] for m in world.messenger.sent] == ["image"]  # the coupon image carries the code
    assert KEY in world.scheduler.followups()
    assert world.engine.handle(mention("m1")) is Outcome.DM_UNCERTAIN  # redelivered: never sent again
    assert [m["kind"] for m in world.messenger.sent] == ["image"]


def test_a_conversation_unreadable_for_now_is_read_again_on_the_retry(world: World) -> None:
    world.messenger.failures = [AnswerLost(delivered=True)]
    world.messenger.lookup_failures = [GraphError(ErrorKind.TEMPORARY, 500, 2, None, "try later")]
    with pytest.raises(DeliveryPending, match="could not be read"):
        world.engine.handle(mention("m1"))
    assert award(world).text_sending_at is not None  # maybe delivered: kept
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert len(prize_texts(world)) == 1


def test_a_throttled_send_withdraws_its_intent_and_the_retry_sends_it_unchecked(world: World) -> None:
    world.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        world.engine.handle(mention("m1"))
    assert award(world).text_sending_at is None and award(world).text_digest is None
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    assert len(prize_texts(world)) == 1 and world.messenger.lookups == 0


def test_a_send_another_attempt_began_meanwhile_is_left_to_it(world: World) -> None:
    world.store.awards.begin_send = lambda *_, **__: False  # type: ignore[method-assign]  # its intent came first
    with pytest.raises(DeliveryPending, match="another attempt"):
        world.engine.handle(mention("m1"))
    assert world.messenger.sent == []


def test_an_image_whose_answer_was_lost_is_recorded_uncertain_and_never_resent(world: World) -> None:
    send_image = world.messenger.send_image

    def answer_lost(recipient: str, url: str) -> str:
        world.messenger.failures = [AnswerLost(delivered=True)]
        return send_image(recipient, url)

    world.messenger.send_image = answer_lost  # type: ignore[method-assign]
    assert world.engine.handle(mention("m1")) is Outcome.DM_SENT
    prize = award(world)
    assert prize.image_mid is None and prize.image_error and "uncertain" in prize.image_error
    assert world.store.stats.months["2026-11"]["dms_uncertain"] == 1
    world.engine.handle(mention("m1"))
    assert [m["kind"] for m in world.messenger.sent] == ["text", "image"]


def test_a_review_question_delivered_but_unanswered_is_found_not_asked_again(world: World) -> None:
    world.engine.handle(mention("m1"))
    world.clock.advance(timedelta(minutes=60))
    world.messenger.failures = [AnswerLost(delivered=True)]
    assert world.engine.follow_up(KEY) is FollowUpState.SENT
    (question,) = [m for m in world.messenger.sent if "review on Google" in m["body"]]
    assert award(world).followup_mid == question["mid"]
    assert world.engine.follow_up(KEY) is FollowUpState.SENT
    assert len([m for m in world.messenger.sent if "review on Google" in m["body"]]) == 1


def test_a_review_question_that_cannot_be_looked_up_is_uncertain(world: World) -> None:
    world.engine.handle(mention("m1"))
    world.clock.advance(timedelta(minutes=60))
    world.messenger.failures = [AnswerLost(delivered=True)]
    world.messenger.lookup_failures = [GraphError(ErrorKind.REJECTED, 400, 100, None, "unsupported")]
    assert world.engine.follow_up(KEY) is FollowUpState.UNCERTAIN
    assert world.engine.follow_up(KEY) is FollowUpState.UNCERTAIN
    assert len([m for m in world.messenger.sent if "review on Google" in m["body"]]) == 1
    assert world.store.stats.months["2026-11"]["dms_uncertain"] == 1


def test_the_review_question_waits_while_another_delivery_holds_the_award(world: World) -> None:
    world.engine.handle(mention("m1"))
    world.clock.advance(timedelta(minutes=60))
    now = world.clock.now()
    assert world.store.awards.hold_delivery(KEY, now=now, until=now + timedelta(minutes=15)) is not None
    with pytest.raises(DeliveryPending, match="under way"):
        world.engine.follow_up(KEY)
    world.store.awards.release_delivery(KEY)
    assert world.engine.follow_up(KEY) is FollowUpState.SENT


def test_a_reply_whose_answer_was_lost_is_handled_once_and_counted(world: World) -> None:
    hello = InboundEvent(EventKind.TEXT, "t1", "g1", "17841400000000001", NOON, text="hello?")
    world.messenger.failures = [AnswerLost(delivered=True)]
    assert world.engine.handle(hello) is Outcome.REPLY_UNCERTAIN
    assert world.engine.handle(hello) is Outcome.ALREADY_HANDLED
    assert len(world.texts()) == 1
    assert world.store.stats.months["2026-11"]["dms_uncertain"] == 1
