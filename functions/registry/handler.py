"""registry Lambda (the edge's): CloudFormation's custom-resource provider through which each venue stack registers
itself on deploy and unregisters when it is deleted. It always answers CloudFormation, success or failure."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tagback.app.registration import handle_custom_resource
from tagback.domain.runtime import Lazy
from tagback.observability import errors_counted, logger, metrics, tracer
from tagback.wiring import registry_from_environment

registry = Lazy(registry_from_environment)


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@errors_counted
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_custom_resource(event, registry.get())
