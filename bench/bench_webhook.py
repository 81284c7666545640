"""Benchmarks that print ratios (machine-independent enough to compare across runs and machines).

1. The edge's webhook handler's cost per event (API Gateway event → verify → parse → classify → look the venue up
   → store in its table, in memory → response) against the floor of the same work: `hmac` + `json.loads` on the
   same bytes.
2. Each handler module's cold import time (fresh interpreter) against a bare `import boto3`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import timeit
from datetime import UTC, datetime
from pathlib import Path

from functions.webhook import handler
from sandbox import meta_payloads as p
from sandbox.apigw import LambdaContext, http_api_event
from sandbox.function_output import set_log_stream
from tagback.adapters.meta.webhook import sign
from tagback.config.environment import EdgeSettings
from tagback.config.loading import load_client_config
from tagback.domain.clock import ManualClock
from tagback.domain.registrations import Registration
from tests.fakes import InMemoryEdge, Secrets

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
SECRET_PARAM = "/tagback/edge/meta-app-secret"
EVENTS_PER_POST = 20
COLD_RUNS = 7


def handler_vs_floor() -> float:
    config = load_client_config(ROOT / "clients" / "demo.yaml")
    us = config.instagram_account_id
    items = [
        p.story_mention(f"g{i}", us, f"m{i}") if i % 2 else p.text(f"g{i}", us, f"m{i}", "olá")
        for i in range(EVENTS_PER_POST)
    ]
    body = p.meta_json(p.envelope(us, items))
    event = http_api_event("POST", "/webhook", body=body, headers={"X-Hub-Signature-256": sign(body, SECRET)})
    context = LambdaContext("bench")
    settings = EdgeSettings.from_environ(
        {
            "REGISTRY_TABLE": "tagback-edge-bench",
            "META_APP_SECRET_PARAM": SECRET_PARAM,
            "META_VERIFY_TOKEN_PARAM": "/tagback/edge/meta-verify-token",
        }
    )
    venue = Registration(
        client_id=config.client_id,
        account_id=us,
        venue_name=config.venue_name,
        table="tagback-demo",
        region="eu-west-1",
        timezone=config.timezone,
        retention_days=config.retention_days,
        link_prefix="https://edge.example/l/demo",
    )
    secrets = Secrets({SECRET_PARAM: SECRET})
    clock = ManualClock(datetime(2026, 11, 20, tzinfo=UTC))

    def through_handler() -> None:
        # Fresh stores each time, so every event is really stored (no dedupe shortcut).
        handler.edge.override(InMemoryEdge(venue).edge(settings, secrets, clock))
        assert handler.lambda_handler(event, context)["statusCode"] == 200

    def floor() -> None:
        hmac.compare_digest(hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(), "0" * 64)
        json.loads(body)

    number = 200
    # The handler's log lines and EMF metrics are part of its cost (Lambda ships stdout to CloudWatch).
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        console = set_log_stream(sink)
        ours = min(timeit.repeat(through_handler, number=number, repeat=5)) / (number * EVENTS_PER_POST)
        set_log_stream(console)
    base = min(timeit.repeat(floor, number=number, repeat=5)) / (number * EVENTS_PER_POST)
    print(
        f"webhook handler per event: {ours * 1e6:8.1f} µs   hmac+json.loads per event: {base * 1e6:6.2f} µs   "
        f"ratio {ours / base:6.1f}x"
    )
    return ours / base


def cold_import(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    environ = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'layers' / 'common'}")
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code],
                cwd=ROOT,
                env=environ,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(COLD_RUNS)
    ]
    return statistics.median(runs)


def imports_vs_boto3() -> dict[str, float]:
    boto3_time = cold_import("import boto3")
    ratios = {}
    for module in sorted(ROOT.glob("functions/*/handler.py")):
        name = f"functions.{module.parent.name}.handler"
        seconds = cold_import(f"import {name}")
        ratios[name] = seconds / boto3_time
        print(
            f"cold import {name:36} {seconds * 1e3:7.1f} ms   import boto3 {boto3_time * 1e3:6.1f} ms   "
            f"ratio {ratios[name]:5.2f}x"
        )
    return ratios


if __name__ == "__main__":
    handler_vs_floor()
    imports_vs_boto3()
