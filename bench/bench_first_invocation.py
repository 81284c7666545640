"""Each handler's first invocation, and the prize function's peak memory for one mention, printed as ratios in one
run.

A first invocation is what a cold start costs before the answer: the handler's import, its wiring and one event,
in a fresh interpreter (a "container" here: a worker process with the function's environment), against the
sandbox's moto server and fakes. The floor is the same in a fresh interpreter with nothing of ours: a bare
`import boto3` and one DynamoDB PutItem to the same moto server (every function's first work is a DynamoDB call).
Interpreter start-up is in neither. Times are the worker's CPU time: the machine is shared, and waiting for a core
(or for moto, which runs in this process) is not the function's cost.

The webhook and the prize function take a real guest's mention and language answer as the sandbox's HTTP API and
stream deliver them, owner_delivery the outbox events (the award) they write, to the owner's sheet and CRM;
review_followup its token step, monthly_report the month's report and the watchdog its hourly
run, as their schedules send them; the registry a venue's registration, as CloudFormation sends it.

Peak memory is the worker's peak resident set (Linux's VmHWM, the interpreter included) after the whole mention:
what Lambda's "Max Memory Used" counts and its memory setting caps. Not `ru_maxrss`, which Linux keeps across the
exec from this (large) process; not tracemalloc, which sees only what Python's allocator hands out, not Pillow's
image buffers, pydantic-core's or OpenSSL's, nor the interpreter and its modules.

The workers run the venv's Python (not Lambda's 3.13: running a handler needs its layer's packages built for the
interpreter; bench_cold_import.py times imports on 3.13 from the synthesized assets), from the source tree and its
bytecode.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
from dataclasses import replace
from typing import IO, Any

from infra.assets import ROOT
from infra.event_sources import REPORT_SCHEDULES, WATCHDOG
from sandbox.chat import Guest
from sandbox.resources import registration_request
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.domain.languages import language_name

RUNS = 3  # cold starts of each function: the median is printed

# A worker: reads one event per line; the first line's time includes the handler's import and wiring. Answers one
# JSON line per event on the stdout it was given; the handler's own output (logs, metrics) goes to stderr.
_WORKER = """
import importlib, json, os, re, sys, time
answers = os.fdopen(os.dup(1), "w")
sys.stdout = sys.stderr
module = sys.argv[1]

class Context:
    function_name = "tagback-bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:tagback-bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    def get_remaining_time_in_millis(self):
        return 60_000

handler = None
for line in sys.stdin:
    event = json.loads(line)
    started = time.process_time()
    if module == "boto3":  # the floor
        import boto3
        boto3.client("dynamodb").put_item(**event)
        response = None
    else:
        handler = handler or importlib.import_module(module)
        response = handler.lambda_handler(event, Context())
    seconds = time.process_time() - started
    with open("/proc/self/status") as status:
        peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read())[1])
    answers.write(json.dumps({"seconds": seconds, "response": response, "peak_kb": peak_kb}, default=str) + "\\n")
    answers.flush()
