"""Measures what a mention and an idle venue ask of AWS, in the sandbox, and writes bench/cost/measured.json, which
`tagback cost` reads (CI never measures: `python -m bench.measure_cost` again after a change that moves the figures;
tests/infra/test_cost_measurements.py fails when the stacks' memory, alarms or log retention no longer match).

A mention is a whole engaged guest at the demo venue: the story mention, the language pick, the prize (text and
coupon image), the contact question answered with an email, the review question an hour later answered yes, and the
Google link opened, with the venue's month as it stands on its 15th (`mid_month`). The first guest only warms the
sandbox up. A bare mention, measured beside it, is a guest who answers nothing: the story mention, the language
question timing out into the prize in the venue's language, the contact question and the review question sent. Every
function invocation is timed in the process (wall time and the invoking thread's CPU time) one at a time, with what
it asked of AWS (bench/metering.py: DynamoDB request units sized as AWS bills them, calls by service), the HTTP
calls it made outside AWS (Meta, Google, the CRM), and what it printed (the log bytes and events CloudWatch Logs
would ingest, the EMF metric series) or had AWS publish that an alarm's query would analyze (a stream-read
invocation's IteratorAge by function: no query does since StreamLag watches the account's). Idle is a week of the
venue's schedules with no guest (the daily snapshot, the daily token step, one refresh), per day, and the month's
report once. The edge's watchdog runs hourly over the sandbox's venues: measured the day after the idle week (the
venues registered over a week ago and quiet since, so each run reads each venue's window of days and back to its
last mention: the most a run reads), with how many venues it read. Each function's cold start is its handler's
import and its dependencies' first build in a fresh interpreter. The stacks' memory sizes, alarms and log retention
come from the synthesized templates.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import requests.adapters

import sandbox.runtime
from bench.metering import AwsMeter, Usage, item_size
from infra.assets import ROOT
from infra.event_sources import REPORT_SCHEDULES
from sandbox.chat import Guest
from sandbox.iam import acting_role
from sandbox.runtime import Sandbox, SandboxOptions
from tagback import observability
from tagback.domain.stats import month_of

OUT = ROOT / "bench" / "cost" / "measured.json"
GUESTS = 12  # measured journeys, after one that warms the sandbox up
IDLE_DAYS = 7  # a week: the token is refreshed about weekly (tagback.domain.tokens.REFRESH_WHEN_LEFT)
COLD_RUNS = 5
STORAGE_OVERHEAD = 100  # bytes DynamoDB adds to each item it stores (the item-size page)
LAZY = {"webhook": ["edge"], "prize": ["engine"], "review_followup": ["steps"], "owner_delivery": ["delivery"]}
LAZY |= {"monthly_report": ["reporting"], "watchdog": ["watchdog"]}
EDGE_FUNCTIONS = ("webhook", "registry", "watchdog", "redemption")
FUNCTIONS = ("review_followup", "monthly_report", "prize", "owner_delivery", *EDGE_FUNCTIONS)
# What the model needs that the sandbox cannot measure, each with why it is what it is (tagback/app/cost.py).
ASSUMPTIONS: dict[str, dict[str, Any]] = {
    "external_call_ms": {
        "value": 300,
        "why": "a round trip to Meta's Graph API (or Google, the CRM) from a Lambda function, which waits for it: "
        "not measured (the fakes answer on loopback); docs/cost.md shows the bill at half and twice this",
    },
    "full_cpu_memory_mb": {
        "value": 1769,
        "why": "Lambda gives a function one vCPU at 1,769 MB and CPU in proportion below (Lambda Developer Guide, "
        "'Configure Lambda function memory'); the sandbox ran each function on a whole core",
    },
    "cold_starts_per_mention": {
        "value": {"prize": 1, "review_followup": 1, "owner_delivery": 1, "webhook": 0},
        "why": "a venue's functions see a guest every few minutes at most, so its first event, the owner's delivery "
        "of its award and its follow-up an hour later start cold; the edge's webhook serves every venue and stays "
        "warm. Idle, report and watchdog invocations are hours apart: all cold",
    },
    "platform_log_lines": {
        "value": {"events": 3, "bytes": 300},
        "why": "Lambda's START, END and REPORT lines of each invocation (REPORT alone is about 180 bytes)",
    },
    "log_event_overhead_bytes": {
        "value": 26,
        "why": "CloudWatch Logs counts 26 bytes per event besides its message (PutLogEvents' batch size)",
    },
    "open_hours_per_day": {
        "value": 12,
        "why": "the hours of a venue's day its guests mention it: its custom metric series are published (and "
        "billed) in the hours it has a mention",
    },
    "image_downloads_per_mention": {
        "value": 1,
        "why": "Meta fetches the coupon image once from its presigned URL (the fake does it outside the functions)",
    },
    "xray_lambda_sampling": {
        "value": {"reservoir_per_second": 1, "fixed_rate": 0.05},
        "why": "active tracing on every function (issue 14): Lambda samples '1 request per second and 5 percent of "
        "additional requests. You can't configure the X-Ray sampling rate for your functions' (Lambda Developer "
        "Guide, 'Visualize Lambda function invocations using AWS X-Ray'; X-Ray's sampling rules serve API Gateway, "
        "AppSync, Step Functions and the SDKs, not Lambda). AWS does not say what shares the second's request: "
        "taken per function (the most it traces), at each function's average rate in its busy hours",
    },
    "days_per_month": {"value": 30.4, "why": "365 / 12"},
    "hours_per_month": {"value": 730, "why": "AWS's month for prorated prices"},
}


@dataclass
class Invocation:
    function: str  # its service name
    stack: str  # "edge" or the client id
    kind: str  # "mention", "idle", "report" or "watchdog"
    wall_ms: float
    cpu_ms: float
    external_calls: int
    log_bytes: int
    log_events: int
    series: set[str]
    hour: str  # the sandbox clock's hour it ran in
    usage: Usage
    guest: int  # the journey it was part of (0: none)
    journey: str  # what the journey was: "mention" (a whole engaged guest) or "bare_mention"


@dataclass
class Recorder:
    """Each invocation, one at a time: its time, what it asked of AWS and outside, and what it printed."""

    meter: AwsMeter
    invocations: list[Invocation] = field(default_factory=list)
    log: Path | None = None
    clock: Callable[[], datetime] | None = None
    guest: int = 0  # the journey under way
    journey: str = "mention"  # and what it is
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _external: Counter[int] = field(default_factory=Counter)

    def install(self) -> None:
        wire = sandbox.runtime._function  # the bench times every function the sandbox wires

        def timed_function(handler: Any, name: str, container: Any) -> Callable[[dict[str, Any]], Any]:
            return self.timed(name, wire(handler, name, container))

        sandbox.runtime._function = timed_function
        send = requests.adapters.HTTPAdapter.send
        recorder = self

        def counted_send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            if acting_role() is not None:  # a function's call outside AWS (boto3 does not use requests)
                recorder._external[threading.get_ident()] += 1
            return send(adapter, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = counted_send  # type: ignore[method-assign,assignment]

    def timed(self, name: str, invoke: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        function = next(f for f in FUNCTIONS if name.endswith(f"-{f.replace('_', '-')}"))
        stack = name.removeprefix("tagback-").removesuffix(f"-{function.replace('_', '-')}")

        def run(event: dict[str, Any]) -> Any:
            if self.log is None or self.clock is None:  # the sandbox starting: not measured
                return invoke(event)
            with self._lock:
                sys.stdout.flush()
                log_start, usage_before = self.log.stat().st_size, self.meter.usage.snapshot()
                thread, calls_before = threading.get_ident(), self._external[threading.get_ident()]
                hour = self.clock().strftime("%Y-%m-%dT%H")
                started, cpu_started = time.perf_counter(), time.thread_time()
                try:
                    return invoke(event)
                finally:
                    wall, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
                    sys.stdout.flush()
                    with self.log.open("rb") as log:
                        log.seek(log_start)
                        printed = log.read().decode()
                    self.invocations.append(
                        Invocation(
                            function,
                            stack,
                            _kind(function, event),
                            wall * 1e3,
                            cpu * 1e3,
                            self._external[thread] - calls_before,
                            len(printed.encode()),
                            printed.count("\n"),
                            _series(printed) | _analyzed_aws_series(function, stack, event),
                            hour,
                            self.meter.usage.since(usage_before),
                            self.guest,
                            self.journey,
                        )
                    )

        return run


def _kind(function: str, event: dict[str, Any]) -> str:
    if function == "watchdog":
        return "watchdog"
    if function == "monthly_report":
        return "idle" if event.get("action") == "snapshot" else "report"
    if function == "review_followup" and event.get("step") == "token":
        return "idle"
    return "mention"


def _series(printed: str) -> set[str]:
    """The EMF metric series in a function's output (namespace, name and dimensions, the client's id generalised)."""
    found: set[str] = set()
    for line in printed.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                values = ",".join(f"{d}={'<client>' if d == 'client_id' else record[d]}" for d in sorted(dimensions))
                found |= {f"{directive['Namespace']}/{m['Name']}[{values}]" for m in directive["Metrics"]}
    return found


def _analyzed_aws_series(function: str, stack: str, event: dict[str, Any]) -> set[str]:
    """What AWS publishes of an invocation that an alarm's Metrics Insights query would analyze: a stream-read
    invocation's IteratorAge, by function (AWS's own metrics are free; a query is billed per metric it analyzes, and
    the model bills those the stacks' queries match: none since StreamLag watches the account's IteratorAge)."""
    records = event.get("Records") or [{}]
    if records[0].get("eventSource") != "aws:dynamodb":
        return set()
    name = f"tagback-{'<client>' if stack != 'edge' else 'edge'}-{function.replace('_', '-')}"
    return {f"AWS/Lambda/IteratorAge[FunctionName={name}]"}


def mid_month(running: Sandbox) -> None:
    """The venue's month as it stands on its 15th (the month's average): the counters of 14 busy days and every
    hour, and 14 daily snapshots. A counter's ADD is billed by the size of the item it changes."""
    month = month_of(running.clock.now(), running.config.tz)
    counters = {f"mentions_day_{day:02d}": 100 for day in range(1, 15)} | {
        f"mentions_hour_{hour:02d}": 58 for hour in range(24)
    }
    counters |= {f"awards_prize_{prize.id}": 400 for prize in running.config.prizes}
    running.store.stats.add_to_month(month, counters | {"mentions": 1400, "awards": 1200, "unique_guests": 1100})
    snapshot = {"followers": 1180, "reach": 380, "views": 1450, "accounts_engaged": 64, "profile_links_taps": 9}
    for day in range(1, 15):
        running.store.stats.set_day_values(month, day, snapshot | {"follows_and_unfollows": 4, "rating": "4.5"})


