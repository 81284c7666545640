"""monthly_report Lambda, on two recurring schedules in the client's timezone: daily, `{"action": "snapshot"}`
stores the day's Instagram insights and Google rating on the month's stats item; on the 1st, it builds last
month's report, stores a copy in S3 and emails it through SES (`{"month": "2026-10"}` builds that month)."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from tagback.app.monthly_report import run_job
from tagback.domain.runtime import Lazy, time_limited
from tagback.observability import errors_counted, for_venue, logger, metrics, tracer
from tagback.wiring import reporting_from_environment

reporting = Lazy(reporting_from_environment)


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["report", "snapshot"] = "report"
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    send: bool = True


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@errors_counted
@time_limited
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = reporting.get()
    for_venue(deps.config.client_id)
    request = ReportRequest.model_validate(event)  # a malformed input fails: Lambda retries, then its on-failure queue
    return run_job(deps, request.action, request.month, send=request.send)
