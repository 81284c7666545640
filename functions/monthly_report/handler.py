"""monthly_report Lambda, on two recurring schedules in the client's timezone: daily, `{"action": "snapshot"}`
stores the day's Instagram insights and Google rating on the month's stats item; on the 1st, it builds last
month's report, stores a copy in S3 and emails it through SES (`{"month": "2026-10"}` builds that month)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from tagback.clock import Clock, SystemClock
from tagback.config import ClientConfig, load_client_config
from tagback.export import export
from tagback.meta.graph import GraphClient
from tagback.observability import count, logger, metrics
from tagback.reporting import ReportDelivery, build_report, compose_email, previous_month
from tagback.runtime import Lazy, time_limited
from tagback.secrets import SecretReader, SsmSecrets
from tagback.settings import ReportSettings
from tagback.snapshot import PLACES_API, take_snapshot
from tagback.store import DynamoRepository


@dataclass(frozen=True)
class Dependencies:
    config: ClientConfig
    store: DynamoRepository
    delivery: ReportDelivery
    clock: Clock
    secret: SecretReader
    graph_url: str | None = None  # Meta's and Google's hosts unless the sandbox says otherwise
    places_url: str = PLACES_API


def from_environment() -> Dependencies:
    settings = ReportSettings.from_environ()
    return Dependencies(
        load_client_config(settings.client_config),
        DynamoRepository(settings.table_name),
        ReportDelivery(settings.report_bucket),
        SystemClock(),
        SsmSecrets(),
        settings.graph_url,
        settings.places_url or PLACES_API,
    )


dependencies = Lazy(from_environment)


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["report", "snapshot"] = "report"
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    send: bool = True


def snapshot(deps: Dependencies) -> dict[str, Any]:
    config = deps.config
    graph = GraphClient.for_client(config, deps.secret(config.secrets.meta_access_token), deps.graph_url)
    key_param = config.report.places_api_key_param
    values = take_snapshot(
        config,
        deps.store,
        graph,
        now=deps.clock.now(),
        places_key=deps.secret(key_param) if key_param else None,
        places_url=deps.places_url,
    )
    count("snapshot_taken")
    logger.info("daily snapshot", extra={"values": sorted(values)})
    return {"snapshot": values}


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
@time_limited
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies.get()
    metrics.add_dimension(name="client_id", value=deps.config.client_id)
    request = ReportRequest.model_validate(event)  # a malformed input fails, so the scheduler retries and keeps it
    if request.action == "snapshot":
        return snapshot(deps)
    month = request.month or previous_month(deps.clock.now().astimezone(deps.config.tz).strftime("%Y-%m"))
    return produce(deps, month, send=request.send)
