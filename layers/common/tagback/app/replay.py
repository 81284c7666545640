"""Replaying what failed: the dead-letter and on-failure queues, through the function that failed.

Lambda's on-failure destination for a stream gets a *pointer*, not the records: `DDBStreamBatchInfo` names the
shard and the sequence numbers. Replay reads those records back from the stream (which keeps them 24 hours) and
invokes the function with them in Lambda's event shape. The integrations' dead letters for refused deliveries
name an outbox item instead: replay reads the item from the table and hands it over the same way. The on-failure
queues of the functions Scheduler invokes hold Lambda's record of the failed invocation: replay invokes the
function again with its `requestPayload`. A message is deleted only once its invocation succeeds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tagback.store.codec import to_dynamo
from tagback.store.schema import ERASURE_REQUEST, INBOUND_EVENT, ITEM_TYPE, OUTBOX, PARTITION_KEY, SORT_KEY

Record = dict[str, Any]

# The records each of the table's stream mappings passes its function (Lambda event filtering syntax): the stack's
# mappings filter with these (infra/event_sources.py), and replay keeps only what they admit of a pointed-at range.
PRIZE_RECORDS: dict[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {ITEM_TYPE: {"S": [INBOUND_EVENT, ERASURE_REQUEST]}}},
}
OUTBOX_RECORDS: dict[str, Any] = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {ITEM_TYPE: {"S": [OUTBOX]}}}}


def matches(pattern: dict[str, Any], data: Any) -> bool:
    """Lambda's event filtering, for the pattern forms the stack uses: nested keys and lists of exact values."""
    if not isinstance(data, dict):
        return False
    for key, expected in pattern.items():
        if key not in data:
            return False
        if isinstance(expected, dict):
            if not matches(expected, data[key]):
                return False
        elif data[key] not in expected:
            return False
    return True


def lambda_shape(record: Record, stream_arn: str) -> Record:
    """A DynamoDB Streams API record as Lambda hands it to a function (ARN added, creation time in epoch s)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, int | float):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "eventSourceARN": stream_arn, "dynamodb": dynamodb}


def read_range(streams: Any, info: dict[str, Any], filter_pattern: dict[str, Any]) -> list[Record]:
    """The records from startSequenceNumber to endSequenceNumber of one shard that the mapping's filter admits: the
    range holds every item type written meanwhile, and the function was only ever passed what its filter admits."""
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    records: list[Record] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator)
        for record in page["Records"]:
            if int(record["dynamodb"]["SequenceNumber"]) > end:
                return records
            if matches(filter_pattern, record):
                records.append(lambda_shape(record, info["streamArn"]))
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return records


def outbox_record(item: dict[str, Any]) -> Record:
    """An outbox item as the stream would have delivered its INSERT."""
    keys = {PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]}
    return {
        "eventID": f"replay-{item[PARTITION_KEY]}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "replay",
        "dynamodb": {
            "Keys": to_dynamo(keys),
            "NewImage": to_dynamo(item),
            "SequenceNumber": f"replay-{item[PARTITION_KEY]}",
            "StreamViewType": "NEW_IMAGE",
            "SizeBytes": 0,
            "ApproximateCreationDateTime": 0,
        },
    }


@dataclass
class ReplayReport:
    replayed: int = 0  # dead-lettered batches whose records now succeeded (their messages are deleted)
    still_failing: int = 0  # kept in the queue
    expired: int = 0  # the stream no longer holds the records (over 24 hours): kept, for a person to look at
    failures: list[str] = field(default_factory=list)


def _messages(sqs: Any, queue_url: str) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=300
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            return
        for message in fresh:
            seen.add(message["MessageId"])
            yield message


def _event(
    body: dict[str, Any],
    streams: Any,
    outbox_item: Callable[[str], dict[str, Any] | None] | None,
    filter_pattern: dict[str, Any] | None,
) -> tuple[dict[str, Any] | None, str]:
    """The event to invoke the function with again (None when what it pointed at is gone), and a label for it."""
    if "requestPayload" in body:  # an asynchronous invocation that failed: its event, as it was
        return body["requestPayload"], f"request {body.get('requestContext', {}).get('requestId')}"
    info = body.get("DDBStreamBatchInfo")
    if info:
        if filter_pattern is None:
            raise ValueError("a stream's on-failure pointer needs its mapping's filter pattern to be replayed")
        records, label = read_range(streams, info, filter_pattern), f"{info['shardId']}@{info['startSequenceNumber']}"
    else:
        item = outbox_item(body["outbox_event_id"]) if outbox_item and "outbox_event_id" in body else None
        records, label = ([outbox_record(item)] if item else []), f"outbox {body.get('outbox_event_id')}"
    return ({"Records": records} if records else None), label


def replay(
    sqs: Any,
    queue_url: str,
    streams: Any,
    invoke: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    outbox_item: Callable[[str], dict[str, Any] | None] | None = None,
    filter_pattern: dict[str, Any] | None = None,
) -> ReplayReport:
    """`filter_pattern`: what the stream mapping of a dead-letter queue's function admits (PRIZE_RECORDS,
    OUTBOX_RECORDS); none for the on-failure queues of functions Scheduler invokes."""
    report = ReplayReport()
    kept: list[str] = []
    for message in _messages(sqs, queue_url):
        event, label = _event(json.loads(message["Body"]), streams, outbox_item, filter_pattern)
        if event is None:
            report.expired += 1
            kept.append(message["ReceiptHandle"])
            continue
        try:
            failed = (invoke(event) or {}).get("batchItemFailures") or []
        except Exception as error:
            failed = [{"itemIdentifier": repr(error)}]
        if failed:
            report.still_failing += 1
            report.failures.append(f"{label}: {failed}")
            kept.append(message["ReceiptHandle"])
            continue
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        report.replayed += 1
    for handle in kept:  # visible again at once, for the next replay or a person
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return report
