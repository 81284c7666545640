"""The sandbox's stand-ins for Lambda's event sources, against the moto server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.schedules import SchedulePump
from sandbox.streams import Consumer, StreamPump
from tagback.clock import ManualClock
from tests.integration.conftest import client

pytestmark = pytest.mark.integration


def test_stream_records_reach_consumers_in_lambda_shape_filtered_and_batched(moto_endpoint: str, table: str) -> None:
    dynamodb = client("dynamodb", moto_endpoint)
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    batches: list[dict[str, Any]] = []
    wanted = Consumer(
        "prize",
        admits=lambda r: r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"]["item_type"]["S"] == "inbound_event",
        invoke=batches.append,
        batch_size=2,
    )
    pump = StreamPump(client("dynamodbstreams", moto_endpoint), stream_arn, consumers=[wanted])
    for i in range(3):
        dynamodb.put_item(
            TableName=table,
            Item={"PK": {"S": f"GUEST#{i}"}, "SK": {"S": "IN#m"}, "item_type": {"S": "inbound_event"}},
        )
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "X"}, "SK": {"S": "Y"}, "item_type": {"S": "other"}})
    assert pump.pump_once() == 4
    assert pump.pump_once() == 0  # nothing is delivered twice
    assert [len(b["Records"]) for b in batches] == [2, 1]
    record = batches[0]["Records"][0]
    assert record["eventSource"] == "aws:dynamodb" and record["eventSourceARN"] == stream_arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["dynamodb"]["Keys"] == {"PK": {"S": "GUEST#0"}, "SK": {"S": "IN#m"}}


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
