"""The outbox: one item per event for the owner's sinks (its id is deterministic, so an event is queued once),
with a `delivered_<sink>` mark per sink it reached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagback.domain.events import OutboxEvent
from tagback.store.codec import epoch, record_fields, record_from_item
from tagback.store.schema import ITEM_TYPE, OUTBOX, TTL_ATTRIBUTE, key
from tagback.store.table import Table


def _outbox_key(event_id: str) -> dict[str, str]:
    return key(f"OUTBOX#{event_id}", "OUTBOX")


def outbox_item(event: OutboxEvent, expires_at: datetime) -> dict[str, Any]:
    return {**_outbox_key(event.event_id), ITEM_TYPE: OUTBOX, **record_fields(event), TTL_ATTRIBUTE: epoch(expires_at)}


def outbox_from_item(item: dict[str, Any]) -> OutboxEvent:
    if item.get(ITEM_TYPE) != OUTBOX:
        raise ValueError(f"not an outbox item: {item.get(ITEM_TYPE)!r}")
    return record_from_item(OutboxEvent, item)


class Outbox:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, event: OutboxEvent, expires_at: datetime) -> bool:
        """Queue an event for the owner's sinks; False if it was queued already."""
        return self.table.put_new(outbox_item(event, expires_at))

    def delivered(self, event_id: str) -> set[str]:
        """The sinks the event reached already."""
        item = self.table.get(_outbox_key(event_id)) or {}
        return {name.removeprefix("delivered_") for name in item if name.startswith("delivered_")}

    def mark_delivered(self, event_id: str, sink: str, at: datetime) -> bool:
        """Record that `sink` has the event; False when its item is gone (its guest erased, or it expired): an
        unconditional update would recreate the item as a stub without `expires_at`, never to expire."""
        return self.table.update(
            _outbox_key(event_id), {f"delivered_{sink}": at}, condition="attribute_exists(event_type)"
        )

    def forget_guest(self, event_id: str) -> None:
        """A guest.erased event every sink has: the guest's id and contacts removed from its item."""
        self.table.update(
            _outbox_key(event_id),
            dict.fromkeys(("guest_id", "display_name", "email", "phone")),
            condition="attribute_exists(event_type)",
        )

    def get(self, event_id: str) -> dict[str, Any] | None:
        """The event's item as stored (replay hands it to the function again)."""
        return self.table.get(_outbox_key(event_id))
