"""One place for logging and metrics. Building these touches no AWS service, so it is safe at import."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

METRICS_NAMESPACE = "Tagback"

# The service name comes from POWERTOOLS_SERVICE_NAME, set per function by the stack.
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