"""


class Worker:
    """A function's container: a fresh interpreter with its environment, invoked one event at a time."""

    def __init__(self, module: str, environ: dict[str, str]) -> None:
        pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common")])
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, module],
            env=environ | {"PYTHONPATH": pythonpath},
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.seconds: list[float] = []
        self.peak_kb = 0
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> Any:
        with self._lock:
            stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
            stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
            stdin.write(json.dumps(event) + "\n")
            stdin.flush()
            line = stdout.readline()
            if not line:
                raise RuntimeError(f"the worker stopped (exit {self.process.wait()})")
            answer = json.loads(line)
            self.seconds.append(answer["seconds"])
            self.peak_kb = answer["peak_kb"]
            return answer["response"]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def first_invocations(running: Sandbox, guest_number: int) -> tuple[dict[str, float], dict[str, int]]:
    """Each function's first invocation (seconds) in fresh workers, and each worker's peak memory (bytes): the
    prize function's for the whole mention, owner_delivery's for its events. The sandbox's own functions are put back
    afterwards."""
    venue = running.venue()
    edge = dict(os.environ) | running.edge.environment(running.agency)
    webhook = Worker("functions.webhook.handler", edge)
    prize = Worker("functions.prize.handler", venue.environ)
    owner = Worker("functions.owner_delivery.handler", venue.environ)
    api_functions = running.api.functions
    stream_pump, _ = venue.pumps()
    invokes = [consumer.invoke for consumer in stream_pump.consumers]
    running.api.functions = {**api_functions, "webhook": webhook}
    inbound, outbox = stream_pump.consumers  # the prize function's mapping, owner_delivery's
    inbound.invoke, outbox.invoke = prize, owner
    try:
        guest = Guest(running, f"first{guest_number}")
        guest.mention()
        guest.tap(language_name(running.config.default_language))
        assert any(line.image for line in guest.transcript), "the guest should get the prize and its image"
    finally:
        running.api.functions = api_functions
        for consumer, invoke in zip(stream_pump.consumers, invokes, strict=True):
            consumer.invoke = invoke
        webhook.close()
        prize.close()
        owner.close()
    firsts = {"webhook": webhook.seconds[0], "prize": prize.seconds[0], "owner_delivery": owner.seconds[0]}
    peaks = {"webhook": webhook.peak_kb * 1024, "prize": prize.peak_kb * 1024, "owner_delivery": owner.peak_kb * 1024}
    (report,) = [json.loads(s.input) for s in REPORT_SCHEDULES if s.name == "MonthlyReport"]
    for name, module, environ, event in (
        ("review_followup", "functions.review_followup.handler", venue.environ, {"step": "token"}),
        ("monthly_report", "functions.monthly_report.handler", venue.environ, report),
        ("watchdog", "functions.watchdog.handler", edge, json.loads(WATCHDOG.input)),
        ("registry", "functions.registry.handler", edge, registration(running)),
    ):
        worker = Worker(module, environ)
        try:
            worker(event)
        finally:
            worker.close()
        firsts[name] = worker.seconds[0]
        peaks[name] = worker.peak_kb * 1024
    floor = Worker("boto3", venue.environ)
    try:
        floor({"TableName": venue.resources.table_name, "Item": {"PK": {"S": "BENCH#floor"}, "SK": {"S": "floor"}}})
    finally:
        floor.close()
    firsts["floor"] = floor.seconds[0]
    peaks["floor"] = floor.peak_kb * 1024
    return firsts, peaks


def registration(running: Sandbox) -> dict[str, Any]:
    """CloudFormation's request to register the first venue again (a deploy of its stack), answered to the sandbox."""
    venue = running.venue()
    url = f"{running.url}/_sandbox/cloudformation/sandbox-{venue.client_id}"
    return registration_request(venue.config, venue.resources.table_name, running.url, url)


def memory_settings() -> dict[str, int]:
    """Each function's MemorySize (MB) in the synthesized stacks."""
    from bench.measure_cost import templates  # noqa: PLC0415 - the CDK only for this

    return {name: mb for stack in templates().values() for name, mb in stack["memory_mb"].items()}


FUNCTIONS = ("webhook", "prize", "review_followup", "monthly_report", "watchdog", "registry", "owner_delivery")


def main() -> None:
    runs: list[dict[str, float]] = []
    peaks: list[dict[str, int]] = []
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        for run in range(RUNS):
            firsts, peak = first_invocations(running, run)
            runs.append(firsts)
            peaks.append(peak)
    median = {name: statistics.median(r[name] for r in runs) for name in runs[0]}
    most = {name: max(p[name] for p in peaks) / 2**20 for name in peaks[0]}
    floor = median["floor"]
    print(
        f"first invocation (CPU time, median of {RUNS}; venv's Python {sys.version_info.major}."
        f"{sys.version_info.minor}), floor import boto3 + one PutItem: {floor * 1e3:6.1f} ms"
    )
    for name in FUNCTIONS:
        print(f"first invocation {name:16} {median[name] * 1e3:7.1f} ms = {median[name] / floor:5.1f}x the floor")
    settings = memory_settings()
    print(f"peak memory (peak RSS, the most of {RUNS}), floor import boto3 + one PutItem: {most['floor']:4.0f} MB")
    for name in FUNCTIONS:
        what = {"prize": "one mention", "owner_delivery": "its events"}.get(name, "one event")
        print(
            f"peak memory {name:16} {what:11} {most[name]:4.0f} MB = {most[name] / settings[name]:4.0%} "
            f"of its {settings[name]} MB setting"
        )


if __name__ == "__main__":
    main()
