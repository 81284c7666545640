"""The edge's watchdog (hourly): what no metric shows, read from each registered venue's data, and told to the agency
once through its alerts topic — a venue gone quiet (no story mention on its last `no_mention_days` open days) and a
monthly report not sent by noon on the 1st. Each alert is marked in the edge's table before it is sent, so it goes
out once however often the watchdog runs; a new silence (after a mention) or another month is another alert. A quiet
venue's last mention is kept there too (its Silence), so each hourly run reads only the months since the last look-back.

And when the StreamLag alarm (the account's IteratorAge, which names no function) goes off: which venues' functions
(prize, owner_delivery) read their streams late, told to the agency by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from tagback.domain.clock import Clock
from tagback.domain.registrations import Registration
from tagback.domain.stats import REPORT_SENT_AT, month_of, previous_month
from tagback.domain.watchdog import (
    REPORT_DUE_HOUR,
    STREAM_LAG_MINUTES,
    Silence,
    last_open_days,
    mention_days,
    report_due,
)
from tagback.observability import count, logger

MARK_DAYS = 400  # an alert's mark outlives any silence it names and the year of reports
STREAM_LAG_CHECK = {"check": "stream_lag"}  # the watchdog's input when the StreamLag alarm goes off
LAG_WINDOW = timedelta(minutes=15)  # the alarm's period (5 minutes) and EventBridge's delivery, with room


class VenueStats(Protocol):
    def month_totals(self, month: str) -> dict[str, Any]: ...


class Venues(Protocol):
    def clients(self) -> list[Registration]: ...


class AlertMarks(Protocol):
    def claim(self, client_id: str, alert: str, at: datetime, expires_at: datetime) -> bool: ...
    def release(self, client_id: str, alert: str) -> None: ...
    def silence(self, client_id: str) -> Silence | None: ...
    def keep_silence(self, client_id: str, silence: Silence, expires_at: datetime) -> None: ...


class AlertTopic(Protocol):
    def publish(self, subject: str, message: str) -> None: ...


class StreamLags(Protocol):
    def lagging(self, since: datetime, until: datetime) -> dict[str, float]:
        """Each stream-read function's greatest IteratorAge (ms) in the window, by the function's name."""
        ...


@dataclass(frozen=True)
class Alert:
    key: str  # sent once per venue and key
    subject: str  # ASCII (SNS): names the client id
    message: str


class WatchIncomplete(Exception):
    """Some venues could not be checked (the others were): the function fails, so its failure is counted."""


@dataclass(frozen=True)
class Watchdog:
    venues: Venues
    stats_of: Callable[[Registration], VenueStats]
    marks: AlertMarks
    topic: AlertTopic
    clock: Clock
    streams: StreamLags


@dataclass
class _MonthsRead:
    """A venue's figures as one run reads them: each month once."""

    stats: VenueStats
    months: dict[str, dict[str, Any]]

    def month_totals(self, month: str) -> dict[str, Any]:
        if month not in self.months:
            self.months[month] = self.stats.month_totals(month)
        return self.months[month]


def _mentions_between(stats: VenueStats, first: date, last: date) -> set[date]:
    months, month = [], month_of(first)
    while month <= month_of(last):
        months.append(month)
        month = month_of(date.fromisoformat(f"{month}-01") + timedelta(days=31))
    return {day for m in months for day in mention_days(m, stats.month_totals(m)) if first <= day <= last}


def _last_mention_before(stats: VenueStats, day: date, floor: date, known: Silence | None) -> date | None:
    """The last day with a mention before `day`, looking back month by month no further than `floor`'s month; given
    what an earlier run found (`known`, before a day no later than `day`), only back to that day's month, read whole,
    so a mention counted late on a day of it (a delivery replayed) is still found."""
    since = known.through if known is not None and known.through <= day else None
    month = month_of(day)
    while month >= month_of(floor) and (since is None or month >= month_of(since)):
        earlier = [d for d in mention_days(month, stats.month_totals(month)) if d < day]
        if earlier:
            return max(earlier)
        month = previous_month(month)
    if known is None or since is None or known.last_mention is None or month_of(known.last_mention) < month_of(floor):
        return None
    return known.last_mention


def quiet_alert(venue: Registration, stats: VenueStats, today: date, marks: AlertMarks) -> Alert | None:
    """The venue's last `no_mention_days` open days (and today so far) without a story mention, once per silence.
    Its Silence is kept again when the look-back moved to another month or found another last mention."""
    if venue.no_mention_days == 0:
        return None
    window = last_open_days(today, venue.no_mention_days, venue.closed, venue.registered_on)
    if window is None or _mentions_between(stats, window[-1], today):
        return None
    floor = venue.registered_on or window[-1] - timedelta(days=366)
    known = marks.silence(venue.client_id)
    last = _last_mention_before(stats, window[-1], floor, known)
    if known is None or (known.last_mention, month_of(known.through)) != (last, month_of(window[-1])):
        expires_at = datetime.combine(window[-1], time(), venue.tz) + timedelta(days=MARK_DAYS)
        marks.keep_silence(venue.client_id, Silence(last, window[-1]), expires_at)
    since = f"since {last.isoformat()}" if last else "since it was registered"
    return Alert(
        key=f"quiet-after-{last.isoformat() if last else 'none'}",
        subject=f"Tagback: no story mention at {venue.client_id} for {venue.no_mention_days} open days",
        message=(
            f"{venue.venue_name} ({venue.client_id}) has had no story mention on its last {venue.no_mention_days} "
            f"open days ({window[-1].isoformat()} to {window[0].isoformat()}; none {since}).\n\n"
            "If the venue is open and guests post stories: check that its Instagram account still reaches the app — "
            f"python -m tagback.cli connect --client {venue.client_id} checks the token and subscribes the account "
            "again — and look for its deliveries quarantined at the edge. If it was closed, list those days under "
            f"alerts.closed in clients/{venue.client_id}.yaml and deploy Tagback-{venue.client_id}.\n"
            "This alert is sent once for this silence."
        ),
    )


