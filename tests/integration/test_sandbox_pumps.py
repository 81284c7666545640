"""The sandbox's stand-ins for Lambda's event sources, against the moto server."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from infra.event_sources import PRIZE_STREAM
from sandbox.schedules import SchedulePump
from sandbox.streams import Consumer, StreamPump, sqs_dead_letter
from tagback.app.replay import replay
from tagback.domain.clock import ManualClock
from tests.integration.conftest import REGION, client

pytestmark = pytest.mark.integration


def test_stream_records_reach_consumers_in_lambda_shape_filtered_and_batched(moto_endpoint: str, table: str) -> None:
    dynamodb = client("dynamodb", moto_endpoint)
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    batches: list[dict[str, Any]] = []
    wanted = Consumer("prize", PRIZE_STREAM.filter_pattern, invoke=batches.append, batch_size=2)
    pump = StreamPump(client("dynamodbstreams", moto_endpoint), stream_arn, consumers=[wanted])
    for i in range(3):
        dynamodb.put_item(
            TableName=table,
            Item={"PK": {"S": f"GUEST#{i}"}, "SK": {"S": "IN#m"}, "item_type": {"S": "inbound_event"}},
        )
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "X"}, "SK": {"S": "Y"}, "item_type": {"S": "other"}})
    dynamodb.update_item(
        TableName=table,
        Key={"PK": {"S": "GUEST#0"}, "SK": {"S": "IN#m"}},
        UpdateExpression="SET reply_mid = :m",
        ExpressionAttributeValues={":m": {"S": "r"}},
    )
    assert pump.pump_once() == 5  # the MODIFY is read but not admitted: the filter wants INSERTs
    assert pump.pump_once() == 0  # nothing is delivered twice
    assert [len(b["Records"]) for b in batches] == [2, 1]
    record = batches[0]["Records"][0]
    assert record["eventSource"] == "aws:dynamodb" and record["eventSourceARN"] == stream_arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["dynamodb"]["Keys"] == {"PK": {"S": "GUEST#0"}, "SK": {"S": "IN#m"}}


def inbound(guest: str) -> dict[str, Any]:
    return {"PK": {"S": f"GUEST#{guest}"}, "SK": {"S": "IN#m"}, "item_type": {"S": "inbound_event"}}


def delivered_guests(batches: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["Keys"]["PK"]["S"].removeprefix("GUEST#") for b in batches for r in b["Records"]]


def recording_pump(moto_endpoint: str, table: str) -> tuple[Any, StreamPump, list[dict[str, Any]]]:
    """The table's client, and a pump whose prize consumer records the batches it is given."""
    dynamodb = client("dynamodb", moto_endpoint)
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    batches: list[dict[str, Any]] = []
    consumer = Consumer("prize", PRIZE_STREAM.filter_pattern, invoke=batches.append)
    return dynamodb, StreamPump(client("dynamodbstreams", moto_endpoint), stream_arn, consumers=[consumer]), batches


def test_the_stream_goes_on_after_a_failed_transaction(moto_endpoint: str, table: str) -> None:
    # moto puts back a copy of the table (and of its stream) taken before a transaction that fails.
    dynamodb, pump, batches = recording_pump(moto_endpoint, table)
    dynamodb.put_item(TableName=table, Item=inbound("a"))
    assert pump.pump_once() == 1
    new = {"ConditionExpression": "attribute_not_exists(PK)"}
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(  # the first Put is applied, then undone when the second one fails
            TransactItems=[
                {"Put": {"TableName": table, "Item": inbound("rolled-back"), **new}},
                {"Put": {"TableName": table, "Item": inbound("a"), **new}},
            ]
        )
    for guest in ("b", "c"):
        dynamodb.put_item(TableName=table, Item=inbound(guest))
        assert pump.pump_once() == 1
    assert pump.pump_once() == 0
    assert delivered_guests(batches) == ["a", "b", "c"]


