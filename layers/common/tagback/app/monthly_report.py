"""The monthly_report function's two jobs: the daily snapshot (Meta's insights, Google's rating) and, on the 1st,
last month's report (a copy in S3, the email through SES). The CLI's `report` composes the same report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tagback.app.export import ExportStore, awards_csv
from tagback.app.snapshot import InsightsSource, RatingSource, SnapshotStore, take_snapshot
from tagback.config.model import ClientConfig
from tagback.domain.clock import Clock
from tagback.domain.stats import month_of, previous_month
from tagback.observability import count, logger

if TYPE_CHECKING:
    from tagback.app.report import Report


class MonthStats(SnapshotStore, Protocol):
    def month_totals(self, month: str) -> dict[str, Any]: ...
    def report_sent(self, month: str, sent_at: datetime) -> None: ...


class ReportStore(ExportStore, Protocol):
    @property
    def stats(self) -> MonthStats: ...


class ReportSender(Protocol):
    def store_copy(self, month: str, message: EmailMessage) -> str: ...
    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> str | None: ...


@dataclass(frozen=True)
class Reporting:
    config: ClientConfig
    store: ReportStore
    delivery: ReportSender
    clock: Clock
    insights: Callable[[], InsightsSource]  # built for each snapshot: the access token is read then (cached 5 min)
    rating: RatingSource | None  # None without a Places API key
    agency: str | None  # the agency's name, in the report's header


def compose_report(
    config: ClientConfig, store: ReportStore, month: str, agency: str | None = None
) -> tuple[Report, EmailMessage]:
    """The month's report and its email (HTML, text and the month's awards as CSV)."""
    # Loaded on the 1st only: the daily snapshot, nearly every run of the function, never uses them.
    from tagback.app.report import build_report  # noqa: PLC0415
    from tagback.app.report_email import compose_email  # noqa: PLC0415

    stats = store.stats
    report = build_report(config, month, stats.month_totals(month), stats.month_totals(previous_month(month)), agency)
    awards = awards_csv(store, config, report.daily[0][0], report.daily[-1][0])
    return report, compose_email(report, config.report.sender, config.report.recipients, awards)


def monthly_report(reporting: Reporting, month: str | None, *, send: bool) -> dict[str, Any]:
    """The report of `month` (default: last month, in the client's timezone): a copy in S3, then the email."""
    config = reporting.config
    month = month or previous_month(month_of(reporting.clock.now(), config.tz))
    _, message = compose_report(config, reporting.store, month, reporting.agency)
    copy = reporting.delivery.store_copy(month, message)
    message_id = reporting.delivery.send(message, config.report.sender, config.report.recipients) if send else None
    if message_id:
        reporting.store.stats.report_sent(month, reporting.clock.now())
    count("report_sent" if message_id else "report_stored_only")
    logger.info("monthly report", extra={"month": month, "copy": copy, "ses_message_id": message_id})
    return {"month": month, "copy": copy, "ses_message_id": message_id}


def daily_snapshot(reporting: Reporting) -> dict[str, Any]:
    values = take_snapshot(
        reporting.config,
        reporting.store.stats,
        reporting.insights(),
        now=reporting.clock.now(),
        rating=reporting.rating,
    )
    count("snapshot_taken")
    logger.info("daily snapshot", extra={"values": sorted(values)})
    return {"snapshot": values}


def run_job(
    reporting: Reporting, action: Literal["report", "snapshot"], month: str | None, *, send: bool
) -> dict[str, Any]:
    """The job a schedule asks for: the daily snapshot, or the report of `month`."""
    if action == "snapshot":
        return daily_snapshot(reporting)
    return monthly_report(reporting, month, send=send)
