"""What a function EventBridge Scheduler invokes needs: review_followup and monthly_report alike."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.function import TagbackFunction
from infra.event_sources import SCHEDULED_INVOKE


def scheduler_role(scope: Construct, construct_id: str, *, description: str) -> iam.Role:
    """The role a schedule invokes its target with: only EventBridge Scheduler, for this account, may assume it."""
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}}
        ),
        description=description,
    )


def retry_then_queue(function: TagbackFunction, failures: sqs.IQueue) -> None:
    """Scheduler invokes `function` asynchronously: an error inside it is retried by Lambda, then the event goes to
    `failures` (the schedule's own dead-letter queue only sees failures to invoke); Lambda sends with its role."""
    function.function.configure_async_invoke(
        retry_attempts=SCHEDULED_INVOKE.retry_attempts,
        max_event_age=Duration.hours(SCHEDULED_INVOKE.max_event_age_hours),
        on_failure=destinations.SqsDestination(failures),
    )
