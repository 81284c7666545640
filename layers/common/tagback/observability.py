"""One place for logging and metrics. Building these touches no AWS service, so it is safe at import."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

METRICS_NAMESPACE = "Tagback"

# The service name comes from POWERTOOLS_SERVICE_NAME, set per function by the stack.
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


def count(label: str) -> None:
    """Count one occurrence of an outcome label ("dm_failed_auth" → metric DmFailedAuth)."""
    metrics.add_metric(name="".join(word.title() for word in label.split("_")), unit=MetricUnit.Count, value=1)
