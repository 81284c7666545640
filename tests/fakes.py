"""In-memory stand-ins for the domain's small interfaces."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tagback.meta.webhook import InboundEvent
from tagback.store import inbound_event_item, inbound_key


class InMemoryStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, object]] = {}
        self.quarantined: list[tuple[object, str]] = []

    def add_inbound_events(
        self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime
    ) -> list[bool]:
        results = []
        for event in events:
            key = tuple(inbound_key(event).values())
            results.append(key not in self.items)
            self.items.setdefault(key, inbound_event_item(event, received_at, expires_at))  # type: ignore[arg-type]
        return results

    def quarantine(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None:
        self.quarantined.append((raw, reason))


class Secrets(dict[str, str]):
    def __call__(self, name: str) -> str:
        return self[name]
