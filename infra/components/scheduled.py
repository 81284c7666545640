"""What a function EventBridge Scheduler invokes needs, and its recurring schedules: review_followup and monthly_report
alike."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.function import TagbackFunction
from infra.event_sources import RECURRING_RETRY, SCHEDULED_INVOKE, Recurring
from tagback.config.model import ClientConfig


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


def recurring_schedule(
    scope: Construct,
    schedule: Recurring,
    *,
    config: ClientConfig,
    group: scheduler.CfnScheduleGroup,
    function: TagbackFunction,
    role: iam.IRole,
    dead_letters: sqs.IQueue | None = None,
) -> scheduler.CfnSchedule:
    """`schedule` in the client's group and timezone, invoking `function` with `role`; Scheduler retries a failed
    invocation (RECURRING_RETRY), then dead-letters it to `dead_letters` when given."""
    if schedule.function != function.name:
        raise ValueError(f"{schedule.name} targets {schedule.function}, not {function.name}")
    recurring = scheduler.CfnSchedule(
        scope,
        f"{schedule.name}Schedule",
        group_name=group.name,
        schedule_expression=schedule.expression,
        schedule_expression_timezone=config.timezone,
        flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
        target=scheduler.CfnSchedule.TargetProperty(
            arn=function.function.function_arn,
            role_arn=role.role_arn,
            input=schedule.input,
            retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                maximum_retry_attempts=RECURRING_RETRY.retry_attempts,
                maximum_event_age_in_seconds=RECURRING_RETRY.max_event_age_seconds,
            ),
            dead_letter_config=(
                scheduler.CfnSchedule.DeadLetterConfigProperty(arn=dead_letters.queue_arn) if dead_letters else None
            ),
        ),
        description=f"{schedule.name} for {config.venue_name}, in {config.timezone}",
    )
    recurring.add_resource_dependency(group)
    return recurring
