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


def due_for_refresh(stored_at: datetime, record: TokenRecord | None, now: datetime) -> bool:
    """Whether to refresh the token written to SSM at `stored_at`: old enough for Meta, and either its expiry is not
    known for that very value (written by hand, or pasted) or it is less than REFRESH_WHEN_LEFT away."""
    if now - stored_at < REFRESHABLE_AFTER:
        return False
    if record is None or record.expires_at is None or record.stored_at < stored_at:
        return True  # its expiry is not known for the value in SSM
    return record.expires_at - now < REFRESH_WHEN_LEFT
