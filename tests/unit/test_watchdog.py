"""The edge's watchdog: a venue gone quiet and a report not sent by noon on the 1st, told to the agency once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tagback.app.watchdog import LAG_WINDOW, Watchdog, WatchIncomplete, name_lagging_streams, watch
from tagback.domain.clock import ManualClock
from tagback.domain.registrations import Registration
from tagback.domain.stats import REPORT_SENT_AT
from tagback.domain.watchdog import Silence, last_open_days, report_due
from tests.conftest import registration
from tests.fakes import InMemoryRegistry


@dataclass
class Figures:
    months: dict[str, dict[str, Any]] = field(default_factory=dict)
    failure: Exception | None = None
    read: list[str] = field(default_factory=list)  # each month read, in order

    def month_totals(self, month: str) -> dict[str, Any]:
        if self.failure:
            raise self.failure
        self.read.append(month)
        return dict(self.months.get(month, {}))

    def mention(self, day: date) -> None:
        self.months.setdefault(day.strftime("%Y-%m"), {})[f"mentions_day_{day.day:02d}"] = 1


@dataclass
class Marks:
    claimed: set[tuple[str, str]] = field(default_factory=set)
    silences: dict[str, Silence] = field(default_factory=dict)

    def claim(self, client_id: str, alert: str, at: datetime, expires_at: datetime) -> bool:
        if (client_id, alert) in self.claimed:
            return False
        self.claimed.add((client_id, alert))
        return True

    def release(self, client_id: str, alert: str) -> None:
        self.claimed.discard((client_id, alert))

    def silence(self, client_id: str) -> Silence | None:
        return self.silences.get(client_id)

    def keep_silence(self, client_id: str, silence: Silence, expires_at: datetime) -> None:
        self.silences[client_id] = silence


@dataclass
class Inbox:
    told: list[tuple[str, str]] = field(default_factory=list)
    failure: Exception | None = None

    def publish(self, subject: str, message: str) -> None:
        if self.failure:
            raise self.failure
        self.told.append((subject, message))


@dataclass
class Lags:
    """CloudWatch's answer to the watchdog's query: each function's greatest IteratorAge (ms), by its name."""

    ages: dict[str, float] = field(default_factory=dict)
    asked: list[tuple[datetime, datetime]] = field(default_factory=list)

    def lagging(self, since: datetime, until: datetime) -> dict[str, float]:
        self.asked.append((since, until))
        return dict(self.ages)


def watchdog(
    figures: dict[str, Figures], now: datetime, *venues: Registration, lags: Lags | None = None
) -> tuple[Watchdog, Inbox, ManualClock]:
    inbox, clock = Inbox(), ManualClock(now)
    marks, streams = Marks(), lags or Lags()
    return (
        Watchdog(InMemoryRegistry(*venues), lambda v: figures[v.client_id], marks, inbox, clock, streams),
        inbox,
        clock,
    )


# Lisbon: UTC+0 in winter. Monday 2026-11-30, 10:00.
MONDAY = datetime(2026, 11, 30, 10, tzinfo=UTC)
QUIET_DEMO = registration(no_mention_days=3, closed=("sun",), registered_on=date(2026, 10, 1))


def test_the_last_open_days_skip_closed_days_and_stop_at_the_registration() -> None:
    assert last_open_days(date(2026, 11, 30), 3, ("sun", "2026-11-28"), None) == [
        date(2026, 11, 27),  # Sunday the 29th closed, Saturday the 28th a closed date
        date(2026, 11, 26),
        date(2026, 11, 25),
    ]
    assert last_open_days(date(2026, 11, 30), 3, (), date(2026, 11, 28)) is None
    assert last_open_days(date(2026, 11, 30), 1, ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), None) is None


def test_the_report_is_due_from_noon_on_the_first_only() -> None:
    assert report_due(datetime(2026, 12, 1, 11, 59, tzinfo=UTC)) is None
    assert report_due(datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) == "2026-11"
    assert report_due(datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) is None


