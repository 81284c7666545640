"""Tracked review links: `GET /l/<client>/<token>` (the edge's) counts the click in the client's table and sends the
guest on to the target fixed when the link was created (so the route is no open redirect)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tagback.domain.registrations import Registration
from tagback.domain.stats import StatsStore, month_of
from tagback.observability import count

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CLIENT_ID = re.compile(r"^[a-z0-9-]{1,32}$")


class LinkClicks(Protocol):
    def click(self, token: str, at: datetime) -> dict[str, Any] | None: ...


class LinkStore(Protocol):
    @property
    def links(self) -> LinkClicks: ...
    @property
    def stats(self) -> StatsStore: ...


def follow_link(store: LinkStore, token: str, now: datetime, tz: ZoneInfo) -> str | None:
    """The target of a known token, after counting the click on the link and in the month's totals: every click,
    and the token's first as a unique one (a token is one award's link to one platform, so a guest opening it three
    times is one guest)."""
    link = store.links.click(token, now) if _TOKEN.match(token) else None  # not one of ours: no table read for junk
    if link is None:
        count("link_not_found")
        return None
    count("link_followed")
    platform = link["platform"]
    counters = {f"review_link_clicks_{platform}": 1}
    if link["clicks"] == 1:  # the click's own atomic ADD says it was the first: no read, no race
        counters[f"review_link_unique_clicks_{platform}"] = 1
    store.stats.add_to_month(month_of(now, tz), counters)
    return str(link["target"])


class ClientRegistry(Protocol):
    def by_client(self, client_id: str) -> Registration | None: ...


def follow_venue_link(
    registry: ClientRegistry, store_of: Callable[[Registration], LinkStore], client_id: str, token: str, now: datetime
) -> str | None:
    """The target of a registered client's link (see follow_link); None for an unknown client or token."""
    venue = registry.by_client(client_id) if _CLIENT_ID.match(client_id) and _TOKEN.match(token) else None
    if venue is None:
        count("link_not_found")
        return None
    return follow_link(store_of(venue), token, now, venue.tz)
