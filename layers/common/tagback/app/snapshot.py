"""The daily snapshot: what Meta and Google say about the venue today, kept on the month's stats item.

Meta keeps follower data for 30 days only and dropped profile views, so the month's picture is built from one
snapshot a day. Values that are missing (fewer than 100 followers, lag, errors) are not written: the report shows
"not available" instead of a misleading 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from tagback.config.model import ClientConfig
from tagback.domain.stats import month_of

SNAPSHOT_TIME = time(23, 30)  # every day, in the client's timezone: the day's figures, before its midnight


class InsightsSource(Protocol):
    def account_insights(self, account_id: str, since: int, until: int) -> dict[str, float]: ...


class SnapshotStore(Protocol):
    def set_day_values(self, month: str, day: int, values: dict[str, Any]) -> None: ...


RatingSource = Callable[[str], dict[str, Any]]  # a Google place id → its rating and review count, as found


def take_snapshot(
    config: ClientConfig,
    store: SnapshotStore,
    insights: InsightsSource,
    *,
    now: datetime,
    rating: RatingSource | None,
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
    if rating is not None:
        values |= rating(config.review_links.google_place_id)
    store.set_day_values(month_of(local), local.day, values)
    return values
