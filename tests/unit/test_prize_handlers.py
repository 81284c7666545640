"""The prize and review_followup Lambdas through their entry points, with the engine on in-memory fakes."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from functions.prize import handler as prize
from functions.review_followup import handler as review_followup
from sandbox.apigw import LambdaContext
from tagback.adapters.phones import valid_phone
from tagback.app.tokens import TokenKeeper
from tagback.config.model import ClientConfig
from tagback.conversation.engine import Engine
from tagback.domain.awards import AwardKey, AwardState
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import ErrorKind
from tagback.domain.steps import Step
from tagback.store.codec import to_dynamo
from tagback.store.inbound import inbound_event_items
from tagback.wiring import ScheduledSteps
from tests.fakes import FakeImages, FakeMessenger, FakeRefresher, FakeScheduler, FakeVault, InMemoryStore

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(english_only: ClientConfig) -> Iterator[tuple[InMemoryStore, FakeMessenger]]:
    demo_config = english_only
    store, messenger, clock = InMemoryStore(), FakeMessenger(), ManualClock(NOON)
    vault = FakeVault(clock)
    vault.put(demo_config.secrets.coupon_signing_key, "k", NOON - timedelta(days=30))
    vault.put(demo_config.secrets.meta_access_token, "venue-token", NOON - timedelta(hours=2))  # just reconnected
    engine = Engine(
        demo_config,
        store,
        messenger,
        FakeImages(demo_config),
        FakeScheduler(),
        clock,
        random.Random(1),
        vault,
        link_prefix="https://edge.example/l/demo",
        valid_phone=valid_phone,
    )
    keeper = TokenKeeper(demo_config, vault, FakeRefresher(), store.tokens, clock)
    prize.engine.override(engine)
    review_followup.steps.override(ScheduledSteps(engine, keeper))
    yield store, messenger
    prize.engine.override(None)
    review_followup.steps.override(None)


def record(sequence: str, image: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventID": sequence,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/t/stream/x",
        "dynamodb": {
            "ApproximateCreationDateTime": 1,
            "Keys": {"PK": image["PK"], "SK": image["SK"]},
            "NewImage": image,
            "SequenceNumber": sequence,
            "SizeBytes": 10,
            "StreamViewType": "NEW_IMAGE",
        },
    }


def mention_image(mid: str, guest: str) -> dict[str, Any]:
    event = InboundEvent(EventKind.STORY_MENTION, mid, guest, "17841400000000001", NOON)
    (item,) = inbound_event_items([event], NOON, NOON)
    return to_dynamo(item)


def test_good_records_succeed_and_a_poison_record_is_reported_alone(world: tuple[InMemoryStore, FakeMessenger]) -> None:
    store, _ = world
    poison = dict(mention_image("m2", "g2"), kind={"S": "no-such-kind"})
    event = {
        "Records": [
            record("100", mention_image("m1", "g1")),
            record("200", poison),
            record("300", mention_image("m3", "g3")),
        ]
    }
    response = prize.lambda_handler(event, LambdaContext("prize"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    assert {key.guest_id for key in store.awards.by_key} == {"g1", "g3"}


def test_a_throttled_dm_fails_its_record_for_the_stream_to_retry(world: tuple[InMemoryStore, FakeMessenger]) -> None:
    _, messenger = world
    messenger.failures = [ErrorKind.THROTTLED]
    response = prize.lambda_handler({"Records": [record("100", mention_image("m1", "g1"))]}, LambdaContext("prize"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert prize.lambda_handler({"Records": [record("100", mention_image("m1", "g1"))]}, LambdaContext("prize")) == {
        "batchItemFailures": []
    }
    assert sum("Your prize" in m["body"] for m in messenger.sent) == 1


class LambdaTimedOut(BaseException):
    """Lambda ends an invocation at its timeout: nothing after it runs, no failure is reported, the hold stays."""


def test_a_batch_redelivered_after_a_timeout_mid_batch_repeats_no_delivered_message(
    world: tuple[InMemoryStore, FakeMessenger],
) -> None:
    store, messenger = world
    batch = {"Records": [record(f"{i}00", mention_image(f"m{i}", f"g{i}")) for i in (1, 2, 3)]}
    record_outcome, release = store.awards.update, store.awards.release_delivery

    def times_out(key: AwardKey, **changes: Any) -> bool:
        if key.guest_id == "g2" and changes.get("state") is AwardState.DM_SENT:  # g2's text sent, not yet recorded
            raise LambdaTimedOut
        return record_outcome(key, **changes)

    store.awards.update = times_out  # type: ignore[method-assign]
    store.awards.release_delivery = lambda _key: None  # type: ignore[method-assign]  # killed: nothing runs after
    with pytest.raises(LambdaTimedOut):
        prize.lambda_handler(batch, LambdaContext("prize"))
    store.awards.update, store.awards.release_delivery = record_outcome, release  # type: ignore[method-assign]
    prize.engine.get().clock.sleep(16 * 60)  # Lambda retries the whole batch; g2's hold has lapsed by then
    assert prize.lambda_handler(batch, LambdaContext("prize")) == {"batchItemFailures": []}
    for guest in ("g1", "g2", "g3"):
        prizes = [m for m in messenger.sent if m["to"] == guest and "Your prize" in m["body"]]
        assert len(prizes) == 1, guest
        award = store.awards.get(AwardKey(guest, "2026-11-20"))
        assert award is not None and award.state is AwardState.DM_SENT and award.text_mid == prizes[0]["mid"]


def test_a_record_that_failed_stays_failed_while_another_container_runs_the_function_meanwhile(
    world: tuple[InMemoryStore, FakeMessenger], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox plays every venue's container of the function in one process, at once: one invocation's failed
    record must not be reported done because another invocation started meanwhile (issue 17's award left dm_sent
    without its follow-up, no dead letter: its record's failure was wiped by the other venue's batch)."""
    store, _ = world
    scheduler = prize.engine.get().scheduler
    assert isinstance(scheduler, FakeScheduler)
    schedule, handle = scheduler.schedule, prize.handle_record

    def down_for_g1(step: Step, key: AwardKey, due: datetime) -> None:
        if key.guest_id == "g1":
            raise RuntimeError("InternalServerException")  # CreateSchedule, after botocore's retries
        schedule(step, key, due)

    other = {"Records": [record("900", mention_image("m9", "g9"))]}

    def other_container_meanwhile(record: Any) -> None:  # Powertools passes the record by this name
        if record.dynamodb.sequence_number == "200":  # another venue's batch, on another thread
            running = threading.Thread(target=prize.lambda_handler, args=(other, LambdaContext("prize")))
            running.start()
            running.join()
        handle(record)

    monkeypatch.setattr(scheduler, "schedule", down_for_g1)
    monkeypatch.setattr(prize, "handle_record", other_container_meanwhile)
    batch = {"Records": [record("100", mention_image("m1", "g1")), record("200", mention_image("m2", "g2"))]}
    response = prize.lambda_handler(batch, LambdaContext("prize"))
    monkeypatch.undo()
    award = store.awards.get(AwardKey("g1", "2026-11-20"))
    assert award is not None and award.state is AwardState.DM_SENT and award.followup_at is None
    assert response == {"batchItemFailures": [{"itemIdentifier": "100"}]}  # so the stream retries it
    assert prize.lambda_handler({"Records": batch["Records"][:1]}, LambdaContext("prize")) == {"batchItemFailures": []}
    assert AwardKey("g1", "2026-11-20") in scheduler.followups()


