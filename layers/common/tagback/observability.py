"""One place for logging and metrics. Building these touches no AWS service, so it is safe at import."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from tagback.domain.awards import AwardState, FollowUpState

METRICS_NAMESPACE: Final = "Tagback"
# The metrics the stack alarms on (infra names them from here): spelt out once, not derived from an outcome's label.
# Meta refused the venue's token (a message now waits for it, or its refresh failed): the venue must reconnect.
TOKEN_REFUSED_METRIC: Final = "TokenRefused"  # noqa: S105 - a metric's name
TOKEN_REFRESH_REFUSED: Final = "token_refresh_refused"  # noqa: S105 - an outcome's label
_ALARMED: Final = {
    AwardState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    FollowUpState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    TOKEN_REFRESH_REFUSED: TOKEN_REFUSED_METRIC,
}

# The metrics alarmed per venue, which also carry the venue (`client_id`) as a dimension. Every other metric is the
# agency's: one series per function (`service`) for all its venues. A series costs $0.30 a month, prorated by the
# hour it is published, so a series per venue for every outcome would cost more than the rest of a busy venue's bill
# (docs/cost.md); each venue's own figures are in its table (`tagback status`, the monthly report).
PER_VENUE_METRICS: Final = frozenset({TOKEN_REFUSED_METRIC})

# The service name comes from POWERTOOLS_SERVICE_NAME, set per function by the stack.
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
_venue: ContextVar[str | None] = ContextVar("tagback_venue", default=None)


def for_venue(client_id: str) -> None:
    """The venue this invocation works for: a venue's handler says so first."""
    _venue.set(client_id)


def count(label: str, value: int = 1) -> None:
    """Count `value` occurrences (one by default) of an outcome label: an alarmed one under its metric's name, any
    other in CamelCase ("dm_sent" → DmSent). A metric alarmed per venue is also published with the venue's id."""
    name = _ALARMED.get(label) or "".join(word.title() for word in label.split("_"))
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    client_id = _venue.get()
    if name in PER_VENUE_METRICS and client_id is not None:
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=value,
            namespace=METRICS_NAMESPACE,
            default_dimensions={"client_id": client_id},
        ):
            pass  # printed (published) as the block ends
