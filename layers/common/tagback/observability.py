"""One place for logging and metrics. Building these touches no AWS service, so it is safe at import."""

from __future__ import annotations

from typing import Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from tagback.domain.awards import AwardState, FollowUpState

METRICS_NAMESPACE: Final = "Tagback"
# The metrics the stack alarms on (infra names them from here): spelt out once, not derived from an outcome's label.
# Meta refused the venue's token (a message now waits for it, or its refresh failed): the venue must reconnect.
TOKEN_REFUSED_METRIC: Final = "TokenRefused"  # noqa: S105 - a metric's name
TOKEN_REFRESH_REFUSED: Final = "token_refresh_refused"  # noqa: S105 - an outcome's label
# A message that may or may not have reached the guest, for good (Meta's answer lost, the conversation unreadable):
# counted under this label in the month's figures and as this metric.
DMS_UNCERTAIN: Final = "dms_uncertain"
DMS_UNCERTAIN_METRIC: Final = "DmsUncertain"
_ALARMED: Final = {
    AwardState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    FollowUpState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    TOKEN_REFRESH_REFUSED: TOKEN_REFUSED_METRIC,
    DMS_UNCERTAIN: DMS_UNCERTAIN_METRIC,
}

# The service name comes from POWERTOOLS_SERVICE_NAME, set per function by the stack.
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


def count(label: str, value: int = 1) -> None:
    """Count `value` occurrences (one by default) of an outcome label: an alarmed one under its metric's name, any
    other in CamelCase ("dm_sent" → DmSent)."""
    name = _ALARMED.get(label) or "".join(word.title() for word in label.split("_"))
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