def test_follow_up_handler_asks_and_refuses_malformed_input(world: tuple[InMemoryStore, FakeMessenger]) -> None:
    prize.lambda_handler({"Records": [record("100", mention_image("m1", "g1"))]}, LambdaContext("prize"))
    answer = review_followup.lambda_handler({"guest_id": "g1", "period": "2026-11-20"}, LambdaContext("followup"))
    assert answer == {"award": AwardKey("g1", "2026-11-20").award_id, "step": "followup", "outcome": "followup_sent"}
    unknown = review_followup.lambda_handler({"guest_id": "nobody", "period": "2026-11-20"}, LambdaContext("f"))
    assert unknown["outcome"] == "followup_unknown_award"
    timeout = review_followup.lambda_handler(
        {"step": "language", "guest_id": "g1", "period": "2026-11-20"}, LambdaContext("f")
    )
    assert timeout["outcome"] == "language_timeout_ignored"  # nobody was waiting for a language
    with pytest.raises(ValidationError):
        review_followup.lambda_handler({"award": "?"}, LambdaContext("followup"))


def test_a_refused_token_makes_the_prize_wait_and_counts_token_refused(
    world: tuple[InMemoryStore, FakeMessenger], metric_counts: Counter[str]
) -> None:
    store, messenger = world
    messenger.refusing_token = True
    response = prize.lambda_handler({"Records": [record("100", mention_image("m1", "g1"))]}, LambdaContext("prize"))
    assert response == {"batchItemFailures": []}  # not retried by the stream: the token step sends it
    award = store.awards.get(AwardKey("g1", "2026-11-20"))
    assert award is not None and award.state is AwardState.WAITING_FOR_TOKEN
    assert metric_counts["TokenRefused"] == 1 and metric_counts["WaitingForToken"] == 0