def report_alert(venue: Registration, stats: VenueStats, local_now: datetime) -> Alert | None:
    """Last month's report not sent by noon on the 1st (the venue's time), for a venue that had that month."""
    month = report_due(local_now)
    if month is None:
        return None
    totals = stats.month_totals(month)
    if not totals or REPORT_SENT_AT in totals:  # no figures at all: the venue was not live that month
        return None
    return Alert(
        key=f"report-{month}",
        subject=f"Tagback: the {month} report of {venue.client_id} was not sent",
        message=(
            f"The monthly report of {venue.venue_name} ({venue.client_id}) for {month} had not gone out by "
            f"{REPORT_DUE_HOUR}:00 on the 1st ({venue.timezone}).\n\n"
            "Look at the report function's log and at its ReportFailures queue (an SES refusal says which address to "
            f"verify); then python -m tagback.cli report --client {venue.client_id} --month {month} --send sends it "
            f"(python -m tagback.cli replay --stack Tagback-{venue.client_id} replays a failed run)."
        ),
    )


def _alerts_of(venue: Registration, stats: VenueStats, now: datetime, marks: AlertMarks) -> list[Alert]:
    local, read = now.astimezone(venue.tz), _MonthsRead(stats, {})
    alerts = (quiet_alert(venue, read, local.date(), marks), report_alert(venue, read, local))
    return [a for a in alerts if a is not None]


def watch(watchdog: Watchdog) -> dict[str, Any]:
    """Check every registered venue; tell the agency what is new. A venue that cannot be read is logged and the
    rest are checked, then the run fails naming it."""
    now = watchdog.clock.now()
    venues = watchdog.venues.clients()
    sent: list[str] = []
    unreadable: list[str] = []
    for venue in venues:
        try:
            alerts = _alerts_of(venue, watchdog.stats_of(venue), now, watchdog.marks)
        except Exception:
            logger.exception("watchdog could not read a venue", extra={"client_id": venue.client_id})
            unreadable.append(venue.client_id)
            continue
        for alert in alerts:
            if not watchdog.marks.claim(venue.client_id, alert.key, now, now + timedelta(days=MARK_DAYS)):
                continue  # told before
            try:
                watchdog.topic.publish(alert.subject, alert.message)
            except Exception:
                watchdog.marks.release(venue.client_id, alert.key)  # told next hour instead
                raise
            count("watchdog_alert")
            logger.info("watchdog alert sent", extra={"client_id": venue.client_id, "alert": alert.key})
            sent.append(f"{venue.client_id}:{alert.key}")
    if unreadable:
        raise WatchIncomplete(f"could not check {', '.join(unreadable)} (see the log); {len(sent)} alerts sent")
    return {"venues": len(venues), "alerts": sent}


def name_lagging_streams(watchdog: Watchdog) -> dict[str, Any]:
    """The StreamLag alarm went off: tell the agency which functions read their streams late, each with its venue
    (a venue's functions are named tagback-<client-id>-…). Sent once per time the alarm goes off (no mark)."""
    now = watchdog.clock.now()
    late = {
        name: age
        for name, age in sorted(watchdog.streams.lagging(now - LAG_WINDOW, now).items())
        if age >= STREAM_LAG_MINUTES * 60_000
    }
    if not late:
        logger.info("stream lag: no function late any more")
        return {"lagging": []}
    venues = {f"tagback-{v.client_id}-": v for v in watchdog.venues.clients()}
    lines = []
    for name, age in late.items():
        prefix = max((p for p in venues if name.startswith(p)), key=len, default=None)
        venue = f"{venues[prefix].venue_name} ({venues[prefix].client_id})" if prefix else "no registered venue"
        lines.append(f"{name}: {age / 60_000:.0f} minutes late — {venue}")
    clients = sorted(venues[p].client_id for p in venues if any(name.startswith(p) for name in late))
    watchdog.topic.publish(
        f"Tagback: stream read late at {', '.join(clients) or 'a function'}",
        "\n".join(lines)
        + f"\n\nEach reads its table's stream more than {STREAM_LAG_MINUTES} minutes late: guests wait for their "
        "prize, or the owner's sheet or CRM is down and its events are being retried. Look at the function's log.",
    )
    count("watchdog_alert")
    return {"lagging": sorted(late)}
