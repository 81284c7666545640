"""watchdog Lambda (the edge's), hourly: reads each registered venue's figures for what no metric shows — a venue
gone quiet, a monthly report not sent by noon on the 1st — and tells the agency once, through its alerts topic. Run
by the StreamLag alarm's going off (`{"check": "stream_lag"}`): names the venues whose streams are read late."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tagback.app.watchdog import STREAM_LAG_CHECK, name_lagging_streams, watch
from tagback.domain.runtime import Lazy
from tagback.observability import errors_counted, logger, metrics, tracer
from tagback.wiring import watchdog_from_environment

watchdog = Lazy(watchdog_from_environment)


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@errors_counted
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event == STREAM_LAG_CHECK:
        return name_lagging_streams(watchdog.get())
    return watch(watchdog.get())