def test_a_quiet_venue_is_told_once_naming_the_last_mention() -> None:
    figures = Figures()
    figures.mention(date(2026, 11, 20))
    dog, inbox, clock = watchdog({"demo": figures}, MONDAY, QUIET_DEMO)
    assert watch(dog) == {"venues": 1, "alerts": ["demo:quiet-after-2026-11-20"]}
    ((subject, message),) = inbox.told
    assert subject == "Tagback: no story mention at demo for 3 open days"
    assert "Venue demo (demo) has had no story mention on its last 3 open days (2026-11-26 to 2026-11-28" in message
    assert "none since 2026-11-20" in message and "python -m tagback.cli connect --client demo" in message
    clock.advance(timedelta(days=1))
    assert watch(dog)["alerts"] == []  # the same silence: told already


def test_a_long_quiet_venue_is_read_only_since_the_last_look_back() -> None:
    figures = Figures()
    figures.mention(date(2026, 1, 10))
    venue = registration(no_mention_days=3, closed=("sun",), registered_on=date(2025, 12, 1))
    dog, _, clock = watchdog({"demo": figures}, MONDAY, venue)
    assert watch(dog)["alerts"] == ["demo:quiet-after-2026-01-10"]  # looked back to January once
    figures.read.clear()
    clock.advance(timedelta(hours=1))
    assert watch(dog)["alerts"] == [] and figures.read == ["2026-11"]  # the window's month only
    figures.read.clear()
    clock.advance(datetime(2026, 12, 14, 10, tzinfo=UTC) - clock.now())
    assert watch(dog)["alerts"] == [] and figures.read == ["2026-12", "2026-11"]  # the month since
    figures.read.clear()
    clock.advance(timedelta(hours=1))
    assert watch(dog)["alerts"] == [] and figures.read == ["2026-12"]


def test_a_mention_after_a_told_silence_makes_the_next_silence_another_alert() -> None:
    figures = Figures()
    figures.mention(date(2026, 1, 10))
    venue = registration(no_mention_days=3, closed=("sun",), registered_on=date(2025, 12, 1))
    dog, inbox, clock = watchdog({"demo": figures}, MONDAY, venue)
    assert watch(dog)["alerts"] == ["demo:quiet-after-2026-01-10"]
    figures.mention(date(2026, 12, 1))
    clock.advance(datetime(2026, 12, 2, 10, tzinfo=UTC) - clock.now())
    assert watch(dog)["alerts"] == []  # mentioned in the window
    clock.advance(datetime(2026, 12, 7, 10, tzinfo=UTC) - clock.now())
    assert watch(dog)["alerts"] == ["demo:quiet-after-2026-12-01"]
    assert "none since 2026-12-01" in inbox.told[-1][1]


def test_a_mention_counted_late_before_the_kept_day_but_in_its_month_is_found() -> None:
    figures = Figures()
    figures.mention(date(2026, 1, 10))
    venue = registration(no_mention_days=3, closed=("sun",), registered_on=date(2025, 12, 1))
    dog, _, clock = watchdog({"demo": figures}, MONDAY, venue)
    assert watch(dog)["alerts"] == ["demo:quiet-after-2026-01-10"]  # kept: none since, before 2026-11-25
    figures.mention(date(2026, 11, 3))  # a quarantined delivery replayed: counted on the day it was sent
    clock.advance(timedelta(hours=1))
    assert watch(dog)["alerts"] == ["demo:quiet-after-2026-11-03"]


def test_a_mention_in_the_window_or_today_keeps_the_venue_from_being_quiet() -> None:
    for day in (date(2026, 11, 26), date(2026, 11, 30)):
        figures = Figures()
        figures.mention(day)
        dog, inbox, _ = watchdog({"demo": figures}, MONDAY, QUIET_DEMO)
        assert watch(dog)["alerts"] == [] and inbox.told == []


