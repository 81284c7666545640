"""Tracked review links: `GET /l/<client>/<token>` (the edge's) counts the click in the client's table and sends the
guest on to the target fixed when the link was created (so the route is no open redirect): a plain redirect, or from
Instagram's or Facebook's in-app browser the hand-off page (app/handoff_page.py). A link preview's fetch is sent on
uncounted; each tap's browser (in-app, Android, iOS, desktop, other) is counted in the month."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tagback.app.handoff_page import handoff_for, render_handoff
from tagback.domain.browsers import UNKNOWN, Browser, classify
from tagback.domain.registrations import Registration
from tagback.domain.stats import StatsStore, month_of
from tagback.messages.link_labels import page_language
from tagback.observability import count

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CLIENT_ID = re.compile(r"^[a-z0-9-]{1,32}$")


class LinkClicks(Protocol):
    def click(self, token: str, at: datetime) -> dict[str, Any] | None: ...
    def preview(self, token: str) -> dict[str, Any] | None: ...


class LinkStore(Protocol):
    @property
    def links(self) -> LinkClicks: ...
    @property
    def stats(self) -> StatsStore: ...


@dataclass(frozen=True)
class Followed:
    target: str
    platform: str  # the review platform's: google, tripadvisor, facebook
    language: str | None  # the guest's in the chat, when the link was created with it


def follow_link(
    store: LinkStore, token: str, now: datetime, tz: ZoneInfo, browser: Browser = UNKNOWN
) -> Followed | None:
    """The link of a known token, after counting the click on the link and in the month's totals: every click, and
    the token's first as a unique one (a token is one award's link to one platform, so a guest opening it three
    times is one guest), and the browser it came from. A bot's fetch (a link preview) is counted on the link as a
    preview, never as a click."""
    if not _TOKEN.match(token):  # not one of ours: no table read for junk
        count("link_not_found")
        return None
    counted_as = browser.counted_as
    link = store.links.click(token, now) if counted_as else store.links.preview(token)
    if link is None:
        count("link_not_found")
        return None
    followed = Followed(str(link["target"]), str(link["platform"]), link.get("language"))
    if not counted_as:
        count("link_previewed")
        return followed
    count("link_followed")
    counters = {f"review_link_clicks_{followed.platform}": 1, f"review_link_browser_{counted_as}": 1}
    if link["clicks"] == 1:  # the click's own atomic ADD says it was the first: no read, no race
        counters[f"review_link_unique_clicks_{followed.platform}"] = 1
    store.stats.add_to_month(month_of(now, tz), counters)
    return followed


@dataclass(frozen=True)
class LinkAnswer:
    target: str
    page: str | None = None  # the hand-off page for an in-app browser; None: a plain redirect to the target


class ClientRegistry(Protocol):
    def by_client(self, client_id: str) -> Registration | None: ...


def follow_venue_link(
    registry: ClientRegistry,
    store_of: Callable[[Registration], LinkStore],
    client_id: str,
    token: str,
    now: datetime,
    *,
    user_agent: str | None = None,
) -> LinkAnswer | None:
    """A registered client's link followed (see follow_link) from the browser the user agent names; None for an
    unknown client or token."""
    venue = registry.by_client(client_id) if _CLIENT_ID.match(client_id) and _TOKEN.match(token) else None
    if venue is None:
        count("link_not_found")
        return None
    browser = classify(user_agent)
    followed = follow_link(store_of(venue), token, now, venue.tz, browser)
    if followed is None:
        return None
    handoff = handoff_for(browser, followed.platform, followed.target)
    if handoff is None:
        return LinkAnswer(followed.target)
    count("link_handed_off")
    language = page_language(followed.language, venue.language)
    return LinkAnswer(followed.target, render_handoff(handoff, followed.target, browser, language, venue.venue_name))
