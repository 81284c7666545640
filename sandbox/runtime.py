"""The sandbox: the whole product on 127.0.0.1 with no AWS account.

moto in server mode plays AWS (the table, bucket, queues, SSM parameters and schedule group the stack creates);
a fake Graph API plays Meta; an HTTP adapter turns real requests into API Gateway events for the webhook
function; a stream pump and a schedule pump play Lambda's and EventBridge Scheduler's parts; a manual clock
stands in for time. The functions run in this process with their production code and adapters.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import requests
from aws_lambda_powertools.utilities import parameters
from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from functions.monthly_report import handler as report_handler
from functions.prize import handler as prize_handler
from functions.review_followup import handler as followup_handler
from functions.webhook import handler as webhook_handler
from infra.api_routes import API_ROUTES
from infra.event_sources import OUTBOX_STREAM, PRIZE_STREAM, REPORT_SCHEDULES
from sandbox.apigw import LambdaContext, http_api_event, response_body
from sandbox.fake_google import FakeCrm, FakeGoogle
from sandbox.fake_graph import FakeGraphApi
from sandbox.function_output import FunctionOutput, invoked
from sandbox.schedules import SchedulePump
from sandbox.streams import Consumer, StreamPump, sqs_dead_letter
from tagback.clock import ManualClock
from tagback.config import ClientConfig, load_client_config
from tagback.replay import ReplayReport, replay
from tagback.secrets import ssm_secret
from tagback.store import TTL_ATTRIBUTE, DynamoRepository, table_definition
from tagback.wiring import engine_from_environment, owner_delivery_from_environment

log = logging.getLogger("sandbox")
ROOT = Path(__file__).resolve().parent.parent
REGION, ACCOUNT = "eu-west-1", "123456789012"
# Documented sandbox values (README): not secrets, and never used outside the sandbox.
DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
SANDBOX_ACCESS_TOKEN = "sandbox-access-token"
SANDBOX_SIGNING_KEY = "sandbox-coupon-signing-key"
SANDBOX_CRM_SECRET = "sandbox-crm-webhook-secret"
STREAM_POLL_SECONDS = 0.25


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


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, indent=2, ensure_ascii=False), status=status, mimetype="application/json")


def _function(handler: Callable[[Any, Any], Any], name: str) -> Callable[[dict[str, Any]], Any]:
    """A function as its event source calls it: with a Lambda context, its output going to the function log."""
    call = invoked(handler)
    return lambda event: call(event, LambdaContext(name))


class Sandbox:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.config: ClientConfig = load_client_config(options.config_path)
        self.clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        client_id = self.config.client_id
        # The names the stack gives these resources.
        self.table_name = f"tagback-{client_id}"
        self.bucket = f"tagback-{client_id}-coupons"
        self.schedule_group = f"tagback-{client_id}"
        self.function_names = {
            name: f"tagback-{client_id}-{name.replace('_', '-')}"
            for name in ("webhook", "prize", "review_followup", "monthly_report")
        }
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
                "AWS_ACCESS_KEY_ID": "sandbox",
                "AWS_SECRET_ACCESS_KEY": "sandbox",
            }
        )
        self._create_aws_resources()
        # Bound first (its port goes into the tracked links), served only once the functions are wired.
        adapter = make_server("127.0.0.1", self.options.port, self._adapter, threaded=True)
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
        self._moto.stop()
        for handler in (
            webhook_handler.dependencies,
            prize_handler.engine,
            prize_handler.owner_delivery,
            followup_handler.engine,
            report_handler.dependencies,
        ):
            handler.override(None)
        self._output.__exit__()
        # Powertools keeps one SSM provider (bound to this moto endpoint) and its cached values per process.
        parameters.clear_caches()
        parameters.base.DEFAULT_PROVIDERS.clear()
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

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"

    def _create_aws_resources(self) -> None:
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**table_definition(self.table_name))
        dynamodb.update_time_to_live(
            TableName=self.table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
        )
        secrets = self.config.secrets
        ssm = boto3.client("ssm")
        for name, value in (
            (secrets.meta_app_secret, self.options.app_secret),
            (secrets.meta_verify_token, self.options.verify_token),
            (secrets.meta_access_token, SANDBOX_ACCESS_TOKEN),
            (secrets.coupon_signing_key, SANDBOX_SIGNING_KEY),
        ):
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        integrations = self.config.integrations
        if integrations.google_sheets is not None:
            ssm.put_parameter(
                Name=integrations.google_sheets.service_account_param,
                Type="SecureString",
                Value=json.dumps(self.google.service_account()),
                Overwrite=True,
            )
        if self.config.report.places_api_key_param is not None:
            ssm.put_parameter(
                Name=self.config.report.places_api_key_param,
                Value=self.google.places_key,
                Type="SecureString",
                Overwrite=True,
            )
        if integrations.webhook is not None:
            ssm.put_parameter(
                Name=integrations.webhook.secret_param, Value=SANDBOX_CRM_SECRET, Type="SecureString", Overwrite=True
            )
        # SES sends only from verified identities (in the SES sandbox, to verified ones too).
        ses = boto3.client("ses")
        for address in (self.config.report.sender, *self.config.report.recipients):
            ses.verify_email_identity(EmailAddress=address)
        boto3.client("s3").create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.sqs = boto3.client("sqs")
        self.prize_dlq_url = self.sqs.create_queue(QueueName=f"tagback-{self.config.client_id}-prize-dlq")["QueueUrl"]
        self.outbox_dlq_url = self.sqs.create_queue(QueueName=f"tagback-{self.config.client_id}-integrations-dlq")[
            "QueueUrl"
        ]
        followup_dlq = f"tagback-{self.config.client_id}-followup-dlq"
        self.followup_dlq_url = self.sqs.create_queue(QueueName=followup_dlq)["QueueUrl"]
        scheduler = boto3.client("scheduler")
        scheduler.create_schedule_group(Name=self.schedule_group)
        self.stream_arn = dynamodb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        self.streams = boto3.client("dynamodbstreams")
        self.repository = DynamoRepository(self.table_name)
        self._set_environ(
            {
                "TABLE_NAME": self.table_name,
                "TAGBACK_CLIENT_CONFIG": str(self.options.config_path),
                "TAGBACK_GRAPH_URL": self.graph_url,
                "COUPON_BUCKET": self.bucket,
                "SCHEDULE_GROUP": self.schedule_group,
                "FOLLOWUP_FUNCTION_ARN": self._arn("lambda", f"function:{self.function_names['review_followup']}"),
                "SCHEDULER_ROLE_ARN": self._arn("iam", "role/tagback-scheduler").replace(f":{REGION}:", "::"),
                "FOLLOWUP_DLQ_ARN": self._arn("sqs", followup_dlq),
                "OUTBOX_DLQ_URL": self.outbox_dlq_url,
                "TAGBACK_SHEETS_URL": self.google.url,
                "TAGBACK_WEBHOOK_URL": self.crm_url,
                "REPORT_BUCKET": self.bucket,
                "TAGBACK_PLACES_URL": self.google.url,
            }
        )
        self.schedule_pump = SchedulePump(scheduler, self.schedule_group, sqs=self.sqs, checked_until=self.clock.now())
        report_arn = self._arn("lambda", f"function:{self.function_names['monthly_report']}")
        for recurring in REPORT_SCHEDULES:  # as the stack declares them, in the client's timezone
            scheduler.create_schedule(
                Name=f"{self.schedule_group}-{recurring.name}",
                GroupName=self.schedule_group,
                ScheduleExpression=recurring.expression,
                ScheduleExpressionTimezone=self.config.timezone,
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={
                    "Arn": report_arn,
                    "RoleArn": self._arn("iam", "role/tagback-report-scheduler"),
                    "Input": recurring.input,
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 6 * 3600},
                },
            )

    def _wire_functions(self) -> None:
        webhook_handler.dependencies.override(
            webhook_handler.Dependencies(config=self.config, store=self.repository, secret=ssm_secret, clock=self.clock)
        )
        # The production wiring, on the sandbox clock.
        engine = dataclasses.replace(engine_from_environment(), clock=self.clock)
        prize_handler.engine.override(engine)
        followup_handler.engine.override(engine)
        prize_handler.owner_delivery.override(dataclasses.replace(owner_delivery_from_environment(), clock=self.clock))
        report_handler.dependencies.override(dataclasses.replace(report_handler.from_environment(), clock=self.clock))
        self.functions = {
            name: _function(module.lambda_handler, self.function_names[name])
            for name, module in (
                ("webhook", webhook_handler),
                ("prize", prize_handler),
                ("review_followup", followup_handler),
                ("monthly_report", report_handler),
            )
        }
        self.stream_pump = StreamPump(
            self.streams,
            self.stream_arn,
            consumers=[
                Consumer(
                    self.function_names["prize"],
                    PRIZE_STREAM.filter_pattern,
                    self.functions["prize"],
                    batch_size=PRIZE_STREAM.batch_size,
                    retry_attempts=PRIZE_STREAM.retry_attempts,
                    dead_letter=sqs_dead_letter(self.sqs, self.prize_dlq_url),
                ),
                Consumer(  # the second mapping on the same function: the owner's integrations
                    f"{self.function_names['prize']} (outbox)",
                    OUTBOX_STREAM.filter_pattern,
                    self.functions["prize"],
                    batch_size=OUTBOX_STREAM.batch_size,
                    retry_attempts=OUTBOX_STREAM.retry_attempts,
                    dead_letter=sqs_dead_letter(self.sqs, self.outbox_dlq_url),
                    backoff=(0.5, 10.0),  # 30 tries span about 4 minutes
                ),
            ],
        )
        self.schedule_pump.targets = {
            self.function_names[name]: self.functions[name] for name in ("review_followup", "monthly_report")
        }

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
        return {
            "prize": replay(self.sqs, self.prize_dlq_url, self.streams, self.functions["prize"]),
            "integrations": replay(
                self.sqs,
                self.outbox_dlq_url,
                self.streams,
                self.functions["prize"],
                outbox_item=self.repository.get_outbox,
            ),
        }

    def schedules(self) -> list[dict[str, Any]]:
        scheduler = self.schedule_pump.scheduler
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=self.schedule_group)["Schedules"]]
        return [
            {key: schedule.get(key) for key in ("Name", "ScheduleExpression", "ActionAfterCompletion")}
            | {"Input": json.loads(schedule["Target"]["Input"])}
            for schedule in (scheduler.get_schedule(Name=n, GroupName=self.schedule_group) for n in sorted(names))
        ]

    def status(self) -> dict[str, str]:
        return {
            "aws_endpoint": self.aws_endpoint,
            "region": REGION,
            "table": self.table_name,
            "graph_url": self.graph_url,
            "client_id": self.config.client_id,
            "ig_account_id": self.config.instagram_account_id,
            "now": self.clock.now().isoformat(),
            "prize_dead_letter_queue": self.prize_dlq_url,
            "integrations_dead_letter_queue": self.outbox_dlq_url,
        }

    # -- the HTTP adapter ------------------------------------------------------------------------------------
    def _adapter(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._route(request)(environ, start_response)

    def _control(self, request: Request) -> Response | None:
        match (request.method, request.path):
            case ("GET", "/_sandbox/status"):
                return _json(self.status())
            case ("GET", "/_sandbox/messages"):
                return _json(self.graph.sent_messages())
            case ("GET", "/_sandbox/schedules"):
                return _json(self.schedules())
            case ("GET", "/_sandbox/sheets"):
                return _json(self.google.rows)
            case ("GET", "/_sandbox/webhooks"):
                return _json(self.crm.requests)
            case ("POST", "/_sandbox/clock"):
                minutes = (request.get_json(silent=True) or {}).get("advance_minutes")
                if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes < 0:
                    return _json({"error": 'send {"advance_minutes": N} with N >= 0'}, status=400)
                return _json(self.advance(minutes))
            case ("POST", "/_sandbox/faults"):
                faults = request.get_json(silent=True)
                try:
                    self._faults(faults)
                except (ValueError, TypeError) as error:
                    return _json({"error": str(error)}, status=400)
                return _json({"queued": faults})
            case ("POST", "/_sandbox/replay"):
                return _json({name: dataclasses.asdict(r) for name, r in self.replay_dead_letters().items()})
        return None

    def _faults(self, faults: object) -> None:
        if not isinstance(faults, dict):
            raise ValueError(
                'send {"send": ["throttle", ...], "profile": [...], "sheets": ["503", ...], '
                '"sheets_unavailable_seconds": N, "crm": [500, ...]}'
            )
        for call, value in faults.items():
            if call == "sheets":
                self.google.fail_next(*value)
            elif call == "sheets_unavailable_seconds":
                self.google.unavailable_for(float(value))
            elif call == "crm":
                self.crm.fail_next(*(int(status) for status in value))
            else:
                self.graph.fail_next(call, *value)

    def _route(self, request: Request) -> Response:
        control = self._control(request)
        if control is not None:
            return control
        matched = next(((r, p) for r in API_ROUTES if (p := r.match(request.method, request.path)) is not None), None)
        if matched is None:  # as API Gateway answers an unmatched route
            return _json({"message": "Not Found"}, status=404)
        route, parameters = matched
        event = http_api_event(
            request.method,
            request.path,
            body=request.get_data(),
            headers=dict(request.headers),
            query=request.query_string.decode("latin-1"),
            source_ip=request.remote_addr or "127.0.0.1",
            route=route.path,
            path_parameters=parameters,
        )
        result = self.functions[route.function](event)
        return Response(response_body(result), status=result["statusCode"], headers=result.get("headers") or {})
