"""One place for logging, metrics and tracing. Building these touches no AWS service, so it is safe at import.

Tracing (AWS X-Ray through Powertools' Tracer) is on in Lambda only: outside it (tests, the sandbox, the CLI) the
Tracer disables itself, and `POWERTOOLS_TRACE_DISABLED` says so explicitly. botocore is patched at start (every AWS
call a subsegment); requests when a function first builds an HTTP client (`trace_http`), so a function that never
calls out over HTTP never imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from tagback.domain.awards import AwardState, FollowUpState

METRICS_NAMESPACE: Final = "Tagback"
# The metrics the agency's alarms watch (infra names them from here): spelt out once, not derived from a label.
# Meta refused the venue's token (a message now waits for it, or its refresh failed): the venue must reconnect.
TOKEN_REFUSED_METRIC: Final = "TokenRefused"  # noqa: S105 - a metric's name
TOKEN_REFRESH_REFUSED: Final = "token_refresh_refused"  # noqa: S105 - an outcome's label
# An invocation of a function that raised (errors_counted): counted by the function itself, so that it carries the
# venue's client_id and exists only when something failed.
FUNCTION_ERRORS_METRIC: Final = "FunctionErrors"
# A delivery the edge's webhook refused (bad signature, not JSON, not Instagram's shape).
WEBHOOK_REJECTED: Final = "webhook_rejected"
WEBHOOK_REJECTED_METRIC: Final = "WebhookRejected"
# A message that may or may not have reached the guest, for good (Meta's answer lost, the conversation unreadable):
# counted under this label in the month's figures (`tagback status` shows it) and as this metric, per venue.
DMS_UNCERTAIN: Final = "dms_uncertain"
DMS_UNCERTAIN_METRIC: Final = "DmsUncertain"
_ALARMED: Final = {
    AwardState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    FollowUpState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    TOKEN_REFRESH_REFUSED: TOKEN_REFUSED_METRIC,
    WEBHOOK_REJECTED: WEBHOOK_REJECTED_METRIC,
    DMS_UNCERTAIN: DMS_UNCERTAIN_METRIC,
}

# The metrics the agency's alarms group by venue (infra/components/alerts.py: GROUPED_ALARMS), published by a venue's
# functions with the venue (`client_id`) as a dimension beside `service`. Every other metric is the agency's: one
# series per function (`service`) for all its venues. A series costs $0.30 a month, prorated by the
# hour it is published, so a series per venue for every outcome would cost more than the rest of a busy venue's bill
# (docs/cost.md); each venue's own figures are in its table (`tagback status`, the monthly report).
PER_VENUE_METRICS: Final = frozenset({TOKEN_REFUSED_METRIC, FUNCTION_ERRORS_METRIC, DMS_UNCERTAIN_METRIC})

# The service name comes from POWERTOOLS_SERVICE_NAME, set per function by the stack.
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer(patch_modules=("botocore",))
_venue: ContextVar[str | None] = ContextVar("tagback_venue", default=None)

Handler = TypeVar("Handler", bound=Callable[..., Any])


def for_venue(client_id: str) -> None:
    """The venue this invocation works for: a venue's handler says so first."""
    _venue.set(client_id)


def count(label: str, value: int = 1) -> None:
    """Count `value` occurrences (one by default) of an outcome label: an alarmed one under its metric's name, any
    other in CamelCase ("dm_sent" → DmSent)."""
    _publish(_metric_name(label), value)


# The webhook counts five labels per delivery: spelt once each. Bounded, should a label ever be made of data.
@functools.lru_cache(maxsize=128)
def _metric_name(label: str) -> str:
    return _ALARMED.get(label) or "".join(word.title() for word in label.split("_"))


def _publish(name: str, value: int) -> None:
    """A metric alarmed per venue, in a venue's invocation, is published at once with the venue's id (and the
    function's `service`): that series alone, which is what the agency's alarms group by. Any other joins the
    invocation's metrics (`service` only), flushed as the handler ends."""
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
    else:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def errors_counted(handler: Handler) -> Handler:
    """The handler, counting FunctionErrors when it raises (with the venue's client_id once it said for_venue)."""

    @functools.wraps(handler)
    def counted(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        except Exception:
            _publish(FUNCTION_ERRORS_METRIC, 1)
            raise

    return cast(Handler, counted)


def trace_http() -> None:
    """Every requests call a subsegment named for its host (Meta's Graph API, Google's, the owner's CRM)."""
    tracer.patch(["requests"])


@contextmanager
def traced(name: str, **annotations: str) -> Iterator[None]:
    """A subsegment `name` of the invocation's trace, with `annotations` (X-Ray indexes them: a trace can be found by
    a message's mid or an award); nothing when tracing is off."""
    if tracer.disabled:
        yield
        return
    with tracer.provider.in_subsegment(name) as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key, value)
        yield
