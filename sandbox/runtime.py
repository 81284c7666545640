"""The sandbox: the agency's edge and its venues on 127.0.0.1 with no AWS account.

moto in server mode plays AWS, holding what the edge stack and each client's stack create (sandbox/resources.py);
fakes play Meta (fake_graph.py: one app, an Instagram account and token per venue), Google and the owner's CRM
(fake_google.py); one port serves the control API and the edge's HTTP API (control.py, apigw.py). This module runs
it: start and stop, "deploying" each venue (its resources, then its registration with the edge, as CloudFormation
asks the edge's registry function), the functions with their production code and adapters wired under their roles
(one set per venue, as each venue's stack has its own functions), the stream and schedule pumps that play Lambda's and
EventBridge Scheduler's parts, the rule that runs the token step when a venue's token changes in SSM, the manual
clock that stands in for time, and replays of the failure queues.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import moto.backends
import requests
from werkzeug.serving import BaseWSGIServer, make_server

from functions.monthly_report import handler as report_handler
from functions.owner_delivery import handler as owner_handler
from functions.prize import handler as prize_handler
from functions.redemption import handler as redemption_handler
from functions.registry import handler as registry_handler
from functions.review_followup import handler as followup_handler
from functions.watchdog import handler as watchdog_handler
from functions.webhook import handler as webhook_handler
from infra.event_sources import OUTBOX_STREAM, PRIZE_STREAM, SCHEDULED_INVOKE, WATCHDOG
from infra.names import EDGE_STACK, coupon_prefix, edge_resource_name, function_name, link_prefix, resource_name
from sandbox import powertools_state
from sandbox.apigw import HttpApi, LambdaContext
from sandbox.aws_faults import AwsFaults, FunctionKilled
from sandbox.control import ControlApi
from sandbox.fake_google import FakeCrm, FakeGoogle
from sandbox.fake_graph import FakeGraphApi
from sandbox.function_output import FunctionOutput, invoked
from sandbox.iam import Identities, StackRoles, stack_roles
from sandbox.moto_server import moto_server
from sandbox.resources import (
    DEFAULT_APP_SECRET,
    DEFAULT_VERIFY_TOKEN,
    REGION,
    SANDBOX_CRM_SECRET,
    Resources,
    arn,
    create_edge_resources,
    create_resources,
    registration_request,
    secret_parameters,
)
from sandbox.schedules import AsyncFunction, SchedulePump, cron_occurrences
from sandbox.streams import Consumer, StreamPump, sqs_dead_letter
from tagback.app.replay import ReplayReport, replay
from tagback.config.agency import AgencyConfig, load_agency_config
from tagback.config.loading import load_client_config
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tagback.store.repositories import Repositories
from tagback.wiring import (
    ScheduledSteps,
    edge_from_environment,
    engine_from_environment,
    erasure_from_environment,
    owner_delivery_from_environment,
    redemption_from_environment,
    registry_from_environment,
    reporting_from_environment,
    scheduled_steps_from_environment,
    watchdog_from_environment,
)

log = logging.getLogger("sandbox")
ROOT = Path(__file__).resolve().parent.parent
STREAM_POLL_SECONDS = 0.25
TOKEN_CHECK_EVERY = 4  # stream polls: the token-changed rule's latency, about a second
VENUE_FUNCTIONS = ("prize", "review_followup", "monthly_report", "owner_delivery")
EDGE_FUNCTIONS = ("webhook", "registry", "watchdog", "redemption")
HTTP_FUNCTIONS = ("webhook", "redemption")  # behind the edge's HTTP API, through Powertools' event handler
Invoke = Callable[[dict[str, Any]], Any]
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class SandboxOptions:
    config_path: Path = ROOT / "clients" / "demo.yaml"  # the first venue: status and the demo speak of it
    more_config_paths: tuple[Path, ...] = (ROOT / "clients" / "luna.yaml",)  # the other venues on the same edge
    agency_path: Path = ROOT / "agency.yaml"
    port: int = 8787
    app_secret: str = DEFAULT_APP_SECRET
    verify_token: str = DEFAULT_VERIFY_TOKEN

    @property
    def config_paths(self) -> list[Path]:
        return [self.config_path, *self.more_config_paths]

    @classmethod
    def from_environ(cls) -> SandboxOptions:
        return cls(
            config_path=Path(os.environ.get("TAGBACK_CLIENT_CONFIG", str(cls.config_path))),
            port=int(os.environ.get("PORT", "8787")),
            app_secret=os.environ.get("TAGBACK_APP_SECRET", DEFAULT_APP_SECRET),
            verify_token=os.environ.get("TAGBACK_VERIFY_TOKEN", DEFAULT_VERIFY_TOKEN),
        )


# moto's server finds each request's service by listing its package's directory (a listdir and an isdir per
# service, ~150, under its dispatcher's lock: most of its time per request, bench/load.py's profile found); the
# directory does not change while the sandbox runs.
_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules


def _serve(server: BaseWSGIServer) -> BaseWSGIServer:
    threading.Thread(target=server.serve_forever, name=f"http-{server.port}", daemon=True).start()
    return server


def _function(
    handler: Callable[[Any, Any], Any], name: str, container: Callable[[], AbstractContextManager[None]]
) -> Invoke:
    """A function as its event source calls it: in its container (its role's credentials, its own dependencies), with
    a Lambda context, its output going to the function log. Each invocation has context variables of its own, and
    Powertools' state of its own, as each runs in a container of its own: what a venue's function sets (the venue its
    metrics name, the metrics it adds, its log keys) stays with it (sandbox/powertools_state.py)."""
    call = invoked(handler)

    def in_container(event: dict[str, Any]) -> Any:
        with powertools_state.in_own_container(), container():
            try:
                return call(event, LambdaContext(name))
            except FunctionKilled as killed:  # Lambda reports the invocation failed ("Runtime exited")
                raise RuntimeError(f"{name}: Runtime.ExitError ({killed})") from killed

    def invoke(event: dict[str, Any]) -> Any:
        return contextvars.copy_context().run(in_container, event)

    return invoke


@contextmanager
def _one_at_a_time(lock: threading.Lock, container: AbstractContextManager[None]) -> Iterator[None]:
    with lock, container:
        yield


@dataclass
class Venue:
    """One client's stack in the sandbox: its resources, its functions and the pumps that invoke them."""

    config: ClientConfig
    config_path: Path
    roles: StackRoles
    resources: Resources
    environ: dict[str, str]  # its functions' environment, as its stack sets it
    store: Repositories
    functions: dict[str, Invoke] = field(default_factory=dict)
    stream_pump: StreamPump | None = None
    schedule_pump: SchedulePump | None = None
    token_changed: AsyncFunction | None = None  # the stack's rule on the token's SSM parameter → review_followup
    token_version: int = 0

    @property
    def client_id(self) -> str:
        return self.config.client_id

    def role(self, function: str) -> str:
        return f"{resource_name(self.client_id)}-{self.roles.functions[function]}"

    def pumps(self) -> tuple[StreamPump, SchedulePump]:
        assert self.stream_pump is not None and self.schedule_pump is not None, "the venue's functions are not wired"
        return self.stream_pump, self.schedule_pump


class Sandbox:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.agency: AgencyConfig = load_agency_config(options.agency_path)
        self.configs = [load_client_config(path) for path in options.config_paths]
        self.config: ClientConfig = self.configs[0]
        self.clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        self.graph = FakeGraphApi(self.clock.now)
        self.graph.app_id, self.graph.app_secret = self.agency.meta.app_id, options.app_secret  # one app, as in Meta
        redirect = self.agency.meta.login_redirect_uri
        self.graph.redirect_uri = str(redirect) if redirect is not None else None
        sheets = self.config.integrations.google_sheets
        self.google = FakeGoogle(sheets.spreadsheet_id if sheets else "no-sheet-configured")
        self.crm = FakeCrm(SANDBOX_CRM_SECRET)
        self.function_log = ROOT / "out" / "sandbox" / "functions.log"
        self.registrations: dict[str, dict[str, Any]] = {}  # request id → the registry function's answer
        self._output = FunctionOutput(self.function_log)
        self._servers: list[BaseWSGIServer] = []
        self._stop = threading.Event()
        self._saved_environ: dict[str, str | None] = {}

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._output.__enter__()
        # One request at a time: moto's backends are not thread-safe (sandbox/moto_server.py).
        self._moto = _serve(moto_server())
        self.aws_endpoint = f"http://127.0.0.1:{self._moto.port}"
        # moto keeps its accounts per process: a sandbox starts from an empty AWS, even after another one.
        requests.post(f"{self.aws_endpoint}/moto-api/reset", timeout=10).raise_for_status()
        self.roles = stack_roles(self.options.agency_path, self.options.config_paths)
        self.identities = Identities(self.aws_endpoint, REGION)
        operator = self.identities.create_operator()
        self.aws_faults = AwsFaults(operator.access_key)  # AWS's errors for the functions' requests, when queued
        self.aws_faults.install()
        powertools_state.install()
        self._graph_server: BaseWSGIServer | None = _serve(make_server("127.0.0.1", 0, self.graph, threaded=True))
        google_server = _serve(make_server("127.0.0.1", 0, self.google, threaded=True))
        crm_server = _serve(make_server("127.0.0.1", 0, self.crm, threaded=True))
        self._servers += [google_server, crm_server]
        self.graph_url = f"http://127.0.0.1:{self._graph_server.port}"
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
                # No X-Ray daemon here: the functions' Tracer does nothing (it also knows it is not in Lambda).
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        self.identities.install()
        self._create_roles()
        self.graph.download = self.identities.download_presigned
        # Bound first (its port is the edge's URL, in the venues' tracked links), served once the functions are wired.
        adapter = make_server("127.0.0.1", self.options.port, ControlApi(self), threaded=True)
        self.url = f"http://127.0.0.1:{adapter.port}"
        self.edge = create_edge_resources(
            self.agency,
            self.options.app_secret,
            self.options.verify_token,
            url=self.url,
            webhook_role_arn=self.identities.arns[self._edge_role("webhook")],
            redemption_role_arn=self.identities.arns[self._edge_role("redemption")],
        )
        self.venues = [
            self._deploy_venue(config, path)
            for config, path in zip(self.configs, self.options.config_paths, strict=True)
        ]
        self.sqs = boto3.client("sqs")
        self.streams = boto3.client("dynamodbstreams")
        self.ssm = boto3.client("ssm")
        self._enforce_iam()
        self._wire_edge()
        for venue in self.venues:
            self._wire_venue(venue)
        self._servers.append(_serve(adapter))
        for venue in self.venues:  # CloudFormation asks the edge's registry function, as each venue stack deploys
            self.register(venue.config, venue.resources.table_name)
        self._pump = threading.Thread(target=self._pump_forever, name="stream-pump", daemon=True)
        self._pump.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._pump.join(timeout=30)  # let a delivery in progress finish before its services go away
        self.refuse_graph_connections()
        for server in self._servers:
            server.shutdown()
        # moto's enforcement is per process: other moto servers in this process (tests) go back to no checks.
        requests.post(f"{self.aws_endpoint}/moto-api/reset-auth", data=self._auth_before, timeout=10)
        self._moto.shutdown()
        self.aws_faults.uninstall()
        powertools_state.uninstall()
        webhook_handler.edge.override(None)
        redemption_handler.page.override(None)
        registry_handler.registry.override(None)
        watchdog_handler.watchdog.override(None)
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
        # What every function's environment shares here (boto3 honours AWS_ENDPOINT_URL); the rest is per function.
        for name, value in environ.items():
            self._saved_environ.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _enforce_iam(self) -> None:
        """From now on moto checks every request's credentials and actions, as IAM does."""
        answer = requests.post(f"{self.aws_endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
        answer.raise_for_status()
        self._auth_before = answer.json()["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]

    def _create_roles(self) -> None:
        """Every stack's roles; the edge's webhook and redemption roles may also do what each venue's table lets them
        (its resource-based policy, which moto does not read)."""
        edge = self.roles[EDGE_STACK]
        edge_actions = dict(edge.actions)
        for function in ("webhook", "redemption"):
            role = edge.functions[function]
            granted = {a for roles in self.roles.values() for a in roles.edge_grants.get(function, [])}
            edge_actions[role] = sorted({*edge.actions[role], *granted})
        self.identities.create_roles(edge_actions, prefix=edge_resource_name())
        for config in self.configs:
            self.identities.create_roles(
                self.roles[f"Tagback-{config.client_id}"].actions, prefix=resource_name(config.client_id)
            )

    def _edge_role(self, function: str) -> str:
        return f"{edge_resource_name()}-{self.roles[EDGE_STACK].functions[function]}"

    def acting_as(self, function: str, client_id: str | None = None) -> AbstractContextManager[None]:
        """Run code as the function does in AWS: with the credentials of its role (a venue's function: the first
        venue's unless `client_id` names another; the edge's webhook and registry)."""
        if function in EDGE_FUNCTIONS:
            return self.identities.acting_as(self._edge_role(function))
        return self.identities.acting_as(self.venue(client_id).role(function))

    def venue(self, client_id: str | None = None) -> Venue:
        if client_id is None:
            return self.venues[0]
        found = next((v for v in self.venues if v.client_id == client_id), None)
        if found is None:
            raise KeyError(f"the sandbox runs no client {client_id!r}; it runs {[v.client_id for v in self.venues]}")
        return found

    # -- the venues ------------------------------------------------------------------------------------------
    def _deploy_venue(self, config: ClientConfig, path: Path) -> Venue:
        """What `cdk deploy Tagback-<client-id>` creates, and the venue's account connected (`tagback connect`)."""
        roles = self.roles[f"Tagback-{config.client_id}"]
        token = self.graph.add_account(config.instagram_account_id, config.instagram_username)
        resources = create_resources(
            config,
            secret_parameters(config, token, self.google),
            {
                service: self.identities.arns[f"{resource_name(config.client_id)}-{role}"]
                for service, role in roles.schedulers.items()
            },
        )
        environ = (
            dict(os.environ)
            | resources.environment()
            | {
                "TAGBACK_CLIENT_CONFIG": str(path),
                "TAGBACK_GRAPH_URL": self.graph_url,
                "TAGBACK_SHEETS_URL": self.google.url,
                "TAGBACK_CRM_URL": self.crm_url,
                "TAGBACK_PLACES_URL": self.google.url,
                "TAGBACK_LINK_PREFIX": link_prefix(self.url, config.client_id),
                "TAGBACK_COUPON_PREFIX": coupon_prefix(self.url, config.client_id),
                "AGENCY_NAME": self.agency.agency_name,
            }
        )
        return Venue(config, path, roles, resources, environ, Repositories.on(resources.table_name))

    def register(self, config: ClientConfig, table_name: str) -> dict[str, Any]:
        """The client stack's registration, as CloudFormation asks the edge's registry function on deploy; raises, as
        a failed deploy would, when the edge refuses it."""
        request = registration_request(
            config, table_name, self.url, f"{self.url}/_sandbox/cloudformation/sandbox-{config.client_id}"
        )
        self.edge_functions["registry"](request)
        answer = self.registrations.pop(request["RequestId"])
        if answer["Status"] != "SUCCESS":
            raise RuntimeError(f"Tagback-{config.client_id} failed to deploy: {answer['Reason']}")
        return answer

    # -- the functions and their event sources ---------------------------------------------------------------
    def _wire_edge(self) -> None:
        environ = dict(os.environ) | self.edge.environment(self.agency)
        with self.acting_as("webhook"):
            webhook_handler.edge.override(dataclasses.replace(edge_from_environment(environ), clock=self.clock))
        with self.acting_as("registry"):
            registry_handler.registry.override(registry_from_environment(environ))
        with self.acting_as("watchdog"):
            watchdog_handler.watchdog.override(
                dataclasses.replace(watchdog_from_environment(environ), clock=self.clock)
            )
        with self.acting_as("redemption"):
            redemption_handler.page.override(
                dataclasses.replace(redemption_from_environment(environ), clock=self.clock)
            )
        # Powertools' event handler keeps the request it resolves on its router class (`BaseRouter.current_event`),
        # one for the process: fine in Lambda, where a container handles one request at a time; here the HTTP API's
        # functions would read each other's requests (issue 17: a delivery ingested another's body, its own lost).
        # So they handle one request at a time, as one container would.
        resolving = threading.Lock()

        def container(name: str) -> AbstractContextManager[None]:
            return _one_at_a_time(resolving, self.acting_as(name)) if name in HTTP_FUNCTIONS else self.acting_as(name)

        self.edge_functions = {
            name: _function(module.lambda_handler, edge_resource_name(name), functools.partial(container, name))
            for name, module in (
                ("webhook", webhook_handler),
                ("registry", registry_handler),
                ("watchdog", watchdog_handler),
                ("redemption", redemption_handler),
            )
        }
        self.api = HttpApi({name: self.edge_functions[name] for name in HTTP_FUNCTIONS})

    def _wire_venue(self, venue: Venue) -> None:
        # The production wiring, on the sandbox clock; each function's own, built with its role's credentials.
        environ, client_id = venue.environ, venue.client_id
        with self.acting_as("prize", client_id):
            engine = dataclasses.replace(engine_from_environment(environ), clock=self.clock)
            erasure = dataclasses.replace(erasure_from_environment(environ), clock=self.clock)
            # Lambda's event-source mapping reads the stream and dead-letters with the function's role.
            prize_reader, prize_sqs = boto3.client("dynamodbstreams"), boto3.client("sqs")
        with self.acting_as("owner_delivery", client_id):
            owner = dataclasses.replace(owner_delivery_from_environment(environ), clock=self.clock)
            outbox_reader, outbox_sqs = boto3.client("dynamodbstreams"), boto3.client("sqs")  # the outbox's mapping
        with self.acting_as("review_followup", client_id):
            steps = scheduled_steps_from_environment(environ)
            steps = ScheduledSteps(
                dataclasses.replace(steps.engine, clock=self.clock), dataclasses.replace(steps.tokens, clock=self.clock)
            )
        with self.acting_as("monthly_report", client_id):
            reporting = dataclasses.replace(reporting_from_environment(environ), clock=self.clock)
        # Each function's container holds its own dependencies: the handler modules are shared by every venue here.
        dependencies: dict[str, Callable[[], list[AbstractContextManager[None]]]] = {
            "prize": lambda: [prize_handler.engine.bound(engine), prize_handler.erasure.bound(erasure)],
            "review_followup": lambda: [followup_handler.steps.bound(steps)],
            "monthly_report": lambda: [report_handler.reporting.bound(reporting)],
            "owner_delivery": lambda: [owner_handler.delivery.bound(owner)],
        }

        @contextmanager
        def container(function: str) -> Iterator[None]:
            with ExitStack() as stack:
                stack.enter_context(self.acting_as(function, client_id))
                for dependency in dependencies[function]():
                    stack.enter_context(dependency)
                yield

        modules = {
            "prize": prize_handler,
            "review_followup": followup_handler,
            "monthly_report": report_handler,
            "owner_delivery": owner_handler,
        }
        venue.functions = {
            name: _function(
                modules[name].lambda_handler, function_name(client_id, name), functools.partial(container, name)
            )
            for name in VENUE_FUNCTIONS
        }
        resources = venue.resources
        venue.stream_pump = StreamPump(
            prize_reader,
            resources.stream_arn,
            consumers=[
                Consumer(
                    function_name(client_id, "prize"),
                    PRIZE_STREAM.filter_pattern,
                    venue.functions["prize"],
                    batch_size=PRIZE_STREAM.batch_size,
                    retry_attempts=PRIZE_STREAM.retry_attempts,
                    dead_letter=sqs_dead_letter(prize_sqs, resources.prize_dlq_url),
                    streams=prize_reader,
                ),
                Consumer(  # the owner's integrations
                    function_name(client_id, "owner_delivery"),
                    OUTBOX_STREAM.filter_pattern,
                    venue.functions["owner_delivery"],
                    batch_size=OUTBOX_STREAM.batch_size,
                    retry_attempts=OUTBOX_STREAM.retry_attempts,
                    dead_letter=sqs_dead_letter(outbox_sqs, resources.outbox_dlq_url),
                    backoff=(0.5, 10.0),  # 30 tries span about 4 minutes
                    streams=outbox_reader,
                ),
            ],
        )
        # Scheduler dead-letters with the schedule's role: the one it invokes review_followup with.
        scheduler_role = f"{resource_name(client_id)}-{venue.roles.schedulers['review_followup']}"
        with self.identities.acting_as(scheduler_role):
            scheduler_sqs = boto3.client("sqs")
        targets = {
            function_name(client_id, name): self._asynchronous(venue, name) for name in resources.failure_queue_urls
        }
        venue.schedule_pump = SchedulePump(
            boto3.client("scheduler"),
            resources.schedule_group,
            targets=targets,
            sqs=scheduler_sqs,
            checked_until=self.clock.now(),
        )
        venue.token_changed = targets[function_name(client_id, "review_followup")]
        venue.token_version = self._token_version(venue)

    def _asynchronous(self, venue: Venue, name: str) -> AsyncFunction:
        """`name` as Scheduler and EventBridge invoke it: asynchronously, with the stack's retries and on-failure queue
        (to which Lambda sends with the function's role)."""
        with self.acting_as(name, venue.client_id):
            sqs = boto3.client("sqs")
        queue_url = venue.resources.failure_queue_urls[name]
        return AsyncFunction(
            arn=venue.resources.function_arn(name),
            invoke=venue.functions[name],
            retry_attempts=SCHEDULED_INVOKE.retry_attempts,
            on_failure=lambda record: sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record)),
        )

    def _token_version(self, venue: Venue) -> int:
        parameter = self.ssm.get_parameter(Name=venue.config.secrets.meta_access_token)["Parameter"]
        return int(parameter["Version"])

    def _token_rule(self) -> None:
        """EventBridge's rule of each venue stack: a new version of the token's parameter (Parameter Store Change,
        Create or Update) runs review_followup's token step."""
        for venue in self.venues:
            version = self._token_version(venue)
            if version != venue.token_version and venue.token_changed is not None:
                venue.token_version = version
                venue.token_changed({"step": "token"})

    def _pump_forever(self) -> None:
        polls = 0
        while not self._stop.wait(STREAM_POLL_SECONDS):
            polls += 1
            try:
                for venue in self.venues:
                    venue.pumps()[0].pump_once()
                if polls % TOKEN_CHECK_EVERY == 0:
                    self._token_rule()
            except Exception:
                log.exception("stream pump failed; retrying")

    # -- the first venue, as the sandbox has always spoken of it ---------------------------------------------
    @property
    def resources(self) -> Resources:
        return self.venues[0].resources

    @property
    def store(self) -> Repositories:
        return self.venues[0].store

    @property
    def functions(self) -> dict[str, Invoke]:
        """The first venue's functions, and the edge's webhook."""
        return {**self.venues[0].functions, "webhook": self.edge_functions["webhook"]}

    # -- controls --------------------------------------------------------------------------------------------
    def refuse_graph_connections(self) -> None:
        """Meta out of reach: the fake Graph API's port stops listening, so every connection to it is refused (a
        request that never reaches Meta) until `accept_graph_connections`."""
        if self._graph_server is not None:
            self._graph_server.shutdown()
            self._graph_server.server_close()
            self._graph_server = None

    def accept_graph_connections(self) -> None:
        """The fake Graph API listens on its port again."""
        if self._graph_server is None:
            port = int(self.graph_url.rsplit(":", 1)[1])
            self._graph_server = _serve(make_server("127.0.0.1", port, self.graph, threaded=True))

    def settle(self, timeout: float = 120.0) -> None:
        """Deliver every stream record written so far (and what their consumers write in turn), in every venue,
        waiting out the pauses between retries of a failing consumer, up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self._token_rule()
            busy = False
            for venue in self.venues:
                pump = venue.pumps()[0]
                busy = bool(pump.pump_once() or pump.waiting()) or busy
            if not busy:
                return
            if time.monotonic() > deadline:
                log.warning("settle: records still waiting after %s s", timeout)
                return
            time.sleep(0.02)

    def advance(self, minutes: float) -> dict[str, Any]:
        """Move the clock on, stopping at each moment a schedule of any venue is due (as real time would) to fire it."""
        target = self.clock.now() + timedelta(minutes=minutes)
        fired: list[str] = []
        while True:
            before = self.clock.now()
            dues = [v.pumps()[1].next_due(before, target) for v in self.venues]
            due = min((d for d in dues if d is not None), default=None)
            # The watchdog's hourly runs until then, one after the other: a run reads the venues and writes only the
            # edge's table and topic, so no venue's schedules or streams change between them (and looking them up
            # again each hour made a long advance slow: months of hours).
            for hour in cron_occurrences(WATCHDOG.expression, UTC_ZONE, before, due or target):
                if hour < (due or target):
                    self.clock.advance(hour - self.clock.now())
                    self._watchdog_rule()
                    fired.append(edge_resource_name(WATCHDOG.name.lower()))
            moment = self.clock.now()
            now = self.clock.advance((due or target) - moment)
            self.settle()
            for venue in self.venues:
                fired += venue.pumps()[1].fire_due(now)  # named tagback-<client-id>-…
            if cron_occurrences(WATCHDOG.expression, UTC_ZONE, moment, now):
                self._watchdog_rule()
                fired.append(edge_resource_name(WATCHDOG.name.lower()))
            self.settle()
            if due is None or now >= target:
                return {"now": now.isoformat(), "fired": fired}

    def _watchdog_rule(self) -> None:
        """The edge's hourly rule: the watchdog, invoked asynchronously (Lambda retries it twice; no on-failure queue:
        the next hour runs it again)."""
        AsyncFunction(
            arn("lambda", f"function:{edge_resource_name('watchdog')}"),
            self.edge_functions["watchdog"],
            retry_attempts=SCHEDULED_INVOKE.retry_attempts,
            on_failure=lambda record: log.error("the watchdog failed: %s", record["responsePayload"]),
        )(json.loads(WATCHDOG.input))

    def alerts(self) -> list[dict[str, str]]:
        """What the agency was told through the alerts topic (from the queue subscribed to it), oldest first; each
        read once."""
        told: list[dict[str, str]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.edge.alerts_inbox_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return told
            for message in messages:
                notification = json.loads(message["Body"])
                told.append({"subject": notification.get("Subject", ""), "message": notification["Message"]})
                self.sqs.delete_message(QueueUrl=self.edge.alerts_inbox_url, ReceiptHandle=message["ReceiptHandle"])

    def replay_dead_letters(self) -> dict[str, ReplayReport]:
        """Every venue's failure queues, each replayed through its function (the first venue's named as before, the
        others' prefixed with their client id)."""
        replayed: dict[str, ReplayReport] = {}
        for venue in self.venues:
            prefix = "" if venue is self.venues[0] else f"{venue.client_id}:"
            resources, functions = venue.resources, venue.functions
            for name, queue_url in sorted(resources.failure_queue_urls.items()):  # Lambda's on-failure records
                replayed[f"{prefix}{name}_failures"] = replay(self.sqs, queue_url, self.streams, functions[name])
            replayed[f"{prefix}prize"] = replay(
                self.sqs,
                resources.prize_dlq_url,
                self.streams,
                functions["prize"],
                filter_pattern=PRIZE_STREAM.filter_pattern,
            )
            replayed[f"{prefix}integrations"] = replay(
                self.sqs,
                resources.outbox_dlq_url,
                self.streams,
                functions["owner_delivery"],
                outbox_item=venue.store.outbox.get,
                filter_pattern=OUTBOX_STREAM.filter_pattern,
            )
        return replayed

    def schedules(self, client_id: str | None = None) -> list[dict[str, Any]]:
        venue = self.venue(client_id)
        scheduler, group = venue.pumps()[1].scheduler, venue.resources.schedule_group
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
        return [
            {key: schedule.get(key) for key in ("Name", "ScheduleExpression", "ActionAfterCompletion")}
            | {"Input": json.loads(schedule["Target"]["Input"])}
            for schedule in (scheduler.get_schedule(Name=n, GroupName=group) for n in sorted(names))
        ]

    def status(self) -> dict[str, Any]:
        return {
            "aws_endpoint": self.aws_endpoint,
            "region": REGION,
            # The operator's keys (an IAM user allowed everything, in this sandbox only): for the CLI and tests.
            "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
            "table": self.resources.table_name,
            "graph_url": self.graph_url,
            "sheets_url": self.google.url,  # the fake Google the first venue's sheet is on (`tagback retention`)
            "client_id": self.config.client_id,
            "ig_account_id": self.config.instagram_account_id,
            "now": self.clock.now().isoformat(),
            "prize_dead_letter_queue": self.resources.prize_dlq_url,
            "integrations_dead_letter_queue": self.resources.outbox_dlq_url,
            "edge_url": self.url,
            "registry_table": self.edge.table_name,
            "clients": [
                {
                    "client_id": v.client_id,
                    "ig_account_id": v.config.instagram_account_id,
                    "table": v.resources.table_name,
                    "outputs": v.resources.outputs(),  # the venue stack's, as `tagback status` reads them
                }
                for v in self.venues
            ],
        }
