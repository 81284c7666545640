"""The monthly report: last month against the month before, from the two months' stats items (O(1) reads).

The funnel from the story to the review (each step with its share of the step above); what Tagback counted, month
over month (mentions, guests who got a prize, review links opened, coupons redeemed, contacts, opt-outs); what
Instagram and Google report (followers gained, reach, views, accounts engaged, the rating); the prizes with their cost
in the client's currency, the prizes per table, mentions per day and hour. Figures Meta or Google did not provide are
"not available", never 0, with the reason in a footnote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from tagback.config.model import ClientConfig
from tagback.domain.languages import Language, regional_locale
from tagback.domain.stats import days_of, previous_month
from tagback.messages.report_labels import LABELS

# A footnote, `note_<name>` in the labels: why a figure is not available, or what exactly it counts.
Note = Literal[
    "no_snapshot",
    "meta",
    "google_key",
    "google",
    "one_snapshot",
    "reviews_all",
    "unique_clicks",
    "clicks_in_all",
    "redemption",
]
# A daily snapshot's value, `<name>_d<DD>` (the counters per day and hour are `mentions_day_<DD>`, `…_hour_<HH>`).
_SNAPSHOT_VALUE = re.compile(r"_d\d{2}$")


@dataclass(frozen=True)
class Figure:
    key: str
    value: float | None  # None: not available
    previous: float | None = None
    note: Note | None = None
    unit: Literal["count", "rating", "percent"] = "count"

    @property
    def delta(self) -> float | None:
        return None if self.value is None or self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class FunnelStep:
    key: str
    value: float | None
    rate: float | None  # the share of the step above; None for the first, or when either is unknown or 0
    note: Note | None = None


@dataclass(frozen=True)
class Colours:
    """The venue's brand, as its coupon shows it."""

    background: str
    foreground: str
    accent: str


@dataclass(frozen=True)
class Report:
    client_id: str
    venue: str
    agency: str | None  # who prepared it, when the agency is known
    month: str
    language: Language  # the labels'
    locale: str  # Babel's, for numbers, money and dates: the language as written in the venue's country
    currency: str  # ISO 4217
    colours: Colours
    funnel: list[FunnelStep]
    counted: list[Figure]  # by Tagback itself
    platforms: list[Figure]  # as Instagram and Google report them
    clicks: list[tuple[str, int, int]]  # review platform, unique clicks, all clicks
    browsers: list[tuple[str, int]]  # the clicks by the browser they came from (BROWSERS), those with any
    prizes: list[tuple[str, int, Decimal | None]]  # name, count, estimated cost
    tables: list[tuple[str, int]]  # prizes per table, most first (per-table venues)
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

    @property
    def notes(self) -> list[Note]:
        """The footnotes, numbered in the order the page first refers to them."""
        figures: list[Figure | FunnelStep] = [*self.funnel, *self.counted, *self.platforms]
        return list(dict.fromkeys(f.note for f in figures if f.note))

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


