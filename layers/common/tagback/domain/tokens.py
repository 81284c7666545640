"""The venue's Instagram token: when it was stored, when it expires, and when to refresh it.

Instagram Login's long-lived tokens last 60 days and can be refreshed once they are at least 24 hours old
(../shared/reference/meta-messaging.md, "Apps, accounts and tokens").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_LIFETIME = timedelta(days=60)
REFRESHABLE_AFTER = timedelta(hours=24)  # Meta refuses to refresh a younger token
# Refreshed when less than this is left (or not known): about weekly, so a failing refresh has weeks to be noticed.
REFRESH_WHEN_LEFT = timedelta(days=53)


@dataclass(frozen=True)
class TokenRecord:
    """What is known about the token in SSM (never the token itself)."""

    account_id: str
    username: str | None
    stored_at: datetime
    expires_at: datetime | None  # None: not known (a token pasted from Meta's dashboard, until its first refresh)
    # The SSM parameter version this record describes: a value written since (by hand, in the console) is another
    # token, whose expiry is not known. A version, not a time: the writer's clock and SSM's need not agree.
    ssm_version: int


def due_for_refresh(stored_at: datetime, ssm_version: int, record: TokenRecord | None, now: datetime) -> bool:
    """Whether to refresh the token SSM holds (version `ssm_version`, written at `stored_at` by SSM's stamp): old
    enough for Meta, and either its expiry is not known for that very version or it is less than REFRESH_WHEN_LEFT
    away."""
    known = record if record is not None and record.ssm_version == ssm_version else None
    # The record's stamp when it describes this version: taken by the clock that asks now, as Meta's age is.
    written = known.stored_at if known is not None else stored_at
    if now - written < REFRESHABLE_AFTER:
        return False
    if known is None or known.expires_at is None:
        return True  # its expiry is not known for the value in SSM
    return known.expires_at - now < REFRESH_WHEN_LEFT
