"""The month's figures, kept as events happen (atomic ADDs on `STATS#<yyyy-mm>`), so the report reads one item.

Names: a total per event (`mentions`, `awards`, `review_yes`, …), per prize (`awards_prize_<id>`), per platform
(`review_link_clicks_<platform>`), per channel (`contacts_<channel>`), and the mentions per local day of the month
(`mentions_day_<DD>`) and hour of day (`mentions_hour_<HH>`) for the report's charts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class StatsStore(Protocol):
    def add_to_month(self, month: str, counters: dict[str, int]) -> None: ...


def month_of(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m")


def count_event(store: StatsStore, tz: ZoneInfo, at: datetime, *names: str) -> None:
    local = at.astimezone(tz)
    counters = {name: 1 for name in names}
    if "mentions" in names:
        counters |= {f"mentions_day_{local.day:02d}": 1, f"mentions_hour_{local.hour:02d}": 1}
    store.add_to_month(local.strftime("%Y-%m"), counters)
