"""monthly_report Lambda: on the 1st (a recurring schedule in the client's timezone) builds last month's report,
stores a copy in S3 and emails it through SES. `{"month": "2026-10"}` builds that month instead."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from tagback.clock import Clock, SystemClock
from tagback.config import ClientConfig, load_client_config
from tagback.export import export
from tagback.observability import count, logger, metrics
from tagback.reporting import ReportDelivery, build_report, compose_email, previous_month
from tagback.runtime import Lazy
from tagback.settings import ReportSettings
from tagback.store import DynamoRepository


@dataclass(frozen=True)
class Dependencies:
    config: ClientConfig
    store: DynamoRepository
    delivery: ReportDelivery
    clock: Clock


def from_environment() -> Dependencies:
    settings = ReportSettings.from_environ()
    return Dependencies(
        load_client_config(settings.client_config),
        DynamoRepository(settings.table_name),
        ReportDelivery(settings.report_bucket),
        SystemClock(),
    )


dependencies = Lazy(from_environment)


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    send: bool = True


def produce(deps: Dependencies, month: str, *, send: bool) -> dict[str, Any]:
    config = deps.config
    report = build_report(
        config, month, deps.store.month_totals_item(month), deps.store.month_totals_item(previous_month(month))
    )
    first = date.fromisoformat(f"{month}-01")
    with tempfile.TemporaryDirectory() as folder:
        done = export(deps.store, config, first, report.daily[-1][0], Path(folder))
        awards_csv = done.awards.read_bytes()
    message = compose_email(report, config.report.sender, config.report.recipients, awards_csv)
    copy = deps.delivery.store_copy(report, message)
    message_id = deps.delivery.send(message, config.report.sender, config.report.recipients) if send else None
    count("report_sent" if message_id else "report_stored_only")
    logger.info("monthly report", extra={"month": month, "copy": copy, "ses_message_id": message_id})
    return {"month": month, "copy": copy, "ses_message_id": message_id}


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies.get()
    metrics.add_dimension(name="client_id", value=deps.config.client_id)
    request = ReportRequest.model_validate({k: v for k, v in event.items() if k in ("month", "send")})
    month = request.month or previous_month(deps.clock.now().astimezone(deps.config.tz).strftime("%Y-%m"))
    return produce(deps, month, send=request.send)
