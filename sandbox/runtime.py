"""The sandbox: the whole product on 127.0.0.1 with no AWS account.

moto in server mode plays AWS, holding what the stack creates (sandbox/resources.py); fakes play Meta
(fake_graph.py), Google and the owner's CRM (fake_google.py); one port serves the control API and the stack's HTTP
API (control.py, apigw.py). This module runs it: start and stop, the functions with their production code and
adapters wired under their roles, the stream and schedule pumps that play Lambda's and EventBridge Scheduler's
parts, the manual clock that stands in for time, and replays of the failure queues.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import requests
from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, make_server

from functions.monthly_report import handler as report_handler
from functions.prize import handler as prize_handler
from functions.review_followup import handler as followup_handler
from functions.webhook import handler as webhook_handler
from infra.event_sources import OUTBOX_STREAM, PRIZE_STREAM, SCHEDULED_INVOKE
from infra.names import function_name, resource_name
from sandbox.apigw import HttpApi, LambdaContext
from sandbox.control import ControlApi
from sandbox.fake_google import FakeCrm, FakeGoogle
from sandbox.fake_graph import FakeGraphApi
from sandbox.function_output import FunctionOutput, invoked
from sandbox.iam import Identities, stack_roles
from sandbox.resources import (
    DEFAULT_APP_SECRET,
    DEFAULT_VERIFY_TOKEN,
    REGION,
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_CRM_SECRET,
    create_resources,
    secret_parameters,
)
from sandbox.schedules import AsyncFunction, SchedulePump
from sandbox.streams import Consumer, StreamPump, sqs_dead_letter
from tagback.app.replay import ReplayReport, replay
from tagback.config.loading import load_client_config
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tagback.store.repositories import Repositories
from tagback.wiring import (
    engine_from_environment,
    owner_delivery_from_environment,
    reporting_from_environment,
    webhook_from_environment,
)

log = logging.getLogger("sandbox")
ROOT = Path(__file__).resolve().parent.parent
STREAM_POLL_SECONDS = 0.25
HANDLERS = {
    "webhook": webhook_handler,
    "prize": prize_handler,
    "review_followup": followup_handler,
    "monthly_report": report_handler,
}


@dataclass(frozen=True)
class SandboxOptions:
    config_path: Path = ROOT / "clients" / "demo.yaml"
    port: int = 8787
    app_secret: str = DEFAULT_APP_SECRET
    verify_token: str = DEFAULT_VERIFY_TOKEN

    @classmethod
    def from_environ(cls) -> SandboxOptions:
        return cls(
            config_path=Path(os.environ.get("TAGBACK_CLIENT_CONFIG", str(cls.config_path))),
            port=int(os.environ.get("PORT", "8787")),
            app_secret=os.environ.get("TAGBACK_APP_SECRET", DEFAULT_APP_SECRET),
            verify_token=os.environ.get("TAGBACK_VERIFY_TOKEN", DEFAULT_VERIFY_TOKEN),
        )


def _serve(server: BaseWSGIServer) -> BaseWSGIServer:
    threading.Thread(target=server.serve_forever, name=f"http-{server.port}", daemon=True).start()
    return server


def _function(
    handler: Callable[[Any, Any], Any], name: str, acting_as: Callable[[], AbstractContextManager[None]]
) -> Callable[[dict[str, Any]], Any]:
    """A function as its event source calls it: with its role's credentials and a Lambda context, its output going
    to the function log."""
    call = invoked(handler)

    def invoke(event: dict[str, Any]) -> Any:
        with acting_as():
            return call(event, LambdaContext(name))

    return invoke


class Sandbox:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.config: ClientConfig = load_client_config(options.config_path)
        self.clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        self.function_names = {name: function_name(self.config.client_id, name) for name in HANDLERS}
        self.graph = FakeGraphApi(SANDBOX_ACCESS_TOKEN, account_id=self.config.instagram_account_id)
        sheets = self.config.integrations.google_sheets
        self.google = FakeGoogle(sheets.spreadsheet_id if sheets else "no-sheet-configured")
        self.crm = FakeCrm(SANDBOX_CRM_SECRET)
        self.function_log = ROOT / "out" / "sandbox" / "functions.log"
        self._output = FunctionOutput(self.function_log)
        self._servers: list[BaseWSGIServer] = []
        self._stop = threading.Event()
        self._saved_environ: dict[str, str | None] = {}

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._output.__enter__()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.aws_endpoint = f"http://{host}:{port}"
        # moto keeps its accounts per process: a sandbox starts from an empty AWS, even after another one.
        requests.post(f"{self.aws_endpoint}/moto-api/reset", timeout=10).raise_for_status()
        self.roles = stack_roles(self.options.config_path)
        self.identities = Identities(self.aws_endpoint, REGION)
        operator = self.identities.create_operator()
        graph_server = _serve(make_server("127.0.0.1", 0, self.graph, threaded=True))
        google_server = _serve(make_server("127.0.0.1", 0, self.google, threaded=True))
        crm_server = _serve(make_server("127.0.0.1", 0, self.crm, threaded=True))
        self._servers += [graph_server, google_server, crm_server]
        self.graph_url = f"http://127.0.0.1:{graph_server.port}"
        self.google.url = f"http://127.0.0.1:{google_server.port}"
        self.crm_url = f"http://127.0.0.1:{crm_server.port}/hooks/tagback"
        self._set_environ(
            {
                "AWS_ENDPOINT_URL": self.aws_endpoint,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                # The operator's: the sandbox's own work, the demo and the tests act as it; functions do not.
                "AWS_ACCESS_KEY_ID": operator.access_key,
                "AWS_SECRET_ACCESS_KEY": operator.secret_key,
            }
        )
        self.identities.install()
        self.identities.create_roles(self.roles.actions, prefix=resource_name(self.config.client_id))
        self.graph.download = self.identities.download_presigned
        self.resources = create_resources(
            self.config,
            secret_parameters(self.config, self.options.app_secret, self.options.verify_token, self.google),
            {name: self.identities.arns[role] for name, role in self.roles.schedulers.items()},
        )
        self._set_environ(
            self.resources.environment()
            | {
                "TAGBACK_CLIENT_CONFIG": str(self.options.config_path),
                "TAGBACK_GRAPH_URL": self.graph_url,
                "TAGBACK_SHEETS_URL": self.google.url,
                "TAGBACK_CRM_URL": self.crm_url,
                "TAGBACK_PLACES_URL": self.google.url,
            }
        )
        self.sqs = boto3.client("sqs")
        self.streams = boto3.client("dynamodbstreams")
        self.store = Repositories.on(self.resources.table_name)
        self._enforce_iam()
        # Bound first (its port goes into the tracked links), served only once the functions are wired.
        adapter = make_server("127.0.0.1", self.options.port, ControlApi(self), threaded=True)
        self.url = f"http://127.0.0.1:{adapter.port}"
        self._set_environ({"TAGBACK_PUBLIC_URL": self.url})
        self._wire_functions()
        self._servers.append(_serve(adapter))
        self._pump = threading.Thread(target=self._pump_forever, name="stream-pump", daemon=True)
        self._pump.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._pump.join(timeout=30)  # let a delivery in progress finish before its services go away
        for server in self._servers:
            server.shutdown()
        # moto's enforcement is per process: other moto servers in this process (tests) go back to no checks.
        requests.post(f"{self.aws_endpoint}/moto-api/reset-auth", data=self._auth_before, timeout=10)
        self._moto.stop()
        for handler in (
            webhook_handler.webhook,
            prize_handler.engine,
            prize_handler.owner_delivery,
            followup_handler.engine,
            report_handler.reporting,
        ):
            handler.override(None)
        self._output.__exit__()
        self.identities.uninstall()
        for name, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _set_environ(self, environ: dict[str, str]) -> None:
        # What Lambda's environment and IAM role give the functions in AWS; boto3 honours AWS_ENDPOINT_URL.
        for name, value in environ.items():
            self._saved_environ.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _enforce_iam(self) -> None:
        """From now on moto checks every request's credentials and actions, as IAM does."""
        answer = requests.post(f"{self.aws_endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
        answer.raise_for_status()
        self._auth_before = answer.json()["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]

    def acting_as(self, function: str) -> AbstractContextManager[None]:
        """Run code as the function does in AWS: with the credentials of its role."""
        return self.identities.acting_as(self.roles.functions[function])

    # -- the functions and their event sources ---------------------------------------------------------------
    def _wire_functions(self) -> None:
        # The production wiring, on the sandbox clock; each function's own, built with its role's credentials.
        with self.acting_as("webhook"):
            webhook_handler.webhook.override(dataclasses.replace(webhook_from_environment(), clock=self.clock))
        with self.acting_as("prize"):
            prize_handler.engine.override(dataclasses.replace(engine_from_environment(), clock=self.clock))
            prize_handler.owner_delivery.override(
                dataclasses.replace(owner_delivery_from_environment(), clock=self.clock)
            )
            # Lambda's event-source mapping reads the stream and dead-letters with the function's role.
            stream_reader, mapping_sqs = boto3.client("dynamodbstreams"), boto3.client("sqs")
        with self.acting_as("review_followup"):
            followup_handler.engine.override(dataclasses.replace(engine_from_environment(), clock=self.clock))
        with self.acting_as("monthly_report"):
            report_handler.reporting.override(dataclasses.replace(reporting_from_environment(), clock=self.clock))
        self.functions = {
            name: _function(module.lambda_handler, self.function_names[name], functools.partial(self.acting_as, name))
            for name, module in HANDLERS.items()
        }
        self.api = HttpApi(self.functions)
        resources = self.resources
        self.stream_pump = StreamPump(
            stream_reader,
            resources.stream_arn,
            consumers=[
                Consumer(
                    self.function_names["prize"],
                    PRIZE_STREAM.filter_pattern,
                    self.functions["prize"],
                    batch_size=PRIZE_STREAM.batch_size,
                    retry_attempts=PRIZE_STREAM.retry_attempts,
                    dead_letter=sqs_dead_letter(mapping_sqs, resources.prize_dlq_url),
                ),
                Consumer(  # the second mapping on the same function: the owner's integrations
                    f"{self.function_names['prize']} (outbox)",
                    OUTBOX_STREAM.filter_pattern,
                    self.functions["prize"],
                    batch_size=OUTBOX_STREAM.batch_size,
                    retry_attempts=OUTBOX_STREAM.retry_attempts,
                    dead_letter=sqs_dead_letter(mapping_sqs, resources.outbox_dlq_url),
                    backoff=(0.5, 10.0),  # 30 tries span about 4 minutes
                ),
            ],
        )
        # Scheduler dead-letters with the schedule's role: the one it invokes review_followup with.
        with self.identities.acting_as(self.roles.schedulers["review_followup"]):
            scheduler_sqs = boto3.client("sqs")
        self.schedule_pump = SchedulePump(
            boto3.client("scheduler"),
            resources.schedule_group,
            targets={self.function_names[name]: self._asynchronous(name) for name in resources.failure_queue_urls},
            sqs=scheduler_sqs,
            checked_until=self.clock.now(),
        )

    def _asynchronous(self, name: str) -> AsyncFunction:
        """`name` as Scheduler invokes it: asynchronously, with the stack's retries and on-failure queue (to which
        Lambda sends with the function's role)."""
        with self.acting_as(name):
            sqs = boto3.client("sqs")
        queue_url = self.resources.failure_queue_urls[name]
        return AsyncFunction(
            arn=self.resources.function_arn(name),
            invoke=self.functions[name],
            retry_attempts=SCHEDULED_INVOKE.retry_attempts,
            on_failure=lambda record: sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record)),
        )

    def _pump_forever(self) -> None:
        while not self._stop.wait(STREAM_POLL_SECONDS):
            try:
                self.stream_pump.pump_once()
            except Exception:
                log.exception("stream pump failed; retrying")

    # -- controls --------------------------------------------------------------------------------------------
    def settle(self, timeout: float = 120.0) -> None:
        """Deliver every stream record written so far (and what their consumers write in turn), waiting out the
        pauses between retries of a failing consumer, up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.stream_pump.pump_once() or self.stream_pump.waiting():
            if time.monotonic() > deadline:
                log.warning("settle: records still waiting after %s s", timeout)
                return
            time.sleep(0.02)

    def advance(self, minutes: float) -> dict[str, Any]:
        """Move the clock on, stopping at each moment a schedule is due (as real time would) to fire it."""
        target = self.clock.now() + timedelta(minutes=minutes)
        fired: list[str] = []
        while True:
            due = self.schedule_pump.next_due(self.clock.now(), target)
            now = self.clock.advance((due or target) - self.clock.now())
            self.settle()
            fired += self.schedule_pump.fire_due(now)
            self.settle()
            if due is None or now >= target:
                return {"now": now.isoformat(), "fired": fired}

    def replay_dead_letters(self) -> dict[str, ReplayReport]:
        resources = self.resources
        scheduled = {  # Lambda's on-failure records of the scheduled functions
            f"{name}_failures": replay(self.sqs, queue_url, self.streams, self.functions[name])
            for name, queue_url in sorted(resources.failure_queue_urls.items())
        }
        return scheduled | {
            "prize": replay(self.sqs, resources.prize_dlq_url, self.streams, self.functions["prize"]),
            "integrations": replay(
                self.sqs,
                resources.outbox_dlq_url,
                self.streams,
                self.functions["prize"],
                outbox_item=self.store.outbox.get,
            ),
        }

    def schedules(self) -> list[dict[str, Any]]:
        scheduler, group = self.schedule_pump.scheduler, self.resources.schedule_group
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
        return [
            {key: schedule.get(key) for key in ("Name", "ScheduleExpression", "ActionAfterCompletion")}
            | {"Input": json.loads(schedule["Target"]["Input"])}
            for schedule in (scheduler.get_schedule(Name=n, GroupName=group) for n in sorted(names))
        ]

    def status(self) -> dict[str, str]:
        return {
            "aws_endpoint": self.aws_endpoint,
            "region": REGION,
            # The operator's keys (an IAM user allowed everything, in this sandbox only): for the CLI and tests.
            "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
            "table": self.resources.table_name,
            "graph_url": self.graph_url,
            "client_id": self.config.client_id,
            "ig_account_id": self.config.instagram_account_id,
            "now": self.clock.now().isoformat(),
            "prize_dead_letter_queue": self.resources.prize_dlq_url,
            "integrations_dead_letter_queue": self.resources.outbox_dlq_url,
        }
