"""What the functions ask of AWS in the sandbox, counted as AWS bills it: a botocore event hook on every client.

DynamoDB on demand bills request units by the size of the items read and written, which moto does not report (its
`ConsumedCapacity` is a constant per operation), so the hook sizes the items as DynamoDB does and applies DynamoDB's
rules (docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html and the on-demand
pricing page): an item's size is the UTF-8 bytes of its attribute names and values (a number: 1 byte per two
significant digits + 1; a boolean or null: 1; a list or map: 3 + 1 per element); a write is 1 unit per KB of the
larger of the item before and after it (a failed condition too), a read 1 unit per 4 KB (half for an eventually
consistent read; a query or scan sums the items it reads before any filter), a transaction's item twice that. The
items before and after a write are read by a second client with no hook, as the operator.

Only calls made as a function's role count (the sandbox's own work and the operator's act as the operator); each
call is also counted by service and operation.
"""

from __future__ import annotations

import copy
import math
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3

from sandbox.iam import acting_role
from tagback.store.schema import PARTITION_KEY, SORT_KEY

WRITE_UNIT, READ_UNIT = 1024, 4096
_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


def attribute_size(value: dict[str, Any]) -> int:
    """The size of a typed attribute value (`{"S": "..."}`), without its name."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(attribute_size({"N": n}) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(attribute_size(element) + 1 for element in inner)
    if kind == "M":
        return 3 + sum(len(name.encode()) + attribute_size(element) + 1 for name, element in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


def write_units(before: int, after: int, *, transaction: bool = False) -> int:
    return max(1, math.ceil(max(before, after) / WRITE_UNIT)) * (2 if transaction else 1)


def read_units(size: int, *, consistent: bool, transaction: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return units * 2 if transaction else units if consistent else units / 2


@dataclass
class Usage:
    read_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # by table
    write_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (role, service, operation)

    def snapshot(self) -> Usage:
        return Usage(defaultdict(float, self.read_units), defaultdict(float, self.write_units), Counter(self.calls))

    def since(self, earlier: Usage) -> Usage:
        return Usage(
            defaultdict(float, {t: u - earlier.read_units.get(t, 0) for t, u in self.read_units.items()}),
            defaultdict(float, {t: u - earlier.write_units.get(t, 0) for t, u in self.write_units.items()}),
            self.calls - earlier.calls,
        )


class AwsMeter:
    """Install it before the sandbox starts (clients copy the session's hooks when they are made)."""

    def __init__(self) -> None:
        self.usage = Usage()
        self._reader: Any = None

    @contextmanager
    def installed(self) -> Iterator[AwsMeter]:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        events = boto3.DEFAULT_SESSION.events
        events.register("before-parameter-build.dynamodb", self._before, unique_id="tagback-meter-before")
        events.register("after-call", self._after, unique_id="tagback-meter-after")
        try:
            yield self
        finally:
            events.unregister("before-parameter-build.dynamodb", unique_id="tagback-meter-before")
            events.unregister("after-call", unique_id="tagback-meter-after")

    @property
    def reader(self) -> Any:
        """A DynamoDB client of a session of its own (no hook), with the operator's keys (the environment's)."""
        if self._reader is None:
            self._reader = boto3.session.Session().client(
                "dynamodb",
                aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
            )
        return self._reader

    def _current(self, table: str, key: dict[str, Any]) -> int:
        return item_size(self.reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item"))

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        role = acting_role()
        if role is None:
            return
        if model.name in _WRITES:
            parts = [(model.name, params)]
        elif model.name == "TransactWriteItems":
            parts = [next(iter(part.items())) for part in params["TransactItems"]]
        else:
            parts = []
        writes = [(kind, request["TableName"], _key(request)) for kind, request in parts]
        context["tagback_meter"] = {
            "params": copy.deepcopy(params),
            "writes": [
                (kind, table, key, self._current(table, key), request.get("Item"))
                for (kind, table, key), (_, request) in zip(writes, parts, strict=True)
            ],
        }

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        role = acting_role()
        if role is None:
            return
        self.usage.calls[(role, model.service_model.service_name, model.name)] += 1
        metered = context.get("tagback_meter")
        if metered is not None:
            self._units(model.name, metered, parsed)

    def _units(self, operation: str, metered: dict[str, Any], parsed: dict[str, Any]) -> None:
        params, usage = metered["params"], self.usage
        transaction = operation == "TransactWriteItems"
        for kind, table, key, size_before, item in metered["writes"]:
            if item is not None:  # a put: the item it writes
                size_after = item_size(item)
            elif kind in ("DeleteItem", "Delete"):
                size_after = 0
            else:  # an update (or a transaction's condition check): the item as it is now
                size_after = self._current(table, key)
            usage.write_units[table] += write_units(size_before, size_after, transaction=transaction)
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            usage.read_units[params["TableName"]] += read_units(item_size(parsed.get("Item")), consistent=consistent)
        elif operation in ("Query", "Scan"):
            size = self._read_before_filter(operation, params)
            usage.read_units[params["TableName"]] += read_units(size, consistent=consistent)
        elif operation == "TransactGetItems":
            for part, answer in zip(params["TransactItems"], parsed.get("Responses", []), strict=False):
                size = item_size(answer.get("Item"))
                usage.read_units[part["Get"]["TableName"]] += read_units(size, consistent=True, transaction=True)
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                for item in items:
                    usage.read_units[table] += read_units(item_size(item), consistent=consistent)

    def _read_before_filter(self, operation: str, params: dict[str, Any]) -> int:
        """The size of the items a query or scan read: a filter or a projection trims what it returns, not what it
        reads, so the same page is read again without them."""
        keys = params.get("KeyConditionExpression", "")
        request = {
            name: value
            for name, value in params.items()
            if name
            not in (
                "FilterExpression",
                "ProjectionExpression",
                "Select",
                "ExpressionAttributeNames",
                "ExpressionAttributeValues",
            )
        }
        for placeholders in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            used = {name: value for name, value in params.get(placeholders, {}).items() if name in keys}
            if used:
                request[placeholders] = used
        answer = (self.reader.query if operation == "Query" else self.reader.scan)(**request)
        return sum(item_size(item) for item in answer.get("Items", []))


def _key(request: dict[str, Any]) -> dict[str, Any]:
    """A write's key (a put's: its item's key attributes; every table here has the same key schema)."""
    source = request["Key"] if "Key" in request else request["Item"]
    return {name: source[name] for name in (PARTITION_KEY, SORT_KEY)}
