"""The sandbox's stream mapping retries as Lambda's does (docs/design.md, "Local sandbox"): a record reaches the
on-failure destination only after 1 + MaximumRetryAttempts failures of its own, and splitting a failed batch is no
retry."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sandbox.streams import Consumer, StreamPump

PATTERN = {"dynamodb": {"NewImage": {"item_type": {"S": ["inbound_event"]}}}}


class NoNewRecords:
    """A streams client whose table has no shard: the pump only works through what its consumers hold."""

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": []}}


def record(number: int) -> dict[str, Any]:
    return {
        "eventID": f"e{number}",
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/s",
        "_shard_id": "shard-1",
        "dynamodb": {
            "SequenceNumber": f"{100 + number}",
            "ApproximateCreationDateTime": 1_700_000_000,
            "NewImage": {"item_type": {"S": "inbound_event"}},
        },
    }


def drained(consumer: Consumer, records: int) -> None:
    consumer.queue.extend(record(n) for n in range(records))
    pump = StreamPump(NoNewRecords(), "arn", consumers=[consumer])
    while pump.waiting():
        pump.pump_once()


def test_a_record_after_a_failed_one_gets_its_own_retries_not_what_is_left_of_the_others() -> None:
    failures: Counter[str] = Counter()
    dead: list[dict[str, Any]] = []

    def fails_each_record_twice(event: dict[str, Any]) -> dict[str, Any]:
        for r in event["Records"]:  # the first record not yet failed twice fails; the batch stops there
            sequence = r["dynamodb"]["SequenceNumber"]
            if failures[sequence] < 2:
                failures[sequence] += 1
                return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        return {"batchItemFailures": []}

    consumer = Consumer("prize", PATTERN, fails_each_record_twice, retry_attempts=3, dead_letter=dead.append)
    consumer.backoff = (0.0, 0.0)
    drained(consumer, 4)
    assert dead == []  # each failed twice, within its 3 retries
    assert failures == {f"{100 + n}": 2 for n in range(4)}


def test_a_failed_invocation_is_split_in_two_and_the_split_is_no_retry() -> None:
    batches: list[list[str]] = []
    dead: list[dict[str, Any]] = []

    def dies_on_the_poison(event: dict[str, Any]) -> dict[str, Any]:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        batches.append(sequences)
        if "103" in sequences:
            raise RuntimeError("Runtime.ExitError")
        return {"batchItemFailures": []}

    consumer = Consumer("prize", PATTERN, dies_on_the_poison, retry_attempts=2, dead_letter=dead.append)
    consumer.backoff = (0.0, 0.0)
    drained(consumer, 6)
    assert batches[:4] == [
        ["100", "101", "102", "103", "104", "105"],
        ["100", "101", "102"],  # the first half succeeds
        ["103", "104", "105"],
        ["103"],
    ]
    assert batches[4:] == [["103"]] * 2 + [["104", "105"]]  # the poison's own 2 retries, then the rest
    (message,) = dead
    assert message["DDBStreamBatchInfo"]["startSequenceNumber"] == "103"
    assert message["requestContext"]["approximateInvokeCount"] == 3


class OneShard:
    """A streams client whose table's one shard holds `records`; it notes each read."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records, self.reads = records, 0

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "it"}

    def get_records(self, **_: Any) -> dict[str, Any]:
        self.reads += 1
        return {"Records": self.records}


def test_each_consumer_reads_the_stream_with_its_own_reader_as_each_mapping_does() -> None:
    records = [{k: v for k, v in record(n).items() if k != "_shard_id"} for n in range(2)]
    pumps_reader, prizes_reader, owners_reader = OneShard(records), OneShard(records), OneShard(records)
    batches: dict[str, list[list[str]]] = {"prize": [], "owner_delivery": []}
    consumers = [
        Consumer(name, PATTERN, lambda event, name=name: batches[name].append([r["eventID"] for r in event["Records"]]))
        for name in batches
    ]
    consumers[0].streams, consumers[1].streams = prizes_reader, owners_reader
    pump = StreamPump(pumps_reader, "arn", consumers=consumers)
    assert pump.pump_once() == 2  # the records, once, though both mappings read them
    assert (pumps_reader.reads, prizes_reader.reads, owners_reader.reads) == (0, 1, 1)
    assert batches == {"prize": [["e0", "e1"]], "owner_delivery": [["e0", "e1"]]}
    assert [r["eventID"] for r in pump.seen] == ["e0", "e1"]
