"""The DynamoDB stream, pumped into consumer functions as Lambda's event-source mapping would.

`StreamPump` reads the table's stream from moto and, per consumer (with its own reader, as each mapping reads with its
function's role): keeps the records its filter pattern admits,
invokes it with `{"Records": [...]}` batches, honours partial batch responses (it resumes from the first failed
record), splits a batch whose invocation failed in two (BisectBatchOnFunctionError: the split is not a retry),
retries a failing record `retry_attempts` times with growing pauses (wall time), counted for that record alone, and
then sends Lambda's on-failure message for it to the dead-letter queue and moves on. Each consumer keeps its own
queue and pauses, as each event-source mapping does: one failing consumer never holds up another.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tagback.app.replay import lambda_shape, matches

log = logging.getLogger("sandbox.stream")

Record = dict[str, Any]
# moto hands out fewer records than this only at the end of what the shard holds; stopping there spares a read
# (moto keeps every iterator it hands out, for as long as the sandbox runs).
PAGE_LIMIT = 1000
INVOCATION_FAILED = -1  # what `_invoke` answers when the function failed on the batch as a whole


@dataclass
class StreamPosition:
    """How far one mapping has read the stream: per shard, the last record read; the eventIDs of every record read."""

    last: dict[str, Record] = field(default_factory=dict)
    read_ids: set[str] = field(default_factory=set)


@dataclass
class Consumer:
    name: str
    filter_pattern: dict[str, Any]
    invoke: Callable[[dict[str, Any]], Any]
    batch_size: int = 10
    retry_attempts: int = 3
    dead_letter: Callable[[dict[str, Any]], None] | None = None  # receives Lambda's on-failure message
    backoff: tuple[float, float] = (0.1, 1.0)  # first pause and longest pause between retries, in seconds
    queue: list[Record] = field(default_factory=list)
    attempts: int = 0  # failed invocations in which the head of the queue was the first record that failed
    bisected: int | None = None  # the batch's size once a failed invocation's batch was split, until one succeeds
    not_before: float = 0.0
    # Each mapping reads the stream itself, with its function's role (None: with the pump's reader).
    streams: Any = None  # a boto3 dynamodbstreams client
    position: StreamPosition = field(default_factory=StreamPosition)

    def admits(self, record: Record) -> bool:
        return matches(self.filter_pattern, record)


def on_failure_message(records: list[Record], function_name: str, attempts: int) -> dict[str, Any]:
    """What Lambda sends to a stream's on-failure destination: a pointer to the records, not the records."""
    first, last = records[0], records[-1]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "DDBStreamBatchInfo": {
            "shardId": first["_shard_id"],
            "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": datetime.fromtimestamp(
                first["dynamodb"]["ApproximateCreationDateTime"], UTC
            ).isoformat(),
            "approximateArrivalOfLastRecord": datetime.fromtimestamp(
                last["dynamodb"]["ApproximateCreationDateTime"], UTC
            ).isoformat(),
            "batchSize": len(records),
            "streamArn": first["eventSourceARN"],
        },
    }


