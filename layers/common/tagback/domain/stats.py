"""The month's figures, kept as events happen (atomic ADDs on `STATS#<yyyy-mm>`), so the report reads one item.

Names: a total per event (`mentions`, `awards`, `review_yes`, …), per prize (`awards_prize_<id>`), per table with
the per-table option (`awards_table_<table>`), per platform (`review_link_clicks_<platform>`, and
`review_link_unique_clicks_<platform>` for each link's first click), per browser a link was opened in
(`review_link_browser_<in_app|android|ios|desktop|other>`), per channel (`contacts_<channel>`), and the
mentions per local day of the month (`mentions_day_<DD>`) and hour of day (`mentions_hour_<HH>`) for the report's
charts. The daily snapshot adds the day's values as `<name>_d<DD>` (on an item of their own: store/stats.py). When the
month's report went out, its item says so (`report_sent_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

# On the month's item once its report went out (SES accepted it): an ISO time, not a counter.
REPORT_SENT_AT = "report_sent_at"


class StatsStore(Protocol):
    def add_to_month(self, month: str, counters: dict[str, int]) -> None: ...


def month_of(moment: date, tz: ZoneInfo | None = None) -> str:
    """The month (`yyyy-mm`) of a date, or of a moment in the client's timezone `tz` (None: already local)."""
    local = moment.astimezone(tz) if isinstance(moment, datetime) and tz is not None else moment
    return local.strftime("%Y-%m")


def days_of(month: str) -> list[date]:
    """Every day of a `yyyy-mm` month, in order."""
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def previous_month(month: str) -> str:
    return month_of(date.fromisoformat(f"{month}-01") - timedelta(days=1))


def count_event(store: StatsStore, tz: ZoneInfo, at: datetime, *names: str) -> None:
    local = at.astimezone(tz)
    counters = {name: 1 for name in names}
    if "mentions" in names:
        counters |= {f"mentions_day_{local.day:02d}": 1, f"mentions_hour_{local.hour:02d}": 1}
    store.add_to_month(month_of(local), counters)


def mentions_on(days: Iterable[date], month_totals: Callable[[str], Mapping[str, Any]]) -> int:
    """Mentions on these local days, from the `mentions_day_<DD>` counters of each day's month (so a span of days
    may cross into the month before)."""
    return sum(int(month_totals(month_of(day)).get(f"mentions_day_{day.day:02d}", 0)) for day in days)
