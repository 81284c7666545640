"""`tagback status`: every venue the edge knows, in one table — from each venue's own table (the month's counters,
what waits for the token, the token's record) and its stack's failure queues. The counters are the month's
(`STATS#<yyyy-mm>`), read in the venue's own timezone: "today" is the venue's local day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from tagback.domain.registrations import Registration
from tagback.domain.stats import REPORT_SENT_AT, mentions_on, month_of, previous_month
from tagback.domain.tokens import TokenRecord

WEEK = 7
DM_COUNTER = "dms_"  # the month's DM counters by kind: dms_failed, dms_uncertain, …
REPORT_MONTHS_BACK = 2  # the last report looked for: last month's, else the one before (the 1st, before 08:00)


class TokenState(StrEnum):
    CONNECTED = "connected"
    EXPIRY_NOT_KNOWN = "expiry not known"  # pasted from Meta's dashboard, until its first refresh
    EXPIRED = "expired"
    NOT_RECORDED = "not recorded"  # no `tagback connect` (nor refresh) recorded it


class MonthStats(Protocol):
    def month_totals(self, month: str) -> dict[str, Any]: ...


class WaitingMessages(Protocol):
    def waiting_for_token(self) -> Sequence[object]: ...


class TokenRecords(Protocol):
    def get(self) -> TokenRecord | None: ...


class VenueStore(Protocol):
    """What status reads of a venue's table (Repositories has it)."""

    @property
    def stats(self) -> MonthStats: ...
    @property
    def awards(self) -> WaitingMessages: ...
    @property
    def tokens(self) -> TokenRecords: ...


@dataclass(frozen=True)
class VenueStatus:
    client_id: str
    venue_name: str
    mentions_today: int
    mentions_7_days: int  # today and the six local days before
    awards_this_month: int
    dm_failures: dict[str, int]  # this month's, by kind: {"failed": 2, "uncertain": 1}
    waiting_for_token: int
    queues: dict[str, int]  # each failure queue's messages, by the stack output's name (PrizeDeadLetter, …)
    token_days_left: int | None  # None: not connected, or its expiry not known (token_state says which)
    token_state: TokenState
    last_report_month: str | None
    last_report_sent_at: str | None  # ISO, as recorded
    problems: tuple[str, ...] = ()  # what could not be read

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"problems": list(self.problems)}


def venue_status(
    venue: Registration,
    store: VenueStore,
    now: datetime,
    queues: Mapping[str, int],
    problems: Sequence[str] = (),
) -> VenueStatus:
    """One venue's row: `queues` are its failure queues' depths (read by the caller from its stack)."""
    today = now.astimezone(venue.tz).date()
    totals: dict[str, dict[str, Any]] = {}

    def month_totals(month: str) -> dict[str, Any]:
        if month not in totals:
            totals[month] = store.stats.month_totals(month)
        return totals[month]

    this_month = month_of(today)
    counters = month_totals(this_month)
    week = [today - timedelta(days=back) for back in range(WEEK)]
    report_month, report_sent_at = _last_report(this_month, month_totals)
    days_left, token_state = _token(store.tokens.get(), now)
    return VenueStatus(
        client_id=venue.client_id,
        venue_name=venue.venue_name,
        mentions_today=mentions_on([today], month_totals),
        mentions_7_days=mentions_on(week, month_totals),
        awards_this_month=int(counters.get("awards", 0)),
        dm_failures={
            name.removeprefix(DM_COUNTER): int(value)
            for name, value in sorted(counters.items())
            if name.startswith(DM_COUNTER) and value
        },
        waiting_for_token=len(store.awards.waiting_for_token()),
        queues=dict(queues),
        token_days_left=days_left,
        token_state=token_state,
        last_report_month=report_month,
        last_report_sent_at=report_sent_at,
        problems=tuple(problems),
    )


def _last_report(this_month: str, month_totals: Any) -> tuple[str | None, str | None]:
    month = this_month
    for _ in range(REPORT_MONTHS_BACK):
        month = previous_month(month)
        sent_at = month_totals(month).get(REPORT_SENT_AT)
        if sent_at:
            return month, str(sent_at)
    return None, None


def _token(record: TokenRecord | None, now: datetime) -> tuple[int | None, TokenState]:
    if record is None:
        return None, TokenState.NOT_RECORDED
    if record.expires_at is None:
        return None, TokenState.EXPIRY_NOT_KNOWN
    left = (record.expires_at - now) // timedelta(days=1)
    return left, TokenState.EXPIRED if record.expires_at <= now else TokenState.CONNECTED


def status_table(rows: Sequence[VenueStatus], now: datetime) -> str:
    """The rows as a plain-text table (the agency's screen, a terminal): one line per venue, then its problems."""
    header = (
        "client",
        "mentions today",
        "7 days",
        "awards",
        "DM failures",
        "waiting",
        "queues",
        "token",
        "last report",
    )
    lines = [[*header]]
    for row in rows:
        lines.append(
            [
                row.client_id,
                str(row.mentions_today),
                str(row.mentions_7_days),
                str(row.awards_this_month),
                ", ".join(f"{kind} {n}" for kind, n in row.dm_failures.items()) or "none",
                str(row.waiting_for_token),
                ", ".join(f"{name} {n}" for name, n in row.queues.items() if n) or "empty",
                _token_cell(row),
                f"{row.last_report_month} sent {row.last_report_sent_at[:10]}"
                if row.last_report_month and row.last_report_sent_at
                else "none",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {1, 2, 3, 5}

    def aligned(line: list[str]) -> str:
        cells = zip(line, widths, strict=True)
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(cells)).rstrip()

    text = [aligned(line) for line in lines]
    for row in rows:
        text += [f"{row.client_id}: {problem}" for problem in row.problems]
    venues = f"{len(rows)} venue{'s' if len(rows) != 1 else ''}"
    return "\n".join([f"{venues} at {now.isoformat(timespec='minutes')} (awards and DM failures: this month)", *text])


def _token_cell(row: VenueStatus) -> str:
    if row.token_state is TokenState.CONNECTED and row.token_days_left is not None:
        return f"{row.token_days_left} days left"
    return row.token_state.value
