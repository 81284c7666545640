"""The daily snapshot: what Meta and Google say about the venue today, kept on the month's stats item.

Meta keeps follower data for 30 days only and dropped profile views, so the month's picture is built from one
snapshot a day. Values that are missing (fewer than 100 followers, lag, errors) are not written: the report shows
"not available" instead of a misleading 0.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Protocol

import requests

from tagback.config import ClientConfig

PLACES_API = "https://places.googleapis.com"


class InsightsSource(Protocol):
    def account_insights(self, account_id: str, since: int, until: int) -> dict[str, float]: ...


class SnapshotStore(Protocol):
    def set_day_values(self, month: str, day: int, values: dict[str, Any]) -> None: ...


def google_rating(place_id: str, api_key: str, base_url: str = PLACES_API) -> dict[str, Any]:
    """`rating` and `userRatingCount` from the Places API (New), or {} when Google does not answer them."""
    try:
        response = requests.get(
            f"{base_url.rstrip('/')}/v1/places/{place_id}",
            timeout=(3.05, 10),
            headers={"X-Goog-Api-Key": api_key, "X-Goog-FieldMask": "rating,userRatingCount"},
        )
    except requests.RequestException:
        return {}
    body = response.json() if response.ok else {}
    found: dict[str, Any] = {}
    if isinstance(body.get("rating"), int | float):
        found["rating"] = str(body["rating"])  # kept as text: DynamoDB numbers here are integers
    if isinstance(body.get("userRatingCount"), int):
        found["rating_count"] = body["userRatingCount"]
    return found


def take_snapshot(
    config: ClientConfig,
    store: SnapshotStore,
    insights: InsightsSource,
    *,
    now: datetime,
    places_key: str | None,
    places_url: str = PLACES_API,
) -> dict[str, Any]:
    """Today's values (the client's local day), written as `<name>_d<DD>` on the month's stats item."""
    local = now.astimezone(config.tz)
    midnight = datetime.combine(local.date(), time(0), tzinfo=config.tz)
    values: dict[str, Any] = {
        name: int(value)
        for name, value in insights.account_insights(
            config.instagram_account_id, int((midnight - timedelta(days=1)).timestamp()), int(midnight.timestamp())
        ).items()
    }
    if places_key:
        values |= google_rating(config.review_links.google_place_id, places_key, places_url)
    store.set_day_values(local.strftime("%Y-%m"), local.day, values)
    return values