def test_records_read_before_a_rollback_hold_back_none_written_after_it(moto_endpoint: str, table: str) -> None:
    # What the pump sees when it reads while a transaction is under way that then fails: moto hands the
    # rolled-back records' sequence numbers out again. Done here as moto does it, as the interleaving of two
    # requests cannot be forced from outside.
    dynamodb, pump, batches = recording_pump(moto_endpoint, table)
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables
    dynamodb.put_item(TableName=table, Item=inbound("a"))
    before = copy.deepcopy(tables[table])  # transact_write_items keeps this copy first
    dynamodb.put_item(TableName=table, Item=inbound("rolled-back"))
    assert pump.pump_once() == 2
    tables[table] = before  # ... and puts it back when the transaction fails
    assert pump.pump_once() == 0
    dynamodb.put_item(TableName=table, Item=inbound("b"))  # gets the rolled-back record's sequence number
    dynamodb.put_item(TableName=table, Item=inbound("c"))
    assert pump.pump_once() == 2
    assert pump.pump_once() == 0
    assert delivered_guests(batches) == ["a", "rolled-back", "b", "c"]


def test_one_shot_schedules_fire_when_the_clock_reaches_them(moto_endpoint: str) -> None:
    scheduler = client("scheduler", moto_endpoint)
    group = f"g-{datetime.now(UTC).timestamp():.0f}"
    scheduler.create_schedule_group(Name=group)
    clock = ManualClock(datetime(2026, 11, 20, 21, 30, tzinfo=UTC))
    due = clock.now() + timedelta(minutes=60)
    scheduler.create_schedule(
        Name="followup-a1",
        GroupName=group,
        ScheduleExpression=f"at({due:%Y-%m-%dT%H:%M:%S})",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": "arn:aws:lambda:eu-west-1:123456789012:function:tagback-review_followup",
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": json.dumps({"award": "a1"}),
        },
    )
    received: list[dict[str, Any]] = []
    pump = SchedulePump(scheduler, group, targets={"tagback-review_followup": received.append})
    assert pump.fire_due(clock.advance(timedelta(minutes=59))) == []
    assert pump.fire_due(clock.advance(timedelta(minutes=1))) == ["followup-a1"]
    assert received == [{"award": "a1"}]
    assert scheduler.list_schedules(GroupName=group)["Schedules"] == []  # ActionAfterCompletion=DELETE


def test_a_poison_record_ends_in_the_dead_letter_queue_and_replays_once_fixed(moto_endpoint: str, table: str) -> None:
    dynamodb, sqs = client("dynamodb", moto_endpoint), client("sqs", moto_endpoint)
    queue_url = sqs.create_queue(QueueName=f"dlq-{table}")["QueueUrl"]
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = client("dynamodbstreams", moto_endpoint)
    calls: list[list[str]] = []
    poisoned = {"GUEST#poison"}

    def prize(event: dict[str, Any]) -> dict[str, Any]:
        keys = [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]]
        calls.append(keys)
        failed = [
            r["dynamodb"]["SequenceNumber"] for r in event["Records"] if r["dynamodb"]["Keys"]["PK"]["S"] in poisoned
        ]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    consumer = Consumer(
        "prize",
        PRIZE_STREAM.filter_pattern,
        prize,
        retry_attempts=3,
        dead_letter=sqs_dead_letter(sqs, queue_url),
        backoff=(0.01, 0.02),
    )
    pump = StreamPump(streams, stream_arn, consumers=[consumer])
    for pk in ("GUEST#before", "GUEST#poison", "GUEST#after"):
        dynamodb.put_item(
            TableName=table, Item={"PK": {"S": pk}, "SK": {"S": "IN#m"}, "item_type": {"S": "inbound_event"}}
        )
    pump.pump_once()
    while pump.waiting():  # the retries come after short pauses
        time.sleep(0.01)
        pump.pump_once()
    # first the whole batch, then 3 retries from the poison record on, then the rest without it: no endless loop
    assert calls[0] == ["GUEST#before", "GUEST#poison", "GUEST#after"]
    assert calls[1:4] == [["GUEST#poison", "GUEST#after"]] * 3
    assert calls[4:] == [["GUEST#after"]]
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    info = json.loads(message["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == stream_arn
    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)

    still = replay(sqs, queue_url, streams, prize, filter_pattern=PRIZE_STREAM.filter_pattern)
    assert (still.replayed, still.still_failing) == (0, 1)
    poisoned.clear()  # the bug is fixed
    fixed = replay(sqs, queue_url, streams, prize, filter_pattern=PRIZE_STREAM.filter_pattern)
    assert (fixed.replayed, fixed.still_failing) == (1, 0)
    assert calls[-1] == ["GUEST#poison"]
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []
