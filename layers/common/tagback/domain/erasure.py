"""Erasing a guest (GDPR Art. 17): the request a venue fulfils, what it erased, and how a data deletion request
from Meta stands across the agency's venues."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

# The owner event that tells the sinks to erase the guest too: the sheet blanks their rows, the CRM gets it signed.
GUEST_ERASED: Final = "guest.erased"
# What an erased guest's awards and coupons are kept under (with a random suffix): an id that leads back to no one.
ERASED_GUEST_PREFIX: Final = "erased-"


@dataclass(frozen=True)
class ErasureReport:
    """What one venue erased of one guest, by place. It names no guest: it is kept as the record of the erasure."""

    deleted: dict[str, int] = field(default_factory=dict)  # table items deleted, by kind (item_type)
    anonymized: dict[str, int] = field(default_factory=dict)  # kept for the month's figures, the guest's id replaced
    coupon_images: int = 0
    schedules: int = 0
    owner_event: str | None = None  # the guest.erased event queued for the owner's sheet and CRM

    @property
    def held(self) -> bool:
        return bool(self.deleted or self.anonymized or self.coupon_images or self.schedules)


@dataclass(frozen=True)
class ErasureRequest:
    """A venue asked to erase a guest: by Meta's data deletion callback (through the edge) or by an operator."""

    code: str  # Meta's confirmation code, or the operator's request id
    guest_id: str | None  # None once fulfilled: the request's record keeps no trace of the guest
    requested_at: datetime
    edge_table: str | None = None  # where the edge awaits this venue's outcome (Meta's callback); None: an operator's
    held: bool = False  # something of the guest was found: recorded before erasing, so a retry still reports it
    report: ErasureReport | None = None  # once fulfilled


class DeletionStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    NOTHING_HELD = "nothing_held"


@dataclass(frozen=True)
class DataDeletion:
    """Meta's data deletion request as the edge tracks it: each venue's outcome, by client id. No user id."""

    code: str
    requested_at: datetime
    venues: dict[str, DeletionStatus]

    @property
    def status(self) -> DeletionStatus:
        return overall(self.venues.values())


def overall(statuses: Iterable[DeletionStatus]) -> DeletionStatus:
    """Pending while any venue is; done when any venue held something; nothing held when none did (or none exists)."""
    found = set(statuses)
    if DeletionStatus.PENDING in found:
        return DeletionStatus.PENDING
    return DeletionStatus.DONE if DeletionStatus.DONE in found else DeletionStatus.NOTHING_HELD
