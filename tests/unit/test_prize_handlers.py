"""The prize and review_followup Lambdas through their entry points, with the engine on in-memory fakes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from functions.prize import handler as prize
from functions.review_followup import handler as review_followup
from sandbox.apigw import LambdaContext
from tagback.adapters.phones import valid_phone
from tagback.config.model import ClientConfig
from tagback.conversation.engine import Engine
from tagback.domain.awards import AwardKey
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import ErrorKind
from tagback.store.codec import to_dynamo
from tagback.store.inbound import inbound_event_item
from tests.fakes import FakeImages, FakeMessenger, FakeScheduler, InMemoryStore, Secrets

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(english_only: ClientConfig) -> Iterator[tuple[InMemoryStore, FakeMessenger]]:
    demo_config = english_only
    store, messenger = InMemoryStore(), FakeMessenger()
    engine = Engine(
        demo_config,
        store,
        messenger,
        FakeImages(demo_config),
        FakeScheduler(),
        ManualClock(NOON),
        random.Random(1),
        Secrets({demo_config.secrets.coupon_signing_key: "k"}),
        link_base="https://api.example",
        valid_phone=valid_phone,
    )
    prize.engine.override(engine)
    review_followup.engine.override(engine)
    yield store, messenger
    prize.engine.override(None)
    review_followup.engine.override(None)


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
    return to_dynamo(inbound_event_item(event, NOON, NOON))


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
