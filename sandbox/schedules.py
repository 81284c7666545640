"""EventBridge Scheduler's one-shot schedules, fired by the sandbox clock instead of wall time."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger("sandbox.scheduler")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


@dataclass
class SchedulePump:
    scheduler: Any  # a boto3 scheduler client
    group: str
    targets: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)  # function name → invoke
    sqs: Any = None  # for the targets' dead-letter queues

    def fire_due(self, now: datetime) -> list[str]:
        """Invoke the target of every one-shot schedule due at `now` (retrying per its RetryPolicy, then its
        dead-letter queue), then delete it as ActionAfterCompletion=DELETE does. Returns the names fired."""
        fired: list[str] = []
        paginator = self.scheduler.get_paginator("list_schedules")
        names = [s["Name"] for page in paginator.paginate(GroupName=self.group) for s in page["Schedules"]]
        for name in sorted(names):
            schedule = self.scheduler.get_schedule(Name=name, GroupName=self.group)
            match = _AT.match(schedule["ScheduleExpression"])
            if match is None:
                continue  # recurring schedules are not one-shots
            zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
            if datetime.fromisoformat(match.group(1)).replace(tzinfo=zone) > now:
                continue
            target = schedule["Target"]
            invoke = self.targets.get(target["Arn"].rsplit(":", 1)[-1])
            if invoke is None:
                log.warning("schedule %s targets %s, which the sandbox does not run", name, target["Arn"])
                continue
            self._invoke(name, target, invoke)
            if schedule.get("ActionAfterCompletion") == "DELETE":
                self.scheduler.delete_schedule(Name=name, GroupName=self.group)
            fired.append(name)
        return fired

    def _invoke(self, name: str, target: dict[str, Any], invoke: Callable[[dict[str, Any]], Any]) -> None:
        payload = json.loads(target.get("Input") or "{}")
        attempts = 1 + int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 185))
        for _ in range(attempts):
            try:
                invoke(payload)
                return
            except Exception:
                log.exception("schedule %s: target failed", name)
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        if dead_letter and self.sqs is not None:
            url = self.sqs.get_queue_url(QueueName=dead_letter.rsplit(":", 1)[-1])["QueueUrl"]
            self.sqs.send_message(
                QueueUrl=url,
                MessageBody=json.dumps(payload),
                MessageAttributes={
                    "ERROR_CODE": {"DataType": "String", "StringValue": "TargetFailed"},
                    "SCHEDULE_ARN": {"DataType": "String", "StringValue": name},
                },
            )
