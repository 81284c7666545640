"""Follow-ups: one EventBridge Scheduler one-shot schedule per award, deleted after it fires."""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Protocol

from tagback.awards import AwardKey
from tagback.aws import boto3_client

_NAME_LIMIT = 64


class FollowUpScheduler(Protocol):
    def schedule_followup(self, key: AwardKey, due: datetime) -> None:
        """Create the follow-up for `key` at `due`; creating it again is a no-op."""
        ...


def schedule_name(key: AwardKey) -> str:
    """Deterministic per award, so a redelivered record cannot schedule a second follow-up."""
    name = f"followup-{key.award_id}"
    if len(name) <= _NAME_LIMIT:
        return name
    return f"followup-{hashlib.sha256(key.award_id.encode()).hexdigest()[: _NAME_LIMIT - 9]}"


def followup_input(key: AwardKey) -> str:
    return json.dumps({"guest_id": key.guest_id, "period": key.period})


class EventBridgeFollowUps:
    def __init__(self, *, group: str, target_arn: str, role_arn: str, dead_letter_arn: str, client: Any = None):
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.dead_letter_arn = dead_letter_arn
        self._given_client = client

    @cached_property
    def client(self) -> Any:
        return self._given_client or boto3_client("scheduler")

    def schedule_followup(self, key: AwardKey, due: datetime) -> None:
        # A conflict means an earlier delivery of the same record already scheduled it.
        with contextlib.suppress(self.client.exceptions.ConflictException):
            self.client.create_schedule(
                Name=schedule_name(key),
                GroupName=self.group,
                ScheduleExpression=f"at({due.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self.target_arn,
                    "RoleArn": self.role_arn,
                    "Input": followup_input(key),
                    "DeadLetterConfig": {"Arn": self.dead_letter_arn},
                    # Inside Meta's 24-hour window: retry for an hour at most, then the dead-letter queue.
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                },
            )