def journey(running: Sandbox, guest_id: str) -> None:
    guest = Guest(running, guest_id)
    guest.mention()
    guest.tap("English")
    guest.tap("Yes")  # the contact question
    guest.say(f"guest{guest_id}@example.com")
    running.advance(running.config.followup_delay_minutes)
    guest.collect()
    guest.tap("Yes")  # the review question
    answer = guest.follow(guest.transcript[-1].urls[0])
    assert answer.status_code == 302, answer.status_code


def bare_journey(running: Sandbox, guest_id: str) -> None:
    """A guest who answers nothing: the language question times out into the prize in the venue's language, then
    the contact question; the review question an hour later."""
    guest = Guest(running, guest_id)
    guest.mention()
    running.advance(running.config.language_timeout_minutes)
    running.advance(running.config.followup_delay_minutes)
    lines = guest.collect()
    assert any(line.image for line in lines) and len(lines) >= 4, [line.text for line in lines]


def stored_bytes(table: str) -> int:
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return sum(item_size(item) + STORAGE_OVERHEAD for item in items)


def bucket_bytes(bucket: str) -> int:
    answer = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return sum(int(o["Size"]) for o in answer.get("Contents", []))


def activity(invocations: list[Invocation], per: float, client: str) -> dict[str, Any]:
    """What the invocations asked of AWS, per mention (or day, or report), by function and by stack. Times are the
    median of the guests' (this machine is shared: a busy moment slows one journey), the rest their mean."""

    def each(value: Callable[[Invocation], float]) -> dict[str, float]:
        by_guest: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for invocation in invocations:
            by_guest[invocation.function][invocation.guest] += value(invocation)
        if len({i.guest for i in invocations}) == per:  # a figure per guest: their median
            return {
                name: round(statistics.median([guests.get(g, 0.0) for g in {i.guest for i in invocations}]), 3)
                for name, guests in sorted(by_guest.items())
            }
        return {name: round(sum(guests.values()) / per, 3) for name, guests in sorted(by_guest.items())}

    def stack_of(table_or_role: str) -> str:
        return "edge" if table_or_role.startswith("tagback-edge") else "venue"

    dynamodb: dict[str, dict[str, float]] = {"venue": defaultdict(float), "edge": defaultdict(float)}
    calls: dict[str, Counter[str]] = {"venue": Counter(), "edge": Counter()}
    logs: dict[str, Counter[str]] = {"venue": Counter(), "edge": Counter()}
    series_hours: dict[str, set[str]] = defaultdict(set)  # each metric series → the hours it was published in
    for invocation in invocations:
        usage, stack = invocation.usage, "edge" if invocation.stack == "edge" else "venue"
        for table, units in usage.read_units.items():
            dynamodb[stack_of(table)]["read_units"] += units
        for table, units in usage.write_units.items():
            dynamodb[stack_of(table)]["write_units"] += units
        for (role, service, operation), n in usage.calls.items():
            calls[stack_of(role)][f"{service}:{operation}"] += n
        logs[stack]["bytes"] += invocation.log_bytes
        logs[stack]["events"] += invocation.log_events
        for series in invocation.series:
            series_hours[series].add(invocation.hour)
    assert all(i.stack in ("edge", client) for i in invocations)
    return {
        "invocations": each(lambda _: 1),
        "wall_ms": each(lambda i: i.wall_ms),
        "cpu_ms": each(lambda i: i.cpu_ms),
        "external_calls": each(lambda i: i.external_calls),
        "dynamodb": {s: {k: round(v / per, 3) for k, v in sorted(d.items())} for s, d in dynamodb.items()},
        "calls": {s: {k: round(v / per, 3) for k, v in sorted(c.items())} for s, c in calls.items()},
        "logs": {s: {k: round(v / per, 1) for k, v in sorted(c.items())} for s, c in logs.items()},
        "metric_series_hours": {series: round(len(hours) / per, 3) for series, hours in sorted(series_hours.items())},
    }