@dataclass
class StreamPump:
    streams: Any  # a boto3 dynamodbstreams client: the reader of consumers without their own
    stream_arn: str
    consumers: list[Consumer] = field(default_factory=list)
    seen: list[Record] = field(default_factory=list)  # every record read, by any consumer, once
    _seen_ids: set[str] = field(default_factory=set)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def _read_new(self, streams: Any, position: StreamPosition) -> list[Record]:
        """The records not read before from `position`, from a fresh iterator per shard at the last record read.

        A saved NextShardIterator would go dry: when a transaction fails, moto puts back a copy of the table taken
        before it, stream included, and an iterator keeps reading the discarded stream. If the last record read is
        no longer there, the copy rolled back past it (records of the failed transaction, read meanwhile) and
        hands their sequence numbers out again: the shard is read from its start, and eventIDs tell what is new.
        """
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        records: list[Record] = []
        last: dict[str, Record] = {}
        for shard in shards:
            shard_id = shard["ShardId"]
            previous = position.last.get(shard_id)
            read = self._read_shard(streams, shard_id, previous["dynamodb"]["SequenceNumber"] if previous else None)
            if previous is not None and (not read or read[0]["eventID"] != previous["eventID"]):
                read = self._read_shard(streams, shard_id, None)
            if read:
                last[shard_id] = read[-1]
            records.extend(
                {**lambda_shape(r, self.stream_arn), "_shard_id": shard_id}
                for r in read
                if r["eventID"] not in position.read_ids
            )
        # Kept only once every shard is read: a read that fails is done again whole by the next call.
        position.last |= last
        position.read_ids.update(r["eventID"] for r in records)
        return records

    def _read_shard(self, streams: Any, shard_id: str, at_sequence_number: str | None) -> list[Record]:
        """The shard's records from `at_sequence_number` on (from its start when None)."""
        position = (
            {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": at_sequence_number}
            if at_sequence_number is not None
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **position)["ShardIterator"]
        records: list[Record] = []
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=PAGE_LIMIT)
            records.extend(page["Records"])
            if len(page["Records"]) < PAGE_LIMIT:
                break
            iterator = page.get("NextShardIterator")
        return records

    def pump_once(self) -> int:
        """Read, per consumer, the records written since its last read and deliver what each may take now; returns
        how many records were read that no consumer had read before."""
        with self._lock:
            fresh = 0
            for consumer in self.consumers:
                records = self._read_new(consumer.streams or self.streams, consumer.position)
                consumer.queue.extend(r for r in records if consumer.admits(r))
                new = [r for r in records if r["eventID"] not in self._seen_ids]
                self.seen.extend(new)
                self._seen_ids.update(r["eventID"] for r in new)
                fresh += len(new)
            for consumer in self.consumers:
                self._drain(consumer)
            return fresh

    def waiting(self) -> bool:
        """Whether some consumer still has records to deliver (perhaps after a pause)."""
        return any(consumer.queue for consumer in self.consumers)

    def _drain(self, consumer: Consumer) -> None:
        """Lambda's retries on a stream (its developer guide, docs/design.md "Local sandbox"): a partial batch
        response moves the checkpoint to the first failed record and retries from it; a failed invocation splits its
        batch in two without using the retry quota (BisectBatchOnFunctionError); a record goes to the on-failure
        destination only once it failed 1 + `retry_attempts` times as the batch's first failed record."""
        while consumer.queue and time.monotonic() >= consumer.not_before:
            batch = consumer.queue[: consumer.bisected or consumer.batch_size]
            first_failed = self._invoke(consumer, batch)
            if first_failed is None:
                del consumer.queue[: len(batch)]
                consumer.attempts, consumer.bisected = 0, None
                continue
            if first_failed == INVOCATION_FAILED:
                if len(batch) > 1:
                    consumer.bisected = len(batch) // 2
                    continue
                first_failed = 0
            if first_failed > 0:  # the records before it are done: the failed one is the new head, failed once
                del consumer.queue[:first_failed]
                consumer.attempts = 0
            consumer.attempts += 1
            if consumer.attempts > consumer.retry_attempts:
                log.warning(
                    "%s: record %s exhausted its retries; sent to the dead-letter queue",
                    consumer.name,
                    consumer.queue[0]["dynamodb"]["SequenceNumber"],
                )
                if consumer.dead_letter is not None:
                    consumer.dead_letter(on_failure_message(consumer.queue[:1], consumer.name, consumer.attempts))
                del consumer.queue[0]
                consumer.attempts, consumer.bisected = 0, None
                continue
            first, longest = consumer.backoff
            consumer.not_before = time.monotonic() + min(longest, first * 2 ** (consumer.attempts - 1))

    @staticmethod
    def _invoke(consumer: Consumer, batch: list[Record]) -> int | None:
        """Index of the first failed record (Lambda resumes there), INVOCATION_FAILED when the invocation failed as
        a whole, or None when the batch succeeded."""
        event = {"Records": [{k: v for k, v in r.items() if k != "_shard_id"} for r in batch]}
        try:
            failed = {f["itemIdentifier"] for f in (consumer.invoke(event) or {}).get("batchItemFailures", [])}
        except Exception:
            log.exception("%s failed on a whole batch", consumer.name)
            return INVOCATION_FAILED
        if not failed:
            return None
        # An identifier that is not in the batch makes the whole batch a failure (as Lambda treats it).
        sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
        return INVOCATION_FAILED if failed - set(sequence) else min(sequence.index(s) for s in failed)


def sqs_dead_letter(sqs: Any, queue_url: str) -> Callable[[dict[str, Any]], None]:
    return lambda message: sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