def test_a_venue_without_the_watch_or_too_new_is_not_told() -> None:
    figures = {"demo": Figures(), "luna": Figures()}
    off = registration("demo", no_mention_days=0)
    new = registration("luna", "17841400000000002", no_mention_days=3, registered_on=date(2026, 11, 28))
    dog, inbox, _ = watchdog(figures, MONDAY, off, new)
    assert watch(dog)["alerts"] == [] and inbox.told == []


def test_a_report_not_sent_by_noon_on_the_first_is_told_once() -> None:
    figures = Figures({"2026-11": {"mentions": 4}, "2026-10": {"mentions": 2, REPORT_SENT_AT: "2026-11-01T08:00"}})
    venue = registration(no_mention_days=0)
    dog, inbox, clock = watchdog({"demo": figures}, datetime(2026, 12, 1, 11, 30, tzinfo=UTC), venue)
    assert watch(dog)["alerts"] == []  # not noon yet
    clock.advance(timedelta(minutes=30))
    assert watch(dog)["alerts"] == ["demo:report-2026-11"]
    assert inbox.told[0][0] == "Tagback: the 2026-11 report of demo was not sent"
    assert "python -m tagback.cli report --client demo --month 2026-11 --send" in inbox.told[0][1]
    clock.advance(timedelta(minutes=60))
    assert watch(dog)["alerts"] == []


def test_a_sent_report_or_a_month_the_venue_did_not_have_is_not_told() -> None:
    noon = datetime(2026, 12, 1, 12, tzinfo=UTC)
    for months in ({"2026-11": {"mentions": 4, REPORT_SENT_AT: "2026-12-01T08:00:03"}}, {}):
        dog, inbox, _ = watchdog({"demo": Figures(months)}, noon, registration(no_mention_days=0))
        assert watch(dog)["alerts"] == [] and inbox.told == []


def test_an_alert_that_could_not_be_sent_is_sent_next_time() -> None:
    figures = Figures()
    dog, inbox, _ = watchdog({"demo": figures}, MONDAY, QUIET_DEMO)
    inbox.failure = RuntimeError("SNS unavailable")
    with pytest.raises(RuntimeError):
        watch(dog)
    inbox.failure = None
    assert watch(dog)["alerts"] == ["demo:quiet-after-none"]


def test_a_venue_that_cannot_be_read_fails_the_run_after_the_others_are_checked() -> None:
    figures = {"demo": Figures(failure=RuntimeError("AccessDenied")), "luna": Figures()}
    luna = registration("luna", "17841400000000002", no_mention_days=3, registered_on=date(2026, 10, 1))
    dog, inbox, _ = watchdog(figures, MONDAY, QUIET_DEMO, luna)
    with pytest.raises(WatchIncomplete, match="could not check demo"):
        watch(dog)
    assert [subject for subject, _ in inbox.told] == ["Tagback: no story mention at luna for 3 open days"]


def test_the_stream_lag_alarm_gets_the_lagging_venues_named() -> None:
    luna = registration("luna", "1785")
    lags = Lags({"tagback-demo-prize": 45 * 60_000, "tagback-luna-prize": 60_000, "other-app": 2 * 3_600_000})
    dog, inbox, _ = watchdog({}, MONDAY, registration(), luna, lags=lags)
    assert name_lagging_streams(dog) == {"lagging": ["other-app", "tagback-demo-prize"]}
    assert lags.asked == [(MONDAY - LAG_WINDOW, MONDAY)]
    ((subject, message),) = inbox.told
    assert subject == "Tagback: stream read late at demo"
    assert "tagback-demo-prize: 45 minutes late — Venue demo (demo)" in message
    assert "other-app: 120 minutes late — no registered venue" in message and "luna" not in message


def test_a_stream_lag_over_by_the_time_it_is_read_tells_nothing() -> None:
    dog, inbox, _ = watchdog({}, MONDAY, registration(), lags=Lags({"tagback-demo-prize": 60_000}))
    assert name_lagging_streams(dog) == {"lagging": []} and inbox.told == []
