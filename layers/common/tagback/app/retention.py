"""`tagback retention`: what no TTL or lifecycle rule reaches, the owner's sheet, purged of the rows older than the
client's `retention_days` (the table's items expire on their TTL, the bucket's objects by its lifecycle rules)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from tagback.config.model import ClientConfig
from tagback.domain.retention import Purged, retention_cutoff


class OwnerSheet(Protocol):
    def purge_before(self, cutoff: date) -> Purged: ...


def purge_owner_sheet(config: ClientConfig, sheet: OwnerSheet, now: datetime) -> tuple[date, Purged]:
    """Delete the sheet's rows dated before the client's retention cutoff; the cutoff and what was done."""
    cutoff = retention_cutoff(now, config.tz, config.retention_days)
    return cutoff, sheet.purge_before(cutoff)
