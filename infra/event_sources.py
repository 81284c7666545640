"""How the functions are invoked (the table's stream, Scheduler's schedules, Lambda's retries): read by the stack and
by the sandbox's pumps and resources, so both filter, batch, schedule and retry alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tagback.app.replay import OUTBOX_RECORDS, PRIZE_RECORDS
from tagback.app.snapshot import SNAPSHOT_TIME


@dataclass(frozen=True)
class StreamSource:
    batch_size: int
    retry_attempts: int  # then the record goes to the on-failure destination (an SQS queue)
    max_record_age_hours: int
    filter_pattern: dict[str, Any]  # Lambda event filtering syntax (replay keeps what it admits, too)


PRIZE_STREAM = StreamSource(
    batch_size=10,
    retry_attempts=3,
    max_record_age_hours=24,  # Meta's messaging window: a prize DM later than that cannot be sent anyway
    # Erasure requests too: the prize function erases a guest with the grants it has on the venue's table and bucket.
    filter_pattern=PRIZE_RECORDS,
)

# The owner's integrations: transient sink outages are retried (Lambda backs off between tries) for longer; what
# a sink refuses for good is dead-lettered by the function itself, at once.
OUTBOX_STREAM = StreamSource(
    batch_size=10,
    retry_attempts=30,  # with backoff, minutes of a sink's outage; still a bound, then the dead-letter queue
    max_record_age_hours=24,
    filter_pattern=OUTBOX_RECORDS,
)


@dataclass(frozen=True)
class AsyncInvoke:
    """How Lambda retries a function that EventBridge Scheduler invokes (asynchronously) before it sends the event to
    the function's on-failure queue."""

    retry_attempts: int
    max_event_age_hours: int


# review_followup and monthly_report: two more tries (Lambda waits about 1 and 2 minutes), within the hour.
SCHEDULED_INVOKE = AsyncInvoke(retry_attempts=2, max_event_age_hours=1)


@dataclass(frozen=True)
class Recurring:
    """A recurring EventBridge Scheduler schedule of one of the client's functions, in the client's timezone."""

    name: str
    expression: str
    input: str
    function: str  # the service name of the function it invokes (POWERTOOLS_SERVICE_NAME)


@dataclass(frozen=True)
class ScheduleRetry:
    """How EventBridge Scheduler retries a schedule whose invocation fails (Lambda refusing the event, not the
    function failing: that is Lambda's to retry, AsyncInvoke)."""

    retry_attempts: int
    max_event_age_seconds: int


RECURRING_RETRY = ScheduleRetry(retry_attempts=3, max_event_age_seconds=6 * 3600)

REPORT_SCHEDULES = (
    # the 1st, 08:00: last month's report
    Recurring("MonthlyReport", "cron(0 8 1 * ? *)", '{"send": true}', "monthly_report"),
    # daily at SNAPSHOT_TIME (23:30): the day's insights; the report's footnotes say when
    Recurring(
        "DailySnapshot",
        f"cron({SNAPSHOT_TIME.minute} {SNAPSHOT_TIME.hour} * * ? *)",
        '{"action": "snapshot"}',
        "monthly_report",
    ),
)

# review_followup's token step: refresh the venue's Instagram token when it is due, then deliver what waits for it.
TOKEN_STEP_INPUT = '{"step": "token"}'  # noqa: S105 - a step's name, not a secret
# Daily at 04:15 local, a quiet hour: Instagram Login's long-lived tokens may be refreshed once 24 h old and expire
# after 60 days, so a daily run refreshes each well before it expires, with weeks of retries to spare.
TOKEN_REFRESH = Recurring("TokenRefresh", "cron(15 4 * * ? *)", TOKEN_STEP_INPUT, "review_followup")

# Every recurring schedule of a client's stack (the sandbox creates the same).
RECURRING_SCHEDULES = (*REPORT_SCHEDULES, TOKEN_REFRESH)

# The edge's watchdog (an EventBridge rule, UTC): hourly, so each venue's noon on the 1st is checked in its own
# timezone, at five past to leave the hour's schedules their minutes.
WATCHDOG = Recurring("Watchdog", "cron(5 * * * ? *)", "{}", "watchdog")
