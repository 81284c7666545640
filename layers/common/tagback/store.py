"""The client's DynamoDB table: its definition and the repository. The only module that knows keys.

Single-table design (docs/design.md): PK/SK strings, `item_type` names the kind of item (stream filters
match on it), `expires_at` (epoch seconds) is the TTL attribute on everything that holds personal data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cached_property
from typing import Any, Final

from tagback.meta.webhook import EventKind, InboundEvent

PARTITION_KEY: Final = "PK"
SORT_KEY: Final = "SK"
TTL_ATTRIBUTE: Final = "expires_at"
ITEM_TYPE: Final = "item_type"
INBOUND_EVENT: Final = "inbound_event"
QUARANTINED: Final = "quarantined"


def table_definition(table_name: str) -> dict[str, Any]:
    """The table as `CreateTable` takes it: the sandbox creates exactly what the stack declares (infra uses
    the same constants; tests/infra checks both agree)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    }


def guest_key(guest_id: str) -> str:
    return f"GUEST#{guest_id}"


def inbound_key(event: InboundEvent) -> dict[str, str]:
    # A deletion reuses the deleted message's mid: it gets its own key so it is not deduped away.
    suffix = "#DELETED" if event.kind is EventKind.DELETED else ""
    return {PARTITION_KEY: guest_key(event.guest_id), SORT_KEY: f"IN#{event.mid}{suffix}"}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def inbound_event_item(event: InboundEvent, received_at: datetime, expires_at: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        **inbound_key(event),
        ITEM_TYPE: INBOUND_EVENT,
        "kind": event.kind.value,
        "mid": event.mid,
        "guest_id": event.guest_id,
        "account_id": event.account_id,
        "sent_at": event.sent_at.isoformat(),
        "received_at": received_at.isoformat(),
        TTL_ATTRIBUTE: _epoch(expires_at),
    }
    optional = {"text": event.text, "payload": event.payload, "story_url": event.story_url}
    item.update({name: value for name, value in optional.items() if value is not None})
    return item


def _to_attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    raise TypeError(f"unsupported attribute value {type(value).__name__}")


def _from_attribute(attribute: dict[str, Any]) -> Any:
    ((tag, value),) = attribute.items()
    return {"S": str, "N": int, "BOOL": bool}[tag](value)


def to_dynamo(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: _to_attribute(value) for name, value in item.items()}


def from_dynamo(item: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: _from_attribute(attribute) for name, attribute in item.items()}


class DynamoRepository:
    """The table through boto3's low-level client (thread-safe, unlike resources), created on first use."""

    def __init__(self, table_name: str, client: Any = None, max_workers: int = 8) -> None:
        self.table_name = table_name
        self._given_client = client
        self._max_workers = max_workers

    @cached_property
    def client(self) -> Any:
        if self._given_client is not None:
            return self._given_client
        import boto3  # noqa: PLC0415 - deferred so importing the domain never builds AWS clients

        return boto3.client("dynamodb")

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Put unless the key exists; False when it did (a redelivery)."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_dynamo(item),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_inbound_events(
        self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime
    ) -> list[bool]:
        items = [inbound_event_item(e, received_at, expires_at) for e in events]
        if len(items) <= 1:
            return [self._put_new(item) for item in items]
        # Meta batches up to 1000 updates and wants its 200 within 5 s: write in parallel.
        with ThreadPoolExecutor(max_workers=min(self._max_workers, len(items))) as pool:
            return list(pool.map(self._put_new, items))

    def quarantine(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None:
        """Keep a malformed item (and why) instead of losing it; it expires like any personal data."""
        body = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        self._put_new(
            {
                PARTITION_KEY: "QUARANTINE",
                SORT_KEY: f"{received_at.isoformat()}#{digest}",
                ITEM_TYPE: QUARANTINED,
                "reason": reason,
                "raw": body,
                "received_at": received_at.isoformat(),
                TTL_ATTRIBUTE: _epoch(expires_at),
            }
        )

    def items_under(self, partition: str) -> list[dict[str, Any]]:
        """All items of one partition (a guest's history; the quarantine), oldest key first."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
        }
        while True:
            page = self.client.query(**kwargs)
            items.extend(from_dynamo(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
