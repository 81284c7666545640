"""The conversation engine with the real DynamoDB repository, scheduler and S3 adapters on the moto server:
the conditional writes that make "exactly one" true are DynamoDB's, not a test double's."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from tagback.adapters.coupon_image import render_coupon
from tagback.adapters.phones import valid_phone
from tagback.adapters.s3_coupons import S3CouponImages
from tagback.adapters.scheduler import EventBridgeSteps, schedule_name
from tagback.config.loading import parse_client_config
from tagback.config.model import ClientConfig
from tagback.conversation.claims import new_award
from tagback.conversation.engine import Engine
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import AwardKey, AwardMessage, AwardState, CouponFace
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import fingerprint
from tagback.domain.steps import Step
from tagback.domain.suppression import suppression_key
from tagback.store.repositories import Repositories
from tests.conftest import DEMO_CONFIG, ENGLISH_ONLY
from tests.fakes import AnswerLost, FakeMessenger, Secrets
from tests.integration.conftest import REGION, client

pytestmark = pytest.mark.integration
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def config_with(**changes: Any) -> ClientConfig:
    """The demo client in English only (no language question), with `changes`."""
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8")) | ENGLISH_ONLY | changes
    return parse_client_config(data, "t", DEMO_CONFIG.parent)


def mention(mid: str, guest: str = "g1", at: datetime = NOON) -> InboundEvent:
    return InboundEvent(EventKind.STORY_MENTION, mid, guest, "17841400000000001", at)


@pytest.fixture
def resources(moto_endpoint: str, table: str) -> dict[str, Any]:
    s3 = client("s3", moto_endpoint)
    bucket = f"coupons-{table}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    scheduler = client("scheduler", moto_endpoint)
    scheduler.create_schedule_group(Name=table)
    return {
        "s3": s3,
        "bucket": bucket,
        "scheduler": scheduler,
        "group": table,
        "store": Repositories.on(table, client=client("dynamodb", moto_endpoint)),
    }


def engine(resources: dict[str, Any], config: ClientConfig, messenger: FakeMessenger, seed: int = 1) -> Engine:
    scheduler = EventBridgeSteps(
        group=resources["group"],
        target_arn="arn:aws:lambda:eu-west-1:123456789012:function:tagback-followup",
        role_arn="arn:aws:iam::123456789012:role/scheduler",
        dead_letter_arn="arn:aws:sqs:eu-west-1:123456789012:dlq",
        client=resources["scheduler"],
    )
    return Engine(
        config,
        resources["store"],
        messenger,
        S3CouponImages(resources["bucket"], config, client=resources["s3"]),
        scheduler,
        ManualClock(NOON + timedelta(seconds=1)),
        random.Random(seed),
        Secrets({config.secrets.coupon_signing_key: "k"}),
        link_prefix="https://edge.example/l/demo",
        valid_phone=valid_phone,
    )


def test_thirty_concurrent_mentions_of_one_guest_make_one_award_and_one_prize_dm(
    resources: dict[str, Any], english_only: ClientConfig
) -> None:
    messenger = FakeMessenger()
    conversation = engine(resources, english_only, messenger)
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(conversation.handle, [mention(f"m{i}") for i in range(30)]))
    assert outcomes.count(Outcome.DM_SENT) == 1
    assert outcomes.count(Outcome.REPEAT_REPLIED) + outcomes.count(Outcome.REPEAT_BEFORE_PRIZE) == 29
    texts = [m["body"] for m in messenger.sent if m["kind"] == "text"]
    assert sum("Your prize" in t for t in texts) == 1
    assert "Your prize" in texts[0]  # no "again" before the prize
    award = resources["store"].awards.get(AwardKey("g1", "2026-11-20"))
    assert award.state is AwardState.DM_SENT and award.image_mid is not None
    coupon = resources["store"].coupons.get(award.coupon_code)
    assert coupon["prize_id"] == award.prize_id and "redeemed_at" not in coupon
    # five redeliveries of the winning record: nothing more is sent
    before = len(messenger.sent)
    for _ in range(5):
        conversation.handle(mention(award.mention_mid))
    assert len(messenger.sent) == before


def test_caps_hold_under_fifty_concurrent_winners(resources: dict[str, Any]) -> None:
    prizes = [
        {"id": "rare", "name": "Rare", "weight": 90, "daily_cap": 3},
        {"id": "common", "name": "Common", "weight": 10},
    ]
    conversation = engine(resources, config_with(prizes=prizes), FakeMessenger(), seed=5)
    with ThreadPoolExecutor(max_workers=25) as pool:
        list(pool.map(conversation.handle, [mention(f"m{i}", guest=f"g{i}") for i in range(50)]))
    won = [resources["store"].awards.get(AwardKey(f"g{i}", "2026-11-20")).prize_id for i in range(50)]
    assert won.count("rare") == 3 and won.count("common") == 47


def test_cooldown_claims_use_a_transaction(resources: dict[str, Any]) -> None:
    conversation = engine(
        resources, config_with(claim_policy={"kind": "cooldown", "cooldown_hours": 4}), FakeMessenger()
    )
    assert conversation.handle(mention("m1")) is Outcome.DM_SENT
    assert conversation.handle(mention("m1")) is Outcome.DM_SENT  # redelivery of the winner
    assert conversation.handle(mention("m2", at=NOON + timedelta(hours=3))) is Outcome.REPEAT_REPLIED
    assert conversation.handle(mention("m3", at=NOON + timedelta(hours=4))) is Outcome.DM_SENT


def test_the_follow_up_schedule_is_created_once_at_plus_sixty_minutes(
    resources: dict[str, Any], english_only: ClientConfig
) -> None:
    conversation = engine(resources, english_only, FakeMessenger())
    conversation.handle(mention("m1"))
    key = AwardKey("g1", "2026-11-20")
    conversation.scheduler.schedule(Step.FOLLOW_UP, key, NOON)  # a second create is a no-op, not an error
    schedule = resources["scheduler"].get_schedule(
        Name=schedule_name(Step.FOLLOW_UP, key), GroupName=resources["group"]
    )
    award = resources["store"].awards.get(key)
    assert schedule["ScheduleExpression"] == f"at({award.claimed_at + timedelta(minutes=60):%Y-%m-%dT%H:%M:%S})"
    assert schedule["ScheduleExpressionTimezone"] == "UTC" and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Input"] == '{"step": "followup", "guest_id": "g1", "period": "2026-11-20"}'
    assert schedule["Target"]["DeadLetterConfig"]["Arn"].endswith(":dlq")
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 3


def test_the_coupon_image_url_is_presigned_and_short_lived(
    resources: dict[str, Any], aws: str, english_only: ClientConfig
) -> None:
    face = CouponFace(
        "Café Aurora", "Free espresso", "ABCD-EFGH-JKLM", "Valid until 4 Dec 2026", "Show this coupon to our staff"
    )
    url = S3CouponImages(resources["bucket"], english_only).publish(face, valid_days=14)  # its own (SigV4) client
    assert "X-Amz-Expires=900" in url and "X-Amz-Signature=" in url
    assert urlsplit(url).path.endswith("/coupons/14d/ABCD-EFGH-JKLM.png")  # under the rule that expires it
    assert requests.get(url, timeout=5).content == render_coupon(face, english_only).png


def test_a_prize_refused_for_the_token_waits_in_the_table_and_goes_out_once_it_works(
    resources: dict[str, Any], english_only: ClientConfig
) -> None:
    messenger = FakeMessenger()
    messenger.refusing_token = True
    conversation = engine(resources, english_only, messenger)
    for i, minutes in ((2, 30), (1, 10)):
        conversation.handle(mention(f"m{i}", guest=f"g{i}", at=NOON + timedelta(minutes=minutes)))
    store = resources["store"]
    assert [w.key.guest_id for w in store.awards.waiting_for_token()] == ["g1", "g2"]
    assert store.awards.get(AwardKey("g1", "2026-11-20")).state is AwardState.WAITING_FOR_TOKEN
    assert conversation.resume_waiting() == Counter({"waiting_for_token": 1})  # still refused: stops at the first
    messenger.refusing_token = False
    assert conversation.resume_waiting() == Counter({"dm_sent": 2})
    assert [m["to"] for m in messenger.sent if m["kind"] == "text"] == ["g1", "g2"]
    assert store.awards.waiting_for_token() == []
    assert {store.awards.get(AwardKey(g, "2026-11-20")).state for g in ("g1", "g2")} == {AwardState.DM_SENT}


def test_stop_puts_a_keyed_hash_on_the_suppression_list_that_outlives_the_profile(
    resources: dict[str, Any], english_only: ClientConfig, table: str, moto_endpoint: str
) -> None:
    guest = "6170000000000042"
    messenger = FakeMessenger()
    conversation = engine(resources, english_only, messenger)
    conversation.handle(mention("m1", guest=guest))
    conversation.handle(InboundEvent(EventKind.TEXT, "m2", guest, "17841400000000001", NOON, text="Please stop"))
    dynamodb = client("dynamodb", moto_endpoint)
    items = dynamodb.scan(TableName=table)["Items"]
    (entry,) = [i for i in items if i.get("item_type") == {"S": "suppression"}]
    assert entry["PK"]["S"] == f"SUPPRESSED#{suppression_key(guest, 'k')}"  # keyed with the coupon signing key
    assert set(entry) == {"PK", "SK", "item_type", "suppressed_at"}  # no TTL, nothing else
    assert guest not in str(entry)
    for item in items:  # DynamoDB's TTL, after retention_days: everything but the suppression entry goes
        if item is not entry:
            dynamodb.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})
    sent = len(messenger.sent)
    later = NOON + timedelta(days=91)
    assert conversation.handle(InboundEvent(EventKind.TEXT, "m3", guest, "1", later, text="hi")) is Outcome.SILENCED
    assert conversation.handle(InboundEvent(EventKind.TEXT, "m4", guest, "1", later, text="START")) is Outcome.OPTED_IN
    assert "SUPPRESSED#" not in str(dynamodb.scan(TableName=table)["Items"])  # START took the entry off
    assert len(messenger.sent) == sent + 1


def test_a_prize_text_whose_answer_was_lost_is_found_and_its_intent_and_outcome_stored(
    resources: dict[str, Any], english_only: ClientConfig
) -> None:
    messenger = FakeMessenger()
    messenger.failures = [AnswerLost(delivered=True)]
    conversation = engine(resources, english_only, messenger)
    assert conversation.handle(mention("m1")) is Outcome.DM_SENT
    assert conversation.handle(mention("m1")) is Outcome.DM_SENT  # redelivered: nothing more
    text, image = messenger.sent
    award = resources["store"].awards.get(AwardKey("g1", "2026-11-20"))
    assert award.text_mid == text["mid"] and award.image_mid == image["mid"]
    assert award.text_digest == fingerprint(text["body"]) and award.text_sending_at == NOON + timedelta(seconds=1)
    assert award.image_sending_at is not None


def test_of_many_concurrent_attempts_one_begins_a_send_and_a_gone_award_none(resources: dict[str, Any]) -> None:
    awards = resources["store"].awards
    award = new_award("g2", "m2", NOON, "2026-11-20", NOON.date(), now=NOON)
    awards.claim(award, NOON + timedelta(days=90))

    def begin(_: int) -> bool:
        return bool(awards.begin_send(award.key, AwardMessage.TEXT, at=NOON, digest="0123456789abcdef"))

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert sorted(pool.map(begin, range(20))) == [False] * 19 + [True]
    gone = AwardKey("nobody", "2026-11-20")
    assert not awards.begin_send(gone, AwardMessage.IMAGE, at=NOON, digest=None)
    assert awards.get(gone) is None  # not brought into being as a bare key
