"""EventBridge Scheduler's schedules, fired by the sandbox clock instead of wall time: one-shot `at(...)` ones and
the recurring `cron(minute hour day-of-month * ? *)` ones the stack uses (and the edge's hourly rule, `hour` `*`).

Scheduler invokes Lambda asynchronously, as AWS does: the invocation itself succeeds once Lambda has queued the
event; an error inside the function is Lambda's to retry (`AsyncFunction`: its EventInvokeConfig's retries, then
its on-failure destination). The schedule's own retry policy and dead-letter queue only see failures to invoke
(here: a target the sandbox does not run).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger("sandbox.scheduler")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((\d+) (\*|\d+) (\*|\d+) \* \? \*\)$")


def cron_occurrences(expression: str, zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """When a `cron(M H D * ? *)` schedule (H may be `*`: hourly) fires in (after, until]."""
    match = _CRON.match(expression)
    if match is None:
        return []
    minute, hours, day_of_month = int(match.group(1)), match.group(2), match.group(3)
    day, last = after.astimezone(zone).date(), until.astimezone(zone).date()
    found = []
    while day <= last:
        for hour in range(24) if hours == "*" else [int(hours)]:
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if (day_of_month == "*" or int(day_of_month) == day.day) and after < moment <= until:
                found.append(moment)
        day += timedelta(days=1)
    return found


def on_failure_record(function_arn: str, payload: dict[str, Any], error: Exception, attempts: int) -> dict[str, Any]:
    """What Lambda sends to an async invocation's on-failure destination: the request and the error."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__},
    }


@dataclass
class AsyncFunction:
    """A function invoked asynchronously: tried 1 + `retry_attempts` times (Lambda waits a minute or two between
    tries; the sandbox does not), then Lambda's record of the failure goes to `on_failure` (an SQS queue)."""

    arn: str
    invoke: Callable[[dict[str, Any]], Any]
    retry_attempts: int
    on_failure: Callable[[dict[str, Any]], None]

    def __call__(self, payload: dict[str, Any]) -> None:
        attempts = 1 + self.retry_attempts
        for attempt in range(1, attempts + 1):
            try:
                self.invoke(payload)
                return
            except Exception as error:
                log.exception("%s failed (attempt %s of %s)", self.arn, attempt, attempts)
                if attempt == attempts:
                    self.on_failure(on_failure_record(self.arn, payload, error, attempts))


@dataclass
class SchedulePump:
    scheduler: Any  # a boto3 scheduler client
    group: str
    targets: dict[str, AsyncFunction] = field(default_factory=dict)  # function name → its asynchronous invocation
    sqs: Any = None  # for the targets' dead-letter queues
    checked_until: datetime | None = None  # recurring schedules fire for occurrences after this

    def fire_due(self, now: datetime) -> list[str]:
        """Invoke the target of every schedule due at `now`, then delete a one-shot one as ActionAfterCompletion=DELETE
        does. Returns the names fired."""
        fired: list[str] = []
        paginator = self.scheduler.get_paginator("list_schedules")
        names = [s["Name"] for page in paginator.paginate(GroupName=self.group) for s in page["Schedules"]]
        for name in sorted(names):
            schedule = self.scheduler.get_schedule(Name=name, GroupName=self.group)
            zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
            match = _AT.match(schedule["ScheduleExpression"])
            if match is None:
                if self.checked_until is not None:
                    for _ in cron_occurrences(schedule["ScheduleExpression"], zone, self.checked_until, now):
                        self._fire(name, schedule["Target"])
                        fired.append(name)
                continue
            if datetime.fromisoformat(match.group(1)).replace(tzinfo=zone) > now:
                continue
            self._fire(name, schedule["Target"])
            if schedule.get("ActionAfterCompletion") == "DELETE":
                self.scheduler.delete_schedule(Name=name, GroupName=self.group)
            fired.append(name)
        self.checked_until = now
        return fired

    def next_due(self, after: datetime, until: datetime) -> datetime | None:
        """The first moment in (after, until] at which some schedule is due, if any."""
        moments: list[datetime] = []
        paginator = self.scheduler.get_paginator("list_schedules")
        for page in paginator.paginate(GroupName=self.group):
            for summary in page["Schedules"]:
                schedule = self.scheduler.get_schedule(Name=summary["Name"], GroupName=self.group)
                zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
                match = _AT.match(schedule["ScheduleExpression"])
                if match is not None:
                    due = datetime.fromisoformat(match.group(1)).replace(tzinfo=zone)
                    moments += [due] if after < due <= until else []
                else:
                    moments += cron_occurrences(schedule["ScheduleExpression"], zone, after, until)[:1]
        return min(moments, default=None)

    def _fire(self, name: str, target: dict[str, Any]) -> None:
        payload = json.loads(target.get("Input") or "{}")
        function = self.targets.get(target["Arn"].rsplit(":", 1)[-1])
        if function is not None:
            function(payload)  # queued by Lambda: what happens inside is Lambda's to retry, not Scheduler's
            return
        log.warning("schedule %s targets %s, which does not exist: dead-lettered", name, target["Arn"])
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        if dead_letter and self.sqs is not None:
            url = self.sqs.get_queue_url(QueueName=dead_letter.rsplit(":", 1)[-1])["QueueUrl"]
            self.sqs.send_message(
                QueueUrl=url,
                MessageBody=json.dumps(payload),
                MessageAttributes={
                    "ERROR_CODE": {"DataType": "String", "StringValue": "ResourceNotFoundException"},
                    "SCHEDULE_ARN": {"DataType": "String", "StringValue": name},
                },
            )
