"""The DynamoDB stream, pumped into consumer functions in Lambda's event shape.

Lambda's event-source mapping is played by `StreamPump`: it reads the table's stream from moto, keeps the
records a consumer's filter admits, and invokes the consumer with `{"Records": [...]}` batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("sandbox.stream")

Record = dict[str, Any]


@dataclass
class Consumer:
    name: str
    admits: Callable[[Record], bool]
    invoke: Callable[[dict[str, Any]], Any]
    batch_size: int = 10


@dataclass
class StreamPump:
    streams: Any  # a boto3 dynamodbstreams client
    stream_arn: str
    consumers: list[Consumer] = field(default_factory=list)
    seen: list[Record] = field(default_factory=list)
    _iterators: dict[str, str | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _lambda_shape(self, record: Record) -> Record:
        record = dict(record, eventSourceARN=self.stream_arn)
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, int | float):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        record["dynamodb"] = dynamodb
        return record

    def _read_new(self) -> list[Record]:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        records: list[Record] = []
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[shard_id]
            while iterator:
                page = self.streams.get_records(ShardIterator=iterator)
                iterator = page.get("NextShardIterator")
                records.extend(self._lambda_shape(r) for r in page["Records"])
                if not page["Records"]:
                    break
            self._iterators[shard_id] = iterator
        return records

    def pump_once(self) -> int:
        """Deliver every record written since the last call; returns how many were read."""
        with self._lock:
            records = self._read_new()
            self.seen.extend(records)
            for record in records:
                if not any(c.admits(record) for c in self.consumers):
                    keys = {k: next(iter(v.values())) for k, v in record["dynamodb"]["Keys"].items()}
                    log.info(
                        "stream %s %s/%s: no consumer takes it",
                        record["eventName"],
                        keys.get("PK"),
                        keys.get("SK"),
                    )
            for consumer in self.consumers:
                admitted = [r for r in records if consumer.admits(r)]
                for start in range(0, len(admitted), consumer.batch_size):
                    consumer.invoke({"Records": admitted[start : start + consumer.batch_size]})
            return len(records)
