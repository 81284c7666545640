"""A coupon's wrong staff PINs (the redemption page's lockout), beside the coupon in its partition: the code is what
is locked, and the item expires by itself once neither its window nor its lock can matter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagback.domain.redemption import LOCKED_FOR, WRONG_PIN_WINDOW, PinAttempts
from tagback.store.codec import epoch, plain, to_dynamo
from tagback.store.schema import ITEM_TYPE, PARTITION_KEY, PIN_ATTEMPTS, TTL_ATTRIBUTE, key
from tagback.store.table import Table


def pin_attempts_key(code: str) -> dict[str, str]:
    return key(f"COUPON#{code}", "PIN_ATTEMPTS")


class PinAttemptsStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, code: str) -> PinAttempts:
        item = self.table.get(pin_attempts_key(code))
        if item is None:
            return PinAttempts()
        locked_until = item.get("locked_until")
        return PinAttempts(
            tuple(datetime.fromisoformat(t) for t in str(item.get("failed_at", "")).split(",") if t),
            datetime.fromisoformat(locked_until) if locked_until else None,
            int(item["version"]),
        )

    def replace(self, code: str, attempts: PinAttempts, now: datetime) -> bool:
        """Write what `attempts` became from the version before it; False when another post wrote first (the caller
        reads again and retries, so concurrent wrong PINs all count)."""
        item: dict[str, Any] = {
            **pin_attempts_key(code),
            ITEM_TYPE: PIN_ATTEMPTS,
            "failed_at": ",".join(plain(t) for t in attempts.failed_at),  # at most a few, oldest first
            "version": attempts.version,
            TTL_ATTRIBUTE: epoch(now + WRONG_PIN_WINDOW + LOCKED_FOR),
        }
        if attempts.locked_until is not None:
            item["locked_until"] = plain(attempts.locked_until)
        client = self.table.client
        try:
            client.put_item(
                TableName=self.table.name,
                Item=to_dynamo(item),
                ConditionExpression="attribute_not_exists(#pk) OR version = :before",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
                ExpressionAttributeValues=to_dynamo({":before": attempts.version - 1}),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True
