"""Scheduled conversation steps on EventBridge Scheduler: one one-shot schedule per award and step (the review
follow-up; the language question's timeout), deleted after it fires, or by name when its guest is erased. All target
the review_followup function, which runs the step named in the schedule's input."""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from tagback.adapters.aws import boto3_client
from tagback.domain.awards import AwardKey
from tagback.domain.steps import Step

_NAME_LIMIT = 64


def schedule_name(step: Step, key: AwardKey) -> str:
    """Deterministic per step and award, so a redelivered record cannot schedule a step twice."""
    name = f"{step.value}-{key.award_id}"
    if len(name) <= _NAME_LIMIT:
        return name
    digest = hashlib.sha256(key.award_id.encode()).hexdigest()
    return f"{step.value}-{digest[: _NAME_LIMIT - len(step.value) - 1]}"


def step_input(step: Step, key: AwardKey) -> str:
    return json.dumps({"step": step.value, "guest_id": key.guest_id, "period": key.period})


class EventBridgeSteps:
    def __init__(self, *, group: str, target_arn: str, role_arn: str, dead_letter_arn: str, client: Any = None):
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.dead_letter_arn = dead_letter_arn
        self._given_client = client

    @cached_property
    def client(self) -> Any:
        return self._given_client or boto3_client("scheduler")

    def schedule(self, step: Step, key: AwardKey, due: datetime) -> None:
        # A conflict means an earlier delivery of the same record already scheduled it.
        with contextlib.suppress(self.client.exceptions.ConflictException):
            self.client.create_schedule(
                Name=schedule_name(step, key),
                GroupName=self.group,
                ScheduleExpression=f"at({due.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self.target_arn,
                    "RoleArn": self.role_arn,
                    "Input": step_input(step, key),
                    "DeadLetterConfig": {"Arn": self.dead_letter_arn},
                    # Inside Meta's 24-hour window: retry for an hour at most, then the dead-letter queue.
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                },
            )

    def cancel(self, step: Step, key: AwardKey) -> bool:
        """Delete the step's schedule for the award (its guest was erased); False when there was none (fired, or
        never made)."""
        try:
            self.client.delete_schedule(Name=schedule_name(step, key), GroupName=self.group)
        except self.client.exceptions.ResourceNotFoundException:
            return False
        return True