def _counted(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    """The counters named `<prefix><what>`, by what."""
    return {name.removeprefix(prefix): int(value) for name, value in stats.items() if name.startswith(prefix)}


def _unique_clicks(stats: dict[str, Any], platform: str | None = None) -> float | None:
    """Review links opened, each link once (of one platform, or all); None for a month whose clicks were counted
    before unique clicks were."""
    unique = _counted(stats, "review_link_unique_clicks_")
    every = _counted(stats, "review_link_clicks_")
    if platform is not None:
        unique, every = {platform: unique.get(platform, 0)}, {platform: every.get(platform, 0)}
    return None if sum(every.values()) and not sum(unique.values()) else float(sum(unique.values()))


def _rate(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def _funnel(stats: dict[str, Any], reviews_gained: float | None, google_note: Note) -> list[FunnelStep]:
    mentions, prizes = float(stats.get("mentions", 0)), float(stats.get("awards", 0))
    asked, yes = float(stats.get("review_questions", 0)), float(stats.get("review_yes", 0))
    clicks = _unique_clicks(stats, "google")
    return [
        FunnelStep("mentions", mentions, None),
        FunnelStep("prizes", prizes, _rate(prizes, mentions)),
        FunnelStep("review_questions", asked, _rate(asked, prizes)),
        FunnelStep("review_yes", yes, _rate(yes, asked)),
        FunnelStep("google_clicks", clicks, _rate(clicks, yes), _clicks_note(clicks)),
        # Every new review on Google, whoever wrote it: no share of the clicks above, which may be fewer.
        FunnelStep(
            "reviews_gained", reviews_gained, None, "reviews_all" if reviews_gained is not None else google_note
        ),
    ]


def _clicks_note(unique: float | None) -> Note:
    return "unique_clicks" if unique is not None else "clicks_in_all"


def _snapshot_taken(stats: dict[str, Any]) -> bool:
    """Whether a daily snapshot stored anything this month (Meta gives the follower count whatever the account)."""
    return any(_SNAPSHOT_VALUE.search(name) for name in stats)


def _google_note(config: ClientConfig, stats: dict[str, Any], month: str) -> Note:
    """Why a Google figure is not available."""
    if config.report.places_api_key_param is None:
        return "google_key"
    if not _snapshot_taken(stats):
        return "no_snapshot"
    return "one_snapshot" if len(_daily(stats, "rating_count", month)) == 1 else "google"


def _meta_note(stats: dict[str, Any], name: str, month: str) -> Note:
    """Why a figure from Meta's daily values is not available: no snapshot yet this month, Meta gave none of it (too
    few followers, lag), or one (a gain needs two)."""
    if _daily(stats, name, month):
        return "one_snapshot"
    return "meta" if _snapshot_taken(stats) else "no_snapshot"


def _figures(
    config: ClientConfig, stats: dict[str, Any], previous: dict[str, Any], month: str
) -> tuple[list[FunnelStep], list[Figure], list[Figure]]:
    before = previous_month(month)
    google_note = _google_note(config, stats, month)
    followers_gained = _gain(stats, previous, "followers", month)
    followers_note = None if followers_gained is not None else _meta_note(stats, "followers", month)
    rating = _last(_daily(stats, "rating", month))
    rating_note = None if rating is not None else google_note
    unique_clicks = _unique_clicks(stats)
    awards, redeemed = float(stats.get("awards", 0)), float(stats.get("coupons_redeemed", 0))

    def counter(key: str) -> Figure:
        return Figure(key, float(stats.get(key, 0)), float(previous.get(key, 0)))

    def contacts(month_stats: dict[str, Any]) -> float:
        return float(sum(_counted(month_stats, "contacts_").values()))

    counted = [
        counter("mentions"),
        counter("unique_guests"),
        Figure("review_clicks", unique_clicks, _unique_clicks(previous), _clicks_note(unique_clicks)),
        counter("coupons_redeemed"),
        Figure("redemption_rate", _rate(redeemed, awards), note="redemption", unit="percent"),
        Figure("contacts", contacts(stats), contacts(previous)),
        counter("opt_outs"),
    ]
    platforms = [Figure("followers_gained", followers_gained, None, followers_note)]
    for name in ("reach", "views", "engaged"):
        value = _sum_or_none(_daily(stats, name, month))
        note: Note | None = None if value is not None else _meta_note(stats, name, month)
        platforms.append(Figure(name, value, _sum_or_none(_daily(previous, name, before)), note))
    platforms.append(Figure("rating", rating, _last(_daily(previous, "rating", before)), rating_note, "rating"))
    reviews_gained = _gain(stats, previous, "rating_count", month)
    return _funnel(stats, reviews_gained, google_note), counted, platforms


def _clicks(stats: dict[str, Any]) -> list[tuple[str, int, int]]:
    unique, every = _counted(stats, "review_link_unique_clicks_"), _counted(stats, "review_link_clicks_")
    return [(platform, unique.get(platform, 0), every[platform]) for platform in sorted(every, key=lambda p: -every[p])]


# Where guests opened their review links, in the report's order: Instagram's or Facebook's in-app browser, a phone's
# own browser, a computer, anything else (counted since the hand-off page; a link preview is no click).
BROWSERS = ("in_app", "android", "ios", "desktop", "other")


def _browsers(stats: dict[str, Any]) -> list[tuple[str, int]]:
    counted = _counted(stats, "review_link_browser_")
    return [(browser, counted[browser]) for browser in BROWSERS if counted.get(browser)]


def _tables(stats: dict[str, Any]) -> list[tuple[str, int]]:
    """Prizes per table, most first; tables of as many in their number's order."""
    tables = _counted(stats, "awards_table_")
    return sorted(tables.items(), key=lambda t: (-t[1], len(t[0]), t[0]))


def build_report(
    config: ClientConfig, month: str, stats: dict[str, Any], previous: dict[str, Any], agency: str | None = None
) -> Report:
    funnel, counted, platforms = _figures(config, stats, previous, month)
    language = config.report_language
    prizes = []
    for prize in config.prizes:
        handed = int(stats.get(f"awards_prize_{prize.id}", 0))
        prizes.append((prize.name_in(language), handed, prize.cost * handed if prize.cost is not None else None))
    coupon = config.coupon
    return Report(
        client_id=config.client_id,
        venue=config.venue_name,
        agency=agency,
        month=month,
        language=language,
        locale=regional_locale(language, config.timezone),
        currency=config.currency,
        colours=Colours(coupon.background, coupon.foreground, coupon.accent),
        funnel=funnel,
        counted=counted,
        platforms=platforms,
        clicks=_clicks(stats),
        browsers=_browsers(stats),
        prizes=prizes,
        tables=_tables(stats),
        daily=[(day, int(stats.get(f"mentions_day_{day.day:02d}", 0))) for day in days_of(month)],
        hourly=[(hour, int(stats.get(f"mentions_hour_{hour:02d}", 0))) for hour in range(24)],
    )
