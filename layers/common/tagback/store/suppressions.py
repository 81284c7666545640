"""The suppression list: one item per guest who said STOP, keyed by the keyed hash of their guest id
(domain/suppression.py), with the time and nothing else. No TTL: a STOP outlives the guest's profile; START deletes
the entry."""

from __future__ import annotations

from datetime import datetime

from tagback.store.schema import ITEM_TYPE, SUPPRESSION, SUPPRESSION_PREFIX, key
from tagback.store.table import Table


def _suppression_key(hashed_guest: str) -> dict[str, str]:
    return key(f"{SUPPRESSION_PREFIX}{hashed_guest}", "SUPPRESSION")


class Suppressions:
    def __init__(self, table: Table) -> None:
        self.table = table

    def holds(self, hashed_guest: str) -> bool:
        return self.table.get(_suppression_key(hashed_guest)) is not None

    def add(self, hashed_guest: str, at: datetime) -> None:
        self.table.put({**_suppression_key(hashed_guest), ITEM_TYPE: SUPPRESSION, "suppressed_at": at.isoformat()})

    def remove(self, hashed_guest: str) -> None:
        self.table.delete(_suppression_key(hashed_guest))
