"""Guests: one profile item per guest (display name, language, where the conversation stands, opt-out, contacts
with their consent), created by its first update; its expiry moves on with every update."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagback.domain.awards import Awaiting, Guest
from tagback.store.codec import epoch, record_from_item
from tagback.store.schema import GUEST, ITEM_TYPE, TTL_ATTRIBUTE, guest_key, key
from tagback.store.table import Table


def _profile_key(guest_id: str) -> dict[str, str]:
    return key(guest_key(guest_id), "PROFILE")


class Guests:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, guest_id: str) -> Guest | None:
        item = self.table.get(_profile_key(guest_id))
        return record_from_item(Guest, item, guest_id=guest_id) if item else None

    def _update(self, guest_id: str, expires_at: datetime, changes: dict[str, Any], **condition: Any) -> bool:
        """The profile's changes, with what makes it a guest item, and its expiry moved on."""
        item = {ITEM_TYPE: GUEST, "guest_id": guest_id, **changes, TTL_ATTRIBUTE: epoch(expires_at)}
        return self.table.update(_profile_key(guest_id), item, **condition)

    def update(self, guest_id: str, expires_at: datetime, **changes: Any) -> None:
        """Set (None: remove) guest attributes, creating the guest item if needed; its expiry moves on."""
        self._update(guest_id, expires_at, changes)

    def first_award_of_month(self, guest_id: str, month: str) -> bool:
        """True the first time a guest is counted for `month` (the report's unique guests)."""
        return self.table.update(
            _profile_key(guest_id),
            {"counted_month": month},
            condition="attribute_not_exists(counted_month) OR counted_month <> :month",
            values={":month": month},
        )

    def hold_mention(
        self, guest_id: str, mid: str, *, at: datetime, period: str, awaiting: Awaiting, expires_at: datetime
    ) -> bool:
        """Park a mention while its language or table is asked; False if another mention of its claim period (or a
        later one) is parked already. A mention of an earlier period no longer holds: its question closed with it."""
        changes = {"pending_mid": mid, "pending_at": at, "pending_period": period, "awaiting": awaiting, "tries": 0}
        return self._update(
            guest_id,
            expires_at,
            changes,
            condition="attribute_not_exists(pending_mid) OR pending_mid = :mid OR pending_period < :period",
            values={":mid": mid, ":period": period},
        )

    def all_items(self) -> list[dict[str, Any]]:
        """Every guest as stored (a scan: for exports)."""
        return self.table.items_of_type(GUEST)
