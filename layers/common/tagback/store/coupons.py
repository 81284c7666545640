"""Coupons: one item per code (the award it belongs to, the prize, validity), redeemed once at the counter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagback.domain.awards import Coupon
from tagback.store.codec import epoch, plain, to_dynamo
from tagback.store.schema import COUPON, ITEM_TYPE, PARTITION_KEY, TTL_ATTRIBUTE, key
from tagback.store.table import Table


def coupon_key(code: str) -> dict[str, str]:
    return key(f"COUPON#{code}", "COUPON")


def coupon_item(coupon: Coupon, expires_at: datetime) -> dict[str, Any]:
    return {
        **coupon_key(coupon.code),
        ITEM_TYPE: COUPON,
        "code": coupon.code,
        "guest_id": coupon.award.guest_id,
        "period": coupon.award.period,
        "prize_id": coupon.prize_id,
        "prize_name": coupon.prize_name,
        "issued_at": plain(coupon.issued_at),
        "valid_until": plain(coupon.valid_until),
        TTL_ATTRIBUTE: epoch(expires_at),
    }


class Coupons:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, coupon: Coupon, expires_at: datetime) -> bool:
        """Store a new coupon; False if the code is taken (the caller mints another)."""
        return self.table.put_new(coupon_item(coupon, expires_at))

    def get(self, code: str) -> dict[str, Any] | None:
        return self.table.get(coupon_key(code))

    def redeem(self, code: str, at: datetime, by: str | None = None) -> dict[str, Any] | None:
        """Mark a coupon redeemed, once (by the named member of staff, when the staff page did it); the coupon, or
        None when it is unknown or was redeemed already."""
        values = {":at": plain(at)} | ({":by": by} if by is not None else {})
        return self.table.update_returning(
            coupon_key(code),
            UpdateExpression="SET redeemed_at = :at" + (", redeemed_by = :by" if by is not None else ""),
            ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(redeemed_at)",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues=to_dynamo(values),
        )

    def all_items(self) -> list[dict[str, Any]]:
        """Every coupon as stored (a scan: for exports)."""
        return self.table.items_of_type(COUPON)
