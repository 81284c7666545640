"""Inbound events: one item per classified messaging item, keyed by Meta's message id (a redelivery is a no-op),
marked once the engine has answered it. (What no venue can take is quarantined at the edge: store/registry.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from tagback.domain.events import EventKind, InboundEvent
from tagback.store.codec import epoch
from tagback.store.schema import (
    INBOUND_EVENT,
    ITEM_TYPE,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    guest_key,
    key,
)
from tagback.store.table import Table


def inbound_key(event: InboundEvent) -> dict[str, str]:
    return key(guest_key(event.guest_id), _sort_key(event))


def _sort_key(event: InboundEvent) -> str:
    # A deletion reuses the deleted message's mid: it gets its own key so it is not deduped away.
    return f"IN#{event.mid}#DELETED" if event.kind is EventKind.DELETED else f"IN#{event.mid}"


def inbound_event_items(
    events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime
) -> list[dict[str, Any]]:
    """Each event's item; what the delivery's events share (when received, when they expire) formatted once."""
    received = received_at.isoformat()
    expires = epoch(expires_at)
    items = []
    for event in events:
        item: dict[str, Any] = {
            PARTITION_KEY: guest_key(event.guest_id),
            SORT_KEY: _sort_key(event),
            ITEM_TYPE: INBOUND_EVENT,
            "kind": event.kind.value,
            "mid": event.mid,
            "guest_id": event.guest_id,
            "account_id": event.account_id,
            "sent_at": event.sent_at.isoformat(),
            "received_at": received,
            TTL_ATTRIBUTE: expires,
        }
        if event.text is not None:
            item["text"] = event.text
        if event.payload is not None:
            item["payload"] = event.payload
        if event.story_url is not None:
            item["story_url"] = event.story_url
        items.append(item)
    return items


def inbound_event_from_item(item: dict[str, Any]) -> InboundEvent:
    """The inbound event back from its item (as a stream record's NewImage carries it)."""
    if item.get(ITEM_TYPE) != INBOUND_EVENT:
        raise ValueError(f"not an inbound event item: {item.get(ITEM_TYPE)!r}")
    return InboundEvent(
        kind=EventKind(item["kind"]),
        mid=str(item["mid"]),
        guest_id=str(item["guest_id"]),
        account_id=str(item["account_id"]),
        sent_at=datetime.fromisoformat(item["sent_at"]),
        text=item.get("text"),
        payload=item.get("payload"),
        story_url=item.get("story_url"),
    )


class InboundEvents:
    def __init__(self, table: Table, max_workers: int = 8) -> None:
        self.table = table
        self._max_workers = max_workers

    def add(self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime) -> list[bool]:
        """Store each event unless its key exists; True for each newly stored one."""
        items = inbound_event_items(events, received_at, expires_at)
        if len(items) <= 1:
            return [self.table.put_new(item) for item in items]
        # Meta batches up to 1000 updates and wants its 200 within 5 s: write in parallel. The client is made here,
        # once, rather than raced for by the pool's threads.
        assert self.table.client is not None
        with ThreadPoolExecutor(max_workers=min(self._max_workers, len(items))) as pool:
            return list(pool.map(self.table.put_new, items))

    def handled(self, event: InboundEvent) -> bool:
        """Whether the engine already answered this inbound event (so a redelivery sends nothing again)."""
        item = self.table.get(inbound_key(event))
        return bool(item and "handled_at" in item)

    def mark_handled(
        self, event: InboundEvent, at: datetime, *, reply_mid: str | None = None, error: str | None = None
    ) -> None:
        self.table.update(inbound_key(event), {"handled_at": at, "reply_mid": reply_mid, "reply_error": error})
