"""What the edge's watchdog looks for in a venue's data, which no metric shows: a venue that has gone quiet (no story
mention on its last N open days) and a monthly report not sent by noon on the 1st. Pure rules; app/watchdog.py reads
the venues and tells the agency."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tagback.domain.stats import month_of, previous_month

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REPORT_DUE_HOUR = 12  # the report goes out at 08:00 local on the 1st (Lambda retries within the hour): by noon, late
STREAM_LAG_MINUTES = 30  # a guest's prize this late is already a failure; retries' backoff stays well under it
_LOOK_BACK_DAYS = 366  # a venue closed more than this is never quiet


@dataclass(frozen=True)
class Silence:
    """What a run looking back for a quiet venue's last mention found, kept for the next runs, which read only the
    days since: the last day with a mention before `through` (None: none since the look-back's floor)."""

    last_mention: date | None
    through: date


def closed_day(value: object) -> str:
    """A day the venue is closed: a weekday (`mon` … `sun`) or a date (`2026-12-25`); ValueError otherwise."""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip().lower()
    if text in WEEKDAYS:
        return text
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is neither a weekday (mon … sun) nor a date (2026-12-25)") from None


def is_open(day: date, closed: Collection[str]) -> bool:
    return WEEKDAYS[day.weekday()] not in closed and day.isoformat() not in closed


def last_open_days(today: date, count: int, closed: Collection[str], since: date | None) -> list[date] | None:
    """The `count` most recent whole open days before `today`, newest first; None when the venue has not had that many
    since `since` (its registration) or within a year."""
    days: list[date] = []
    day = today - timedelta(days=1)
    while len(days) < count:
        if (since is not None and day < since) or (today - day).days > _LOOK_BACK_DAYS:
            return None
        if is_open(day, closed):
            days.append(day)
        day -= timedelta(days=1)
    return days


def mention_days(month: str, totals: dict[str, object]) -> set[date]:
    """The days of `month` with a story mention, from the month's counters (`mentions_day_<DD>`)."""
    prefix = "mentions_day_"
    return {
        date.fromisoformat(f"{month}-{name.removeprefix(prefix)}")
        for name, value in totals.items()
        if name.startswith(prefix) and isinstance(value, int | float) and value > 0
    }


def report_due(local_now: datetime) -> str | None:
    """The month whose report should have gone out by `local_now` (the venue's time): last month's, on the 1st from
    noon; None at any other time (the watchdog asks hourly, so it asks twelve times that afternoon)."""
    if local_now.day == 1 and local_now.hour >= REPORT_DUE_HOUR:
        return previous_month(month_of(local_now))
    return None
