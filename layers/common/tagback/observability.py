"""One place for logging and metrics. Building these touches no AWS service, so it is safe at import."""

from __future__ import annotations

from typing import Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from tagback.domain.awards import AwardState, FollowUpState

METRICS_NAMESPACE: Final = "Tagback"
# The metrics the stack alarms on (infra names them from here): spelt out once, not derived from an outcome's label.
DM_FAILED_AUTH_METRIC: Final = "DmFailedAuth"
FOLLOWUP_FAILED_AUTH_METRIC: Final = "FollowupFailedAuth"
_ALARMED: Final = {
    AwardState.DM_FAILED_AUTH.value: DM_FAILED_AUTH_METRIC,
    FollowUpState.FAILED_AUTH.value: FOLLOWUP_FAILED_AUTH_METRIC,
}

# The service name comes from POWERTOOLS_SERVICE_NAME, set per function by the stack.
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


def count(label: str, value: int = 1) -> None:
    """Count `value` occurrences (one by default) of an outcome label: an alarmed one under its metric's name, any
    other in CamelCase ("dm_sent" → DmSent)."""
    name = _ALARMED.get(label) or "".join(word.title() for word in label.split("_"))
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
