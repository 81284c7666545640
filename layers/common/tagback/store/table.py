"""The table through boto3's low-level client (thread-safe, unlike resources), created on first use: the
operations every repository shares. Which keys and conditions to use is each repository's business."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from tagback.adapters.aws import boto3_client
from tagback.store.codec import from_dynamo, plain, to_dynamo
from tagback.store.schema import ITEM_TYPE, PARTITION_KEY, SORT_KEY

# The condition of a put that creates an item (a transaction's or a plain one): the key must be new.
NEW_ITEM: dict[str, Any] = {
    "ConditionExpression": "attribute_not_exists(#pk)",
    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
}


class Table:
    def __init__(self, name: str, client: Any = None) -> None:
        self.name = name
        self._given_client = client

    @cached_property
    def client(self) -> Any:
        return self._given_client or boto3_client("dynamodb")

    def put_new(self, item: dict[str, Any]) -> bool:
        """Put unless the key exists; False when it did (a redelivery)."""
        try:
            self.client.put_item(TableName=self.name, Item=to_dynamo(item), **NEW_ITEM)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def put(self, item: dict[str, Any]) -> None:
        """Put, replacing any item of the same key."""
        self.client.put_item(TableName=self.name, Item=to_dynamo(item))

    def delete(self, key: dict[str, str]) -> None:
        self.client.delete_item(TableName=self.name, Key=to_dynamo(key))

    def delete_if(self, key: dict[str, str], condition: str, values: dict[str, Any]) -> bool:
        """Delete while `condition` holds; False when it did not (or there was no item)."""
        try:
            self.client.delete_item(
                TableName=self.name,
                Key=to_dynamo(key),
                ConditionExpression=condition,
                ExpressionAttributeValues=to_dynamo(values),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, key: dict[str, str]) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.name, Key=to_dynamo(key), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def update(
        self,
        key: dict[str, str],
        changes: dict[str, Any],
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """SET the changes (REMOVE those that are None); False when `condition` does not hold."""
        names = {f"#a{i}": name for i, name in enumerate(changes)}
        all_values = {f":v{i}": plain(v) for i, v in enumerate(changes.values()) if v is not None} | (values or {})
        sets = [f"#a{i} = :v{i}" for i, v in enumerate(changes.values()) if v is not None]
        removes = [f"#a{i}" for i, v in enumerate(changes.values()) if v is None]
        clauses = ([f"SET {', '.join(sets)}"] if sets else []) + ([f"REMOVE {', '.join(removes)}"] if removes else [])
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_dynamo(key),
            "UpdateExpression": " ".join(clauses),
            "ExpressionAttributeNames": names,
        }
        if all_values:
            request["ExpressionAttributeValues"] = to_dynamo(all_values)
        if condition:
            request["ConditionExpression"] = condition
        try:
            self.client.update_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update_returning(self, key: dict[str, str], **request: Any) -> dict[str, Any] | None:
        """An UpdateItem of the caller's own expressions: the item after it, or None when its condition failed."""
        try:
            answer = self.client.update_item(TableName=self.name, Key=to_dynamo(key), ReturnValues="ALL_NEW", **request)
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return from_dynamo(answer["Attributes"])

    def _all(self, operation: str, **request: Any) -> list[dict[str, Any]]:
        """Every item a query or scan returns, page after page."""
        items: list[dict[str, Any]] = []
        request["TableName"] = self.name
        while True:
            page = getattr(self.client, operation)(**request)
            items.extend(from_dynamo(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def items_under(self, partition: str) -> list[dict[str, Any]]:
        """All items of one partition (a guest's history; the quarantine), oldest key first."""
        return self._all(
            "query",
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues={":pk": {"S": partition}},
        )

    def last_under(self, partition: str, prefix: str) -> dict[str, Any] | None:
        """The item of `partition` with the greatest sort key of those starting with `prefix` (strongly consistent:
        it may have been written a moment ago)."""
        page = self.client.query(
            TableName=self.name,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            ExpressionAttributeValues=to_dynamo({":pk": partition, ":prefix": prefix}),
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = page.get("Items", [])
        return from_dynamo(items[0]) if items else None

    def scan(self, **request: Any) -> list[dict[str, Any]]:
        """Every item a scan with these expressions returns (the edge's rare lookups across its table)."""
        return self._all("scan", **request)

    def items_where(self, attribute: str, value: Any) -> list[dict[str, Any]]:
        """Every item whose `attribute` is `value` (a strongly consistent scan: for a guest's erasure or export, which
        must see what was just written, never the hot path)."""
        return self._all(
            "scan",
            FilterExpression="#a = :v",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues=to_dynamo({":v": value}),
            ConsistentRead=True,
        )

    def items_having(self, *attributes: str) -> list[dict[str, Any]]:
        """Every item that has any of `attributes` (a scan: an operator's lookup)."""
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        return self._all(
            "scan",
            FilterExpression=" OR ".join(f"attribute_exists({name})" for name in names),
            ExpressionAttributeNames=names,
        )

    def move(self, old: dict[str, str], item: dict[str, Any]) -> bool:
        """Put `item` under its new key and delete the item at `old`, in one transaction; False when the new key was
        taken or the old item had gone (a concurrent move)."""
        client = self.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.name, "Item": to_dynamo(item), **NEW_ITEM}},
                    {
                        "Delete": {
                            "TableName": self.name,
                            "Key": to_dynamo(old),
                            "ConditionExpression": "attribute_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException:
            return False
        return True

    def items_of_type(self, item_type: str) -> list[dict[str, Any]]:
        """Every item of one kind (a scan: for exports and reports, not for the hot path)."""
        return self._all(
            "scan",
            FilterExpression="#t = :type",
            ExpressionAttributeNames={"#t": ITEM_TYPE},
            ExpressionAttributeValues=to_dynamo({":type": item_type}),
        )