def watchdog_run(runs: list[Invocation], venues: int, client: str) -> dict[str, Any]:
    """One hourly run of the edge's watchdog over `venues` venues: its reads of the venues' tables and of the edge's
    are the edge's (its role's), whichever table they read."""
    run = activity(runs, len(runs), client)
    edge: dict[str, float] = defaultdict(float)
    for units in run["dynamodb"].values():
        for name, value in units.items():
            edge[name] += value
    return run | {"dynamodb": {"venue": {}, "edge": dict(sorted(edge.items()))}, "venues": venues}


def cold_starts(running: Sandbox) -> dict[str, float]:
    """Each function's cold start: its handler's import and its dependencies' first build, in a fresh interpreter
    with the function's environment (the least of COLD_RUNS: the others waited for the shared machine)."""
    probe = (
        "import importlib, json, sys, time\n"
        "started = time.perf_counter()\n"
        "handler = importlib.import_module(f'functions.{sys.argv[1]}.handler')\n"
        "for name in sys.argv[2:]:\n"
        "    getattr(handler, name).get()\n"
        "print(json.dumps((time.perf_counter() - started) * 1e3))\n"
    )
    edge = dict(os.environ) | running.edge.environment(running.agency)
    environments = {
        name: running.venue().environ for name in ("prize", "review_followup", "monthly_report", "owner_delivery")
    }
    environments |= {"webhook": edge, "watchdog": edge}
    pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common")])
    measured = {}
    for function, environ in environments.items():
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", probe, function, *LAZY[function]],
                    env=environ | {"PYTHONPATH": pythonpath, "POWERTOOLS_LOG_LEVEL": "WARNING"},
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(COLD_RUNS)
        ]
        measured[function] = round(min(runs), 1)
    return measured