def test_a_refused_review_question_waits_and_counts_token_refused(
    world: tuple[InMemoryStore, FakeMessenger], metric_counts: Counter[str]
) -> None:
    store, messenger = world
    prize.lambda_handler({"Records": [record("100", mention_image("m1", "g1"))]}, LambdaContext("prize"))
    messenger.refusing_token = True
    answer = review_followup.lambda_handler({"guest_id": "g1", "period": "2026-11-20"}, LambdaContext("followup"))
    assert answer["outcome"] == "followup_waiting_for_token"
    assert metric_counts["TokenRefused"] == 1
    assert [w.message for w in store.awards.waiting_for_token()] == ["followup"]


def test_the_token_step_resumes_what_waited(
    world: tuple[InMemoryStore, FakeMessenger], metric_counts: Counter[str]
) -> None:
    store, messenger = world
    messenger.refusing_token = True
    prize.lambda_handler({"Records": [record("100", mention_image("m1", "g1"))]}, LambdaContext("prize"))
    messenger.refusing_token = False
    answer = review_followup.lambda_handler({"step": "token"}, LambdaContext("followup"))
    assert answer == {"step": "token", "token": "token_fresh", "resumed": {"dm_sent": 1}}
    assert sum("Your prize" in m["body"] for m in messenger.sent) == 1
    assert store.awards.waiting_for_token() == []
    assert metric_counts["TokenFresh"] == 1 and metric_counts["DmSent"] == 1


def test_the_token_step_with_nothing_waiting_resumes_nothing(world: tuple[InMemoryStore, FakeMessenger]) -> None:
    answer = review_followup.lambda_handler({"step": "token"}, LambdaContext("followup"))
    assert answer == {"step": "token", "token": "token_fresh", "resumed": {}}
    assert world[1].sent == []


@pytest.mark.parametrize(
    "event",
    [
        {"step": "token", "guest_id": "g1"},  # the token step takes nothing else
        {"step": "tokens"},
        {"step": "token", "period": "2026-11-20"},
        {},
    ],
)
def test_a_malformed_step_input_fails_the_invocation(
    world: tuple[InMemoryStore, FakeMessenger], event: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        review_followup.lambda_handler(event, LambdaContext("followup"))
    assert world[1].sent == []
