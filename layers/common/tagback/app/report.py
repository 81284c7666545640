"""The monthly report: last month against the month before, from the two months' stats items (O(1) reads).

Two sections, as the venue was promised: what Tagback contributes to directly (mentions, guests reached, review
link clicks, Google reviews gained, followers gained) and what it influences (reach, views, accounts engaged).
Figures Meta or Google did not provide are "not available", never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tagback.config.model import ClientConfig
from tagback.domain.languages import Language
from tagback.domain.stats import days_of, previous_month
from tagback.messages.report_labels import LABELS


@dataclass(frozen=True)
class Figure:
    key: str
    value: float | None  # None: not available
    previous: float | None

    @property
    def delta(self) -> float | None:
        return None if self.value is None or self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class Report:
    client_id: str
    venue: str
    month: str
    language: Language
    direct: list[Figure]
    indirect: list[Figure]
    prizes: list[tuple[str, int, Decimal | None]]  # name, count, estimated cost
    daily: list[tuple[date, int]]
    hourly: list[tuple[int, int]]

    @property
    def best_day(self) -> tuple[date, int] | None:
        busiest = max(self.daily, key=lambda day: day[1], default=None)
        return busiest if busiest and busiest[1] > 0 else None

    @property
    def estimated_cost(self) -> Decimal | None:
        costs = [cost for _, _, cost in self.prizes if cost is not None]
        return sum(costs, Decimal(0)) if costs else None

    def label(self, key: str) -> str:
        return LABELS[key][self.language]


def _daily(stats: dict[str, Any], name: str, month: str) -> list[float]:
    """The month's daily snapshot values of `name` (in day order), days without data left out."""
    return [float(stats[key]) for day in days_of(month) if (key := f"{name}_d{day.day:02d}") in stats]


def _last(values: list[float]) -> float | None:
    return values[-1] if values else None


def _sum_or_none(values: list[float]) -> float | None:
    return sum(values) if values else None


def _gain(stats: dict[str, Any], previous: dict[str, Any], name: str, month: str) -> float | None:
    """Growth of a running total over the month: last value minus the last of the month before (or this month's
    first); None with fewer than two observations."""
    now, before = _daily(stats, name, month), _daily(previous, name, previous_month(month))
    start = before[-1] if before else (now[0] if len(now) > 1 else None)
    return now[-1] - start if now and start is not None else None


def _figures(stats: dict[str, Any], previous: dict[str, Any], month: str) -> tuple[list[Figure], list[Figure]]:
    before = previous_month(month)
    clicks = lambda s: float(sum(v for k, v in s.items() if k.startswith("review_link_clicks_")))  # noqa: E731
    direct = [
        Figure("mentions", float(stats.get("mentions", 0)), float(previous.get("mentions", 0))),
        Figure("unique_guests", float(stats.get("unique_guests", 0)), float(previous.get("unique_guests", 0))),
        Figure("review_clicks", clicks(stats), clicks(previous)),
        Figure("reviews_gained", _gain(stats, previous, "rating_count", month), None),
        Figure("rating", _last(_daily(stats, "rating", month)), _last(_daily(previous, "rating", before))),
        Figure("followers_gained", _gain(stats, previous, "followers", month), None),
    ]
    indirect = [
        Figure(name, _sum_or_none(_daily(stats, name, month)), _sum_or_none(_daily(previous, name, before)))
        for name in ("reach", "views", "engaged")
    ]
    return direct, indirect


def build_report(config: ClientConfig, month: str, stats: dict[str, Any], previous: dict[str, Any]) -> Report:
    direct, indirect = _figures(stats, previous, month)
    language = config.report_language
    prizes = []
    for prize in config.prizes:
        handed = int(stats.get(f"awards_prize_{prize.id}", 0))
        prizes.append((prize.name_in(language), handed, prize.cost * handed if prize.cost is not None else None))
    return Report(
        client_id=config.client_id,
        venue=config.venue_name,
        month=month,
        language=language,
        direct=direct,
        indirect=indirect,
        prizes=prizes,
        daily=[(day, int(stats.get(f"mentions_day_{day.day:02d}", 0))) for day in days_of(month)],
        hourly=[(hour, int(stats.get(f"mentions_hour_{hour:02d}", 0))) for hour in range(24)],
    )