def templates() -> dict[str, Any]:
    """From the synthesized stacks: each function's memory, each stack's alarms and log retention."""
    from aws_cdk import App  # noqa: PLC0415
    from aws_cdk.assertions import Template  # noqa: PLC0415

    from infra.app import build_app  # noqa: PLC0415
    from tagback.config.agency import load_agency_config  # noqa: PLC0415
    from tagback.config.loading import load_client_config  # noqa: PLC0415
    from tests.infra.cost_templates import stack_figures  # noqa: PLC0415

    config = load_client_config(ROOT / "clients" / "demo.yaml")
    app = build_app(
        load_agency_config(ROOT / "agency.yaml"),
        [config],
        app=App(context={"aws:cdk:bundling-stacks": []}),
        build_dir=ROOT / "build",
    )
    return {
        stack: stack_figures(Template.from_stack(app.node.find_child(name)))  # type: ignore[arg-type]
        for stack, name in (("edge", "Tagback-Edge"), ("venue", "Tagback-demo"))
    }


def measured_guests(
    running: Sandbox, recorder: Recorder, play: Callable[[Sandbox, str], None], id_prefix: str
) -> dict[str, int]:
    """Plays GUESTS guests through `play`, each recorded as one; what each leaves in the table and the bucket."""
    table, bucket = running.resources.table_name, running.resources.bucket
    table_before, bucket_before = stored_bytes(table), bucket_bytes(bucket)
    for i in range(1, GUESTS + 1):
        recorder.guest = i
        play(running, f"{id_prefix}{i:05d}")
    return {
        "dynamodb_bytes": round((stored_bytes(table) - table_before) / GUESTS),
        "s3_bytes": round((bucket_bytes(bucket) - bucket_before) / GUESTS),
    }


