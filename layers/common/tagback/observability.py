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
from typing import Any, Final, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

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
_ALARMED: Final = {
    AwardState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    FollowUpState.WAITING_FOR_TOKEN.value: TOKEN_REFUSED_METRIC,
    TOKEN_REFRESH_REFUSED: TOKEN_REFUSED_METRIC,
    WEBHOOK_REJECTED: WEBHOOK_REJECTED_METRIC,
}

# The service name comes from POWERTOOLS_SERVICE_NAME, set per function by the stack.
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer(patch_modules=("botocore",))

Handler = TypeVar("Handler", bound=Callable[..., Any])


def count(label: str, value: int = 1) -> None:
    """Count `value` occurrences (one by default) of an outcome label: an alarmed one under its metric's name, any
    other in CamelCase ("dm_sent" → DmSent)."""
    name = _ALARMED.get(label) or "".join(word.title() for word in label.split("_"))
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def errors_counted(handler: Handler) -> Handler:
    """The handler, counting FunctionErrors when it raises (with the dimensions it had added, such as client_id)."""

    @functools.wraps(handler)
    def counted(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        except Exception:
            metrics.add_metric(name=FUNCTION_ERRORS_METRIC, unit=MetricUnit.Count, value=1)
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
