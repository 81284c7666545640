"""A venue as the edge knows it: which client an Instagram account belongs to, and where that client's inbound events
and tracked links live. Each venue stack registers itself on deploy (app/registration.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Registration:
    client_id: str
    account_id: str  # the venue's Instagram professional account id: `entry[].id` of its deliveries
    venue_name: str
    table: str  # the client's table, in `region`
    region: str
    timezone: str  # the client's: the month a link click counts in
    retention_days: int  # how long the client keeps inbound events (personal data)
    link_prefix: str  # tracked links are <link_prefix>/<token>
    # What the edge's watchdog checks (the client file's `alerts`; a venue registered before them has neither): no
    # story mention on this many open days in a row is reported (0: never); the weekdays (mon … sun) and dates
    # (2026-12-25) the venue is closed are not open days.
    no_mention_days: int = 0
    closed: tuple[str, ...] = ()
    registered_on: date | None = None  # the edge's date of its first registration: nothing is expected before
    # What the staff redemption page shows (a venue registered before it has neither: English, prizes as issued):
    language: str = "en"  # the venue's default language
    prize_names: tuple[tuple[str, str], ...] = ()  # (prize id, its name in that language)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class AccountTaken(Exception):
    """The account is registered to another client already: one account is one venue."""

    def __init__(self, account_id: str, owner: Registration, claimant: str) -> None:
        self.owner = owner
        super().__init__(
            f"Instagram account {account_id} is already registered to client {owner.client_id!r} "
            f"({owner.venue_name}); client {claimant!r} cannot register it too: check instagram_account_id in "
            f"clients/{claimant}.yaml, or delete the stack Tagback-{owner.client_id} first"
        )