def main() -> None:
    observability.logger.setLevel("INFO")  # as the stacks run them (POWERTOOLS_LOG_LEVEL)
    meter = AwsMeter()
    recorder = Recorder(meter)
    recorder.install()
    with meter.installed(), Sandbox(replace(SandboxOptions(), port=0)) as running:
        recorder.log, recorder.clock = running.function_log, running.clock.now
        client = running.config.client_id
        mid_month(running)
        journey(running, "6170000000010000")  # warms up: caches, the month's first items
        recorder.invocations.clear()
        stored = measured_guests(running, recorder, journey, "61700000000")
        recorder.journey = "bare_mention"
        bare_stored = measured_guests(running, recorder, bare_journey, "61700000001")
        recorder.guest, recorder.journey = 0, "mention"
        mentions = [i for i in recorder.invocations if i.kind == "mention" and i.stack in ("edge", client)]
        bare = [i for i in mentions if i.journey == "bare_mention"]
        mentions = [i for i in mentions if i.journey == "mention"]
        idle_from = len(recorder.invocations)
        running.advance(IDLE_DAYS * 24 * 60)
        idle = [i for i in recorder.invocations[idle_from:] if i.kind == "idle" and i.stack == client]
        (report_schedule,) = [s for s in REPORT_SCHEDULES if s.name == "MonthlyReport"]
        report_from = len(recorder.invocations)
        running.venue().functions["monthly_report"](json.loads(report_schedule.input))
        report = recorder.invocations[report_from:]
        watchdog_from = len(recorder.invocations)
        running.advance(24 * 60)  # a day of the watchdog over venues registered over a week ago
        watchdog = [i for i in recorder.invocations[watchdog_from:] if i.kind == "watchdog"]
        venues = len(running.venues)
        cold = cold_starts(running)
        config = running.config
    figures = templates()
    measured = {
        "measured_on": datetime.now(UTC).date().isoformat(),
        "how": "python -m bench.measure_cost: the sandbox (moto server, fake Meta and Google) on this machine; "
        "bench/measure_cost.py says what a mention is and how each figure is taken",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "guests": GUESTS,
        "idle_days": IDLE_DAYS,
        "functions": {
            name: {
                "stack": stack,
                "memory_mb": figures[stack]["memory_mb"][name],
                "init_ms": cold[name],
            }
            for name in sorted(cold)
            for stack in ["edge" if name in EDGE_FUNCTIONS else "venue"]
        },
        "stacks": {stack: {k: v for k, v in f.items() if k != "memory_mb"} for stack, f in figures.items()},
        "mention": activity(mentions, GUESTS, client) | {"stored": stored},
        "bare_mention": activity(bare, GUESTS, client) | {"stored": bare_stored},
        "idle_day": activity(idle, IDLE_DAYS, client),
        "report": activity(report, 1, client) | {"ses_recipients": len(config.report.recipients)},
        "watchdog_run": watchdog_run(watchdog, venues, client),
        "retention_days": config.retention_days,
        "coupon_days": max(p.valid_days for p in config.prizes) + 2,  # an image is deleted 2 days after expiry
        "assumptions": ASSUMPTIONS,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(measured, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
