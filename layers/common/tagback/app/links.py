"""Tracked review links: `GET /l/<token>` counts the click and sends the guest on to the target fixed when the
link was created (so the route is no open redirect)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tagback.domain.stats import StatsStore, month_of
from tagback.observability import count

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class LinkClicks(Protocol):
    def click(self, token: str, at: datetime) -> dict[str, Any] | None: ...


class LinkStore(Protocol):
    @property
    def links(self) -> LinkClicks: ...
    @property
    def stats(self) -> StatsStore: ...


def follow_link(store: LinkStore, token: str, now: datetime, tz: ZoneInfo) -> str | None:
    """The target of a known token, after counting the click on the link and in the month's totals."""
    link = store.links.click(token, now) if _TOKEN.match(token) else None  # not one of ours: no table read for junk
    if link is None:
        count("link_not_found")
        return None
    count("link_followed")
    store.stats.add_to_month(month_of(now, tz), {f"review_link_clicks_{link['platform']}": 1})
    return str(link["target"])
