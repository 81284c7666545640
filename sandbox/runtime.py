"""The sandbox: the whole product on 127.0.0.1 with no AWS account.

moto in server mode plays AWS (the same table, TTL, SSM parameters and schedule group the stack creates); a fake
Graph API plays Meta; an HTTP adapter turns real requests into API Gateway events for the webhook function; a
stream pump and a schedule pump play Lambda's event sources; a manual clock stands in for time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from functions.webhook import handler as webhook_handler
from infra.api_routes import API_ROUTES
from sandbox.apigw import LambdaContext, http_api_event, response_body
from sandbox.fake_graph import FakeGraphApi
from sandbox.function_output import FunctionOutput, invoked
from sandbox.schedules import SchedulePump
from sandbox.streams import StreamPump
from tagback.clock import ManualClock
from tagback.config import ClientConfig, load_client_config
from tagback.secrets import ssm_secret
from tagback.store import TTL_ATTRIBUTE, DynamoRepository, table_definition

log = logging.getLogger("sandbox")
ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
# Documented sandbox values (README): not secrets, and never used outside the sandbox.
DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
SANDBOX_ACCESS_TOKEN = "sandbox-access-token"
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


def _serve(app: Any, port: int) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"http-{server.port}", daemon=True)
    thread.start()
    return server, thread


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, indent=2, ensure_ascii=False), status=status, mimetype="application/json")


class Sandbox:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.config: ClientConfig = load_client_config(options.config_path)
        self.clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        self.table_name = f"tagback-{self.config.client_id}"
        self.schedule_group = f"tagback-{self.config.client_id}"
        self.graph = FakeGraphApi(SANDBOX_ACCESS_TOKEN)
        self.functions = {"webhook": invoked(webhook_handler.lambda_handler)}
        self.function_log = ROOT / "out" / "sandbox" / "functions.log"
        self._output = FunctionOutput(self.function_log)
        self._servers: list[BaseWSGIServer] = []
        self._stop = threading.Event()
        self._saved_environ: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._output.__enter__()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.aws_endpoint = f"http://{host}:{port}"
        graph_server, _ = _serve(self.graph, 0)
        self._servers.append(graph_server)
        self.graph_url = f"http://127.0.0.1:{graph_server.port}"
        self._set_environ()
        self._create_aws_resources()
        self._wire_functions()
        adapter, _ = _serve(self._adapter, self.options.port)
        self._servers.append(adapter)
        self.url = f"http://127.0.0.1:{adapter.port}"
        threading.Thread(target=self._pump_forever, name="stream-pump", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for server in self._servers:
            server.shutdown()
        self._moto.stop()
        webhook_handler.dependencies.override(None)
        self._output.__exit__()
        for name, value in self._saved_environ.items():
            if value:
                os.environ[name] = value
            else:
                os.environ.pop(name, None)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _set_environ(self) -> None:
        # What Lambda's environment and IAM role give the functions in AWS; boto3 honours AWS_ENDPOINT_URL.
        environ = {
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "TABLE_NAME": self.table_name,
            "TAGBACK_CLIENT_CONFIG": str(self.options.config_path),
        }
        for name, value in environ.items():
            self._saved_environ[name] = os.environ.get(name, "")
            os.environ[name] = value

    def _create_aws_resources(self) -> None:
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**table_definition(self.table_name))
        dynamodb.update_time_to_live(
            TableName=self.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
        secrets = self.config.secrets
        ssm = boto3.client("ssm")
        for name, value in (
            (secrets.meta_app_secret, self.options.app_secret),
            (secrets.meta_verify_token, self.options.verify_token),
            (secrets.meta_access_token, SANDBOX_ACCESS_TOKEN),
        ):
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        boto3.client("scheduler").create_schedule_group(Name=self.schedule_group)
        stream_arn = dynamodb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        self.stream_pump = StreamPump(boto3.client("dynamodbstreams"), stream_arn)
        self.schedule_pump = SchedulePump(boto3.client("scheduler"), self.schedule_group)
        self.repository = DynamoRepository(self.table_name)

    def _wire_functions(self) -> None:
        webhook_handler.dependencies.override(
            webhook_handler.Dependencies(config=self.config, store=self.repository, secret=ssm_secret, clock=self.clock)
        )

    def _pump_forever(self) -> None:
        while not self._stop.wait(STREAM_POLL_SECONDS):
            try:
                self.stream_pump.pump_once()
            except Exception:
                log.exception("stream pump failed; retrying")

    # -- controls --------------------------------------------------------------------------------------------
    def settle(self) -> None:
        """Deliver every stream record written so far (and what their consumers write in turn)."""
        while self.stream_pump.pump_once():
            pass

    def advance(self, minutes: float) -> dict[str, Any]:
        now = self.clock.advance(timedelta(minutes=minutes))
        self.settle()
        fired = self.schedule_pump.fire_due(now)
        self.settle()
        return {"now": now.isoformat(), "fired": fired}

    def status(self) -> dict[str, str]:
        return {
            "aws_endpoint": self.aws_endpoint,
            "region": REGION,
            "table": self.table_name,
            "graph_url": self.graph_url,
            "client_id": self.config.client_id,
            "ig_account_id": self.config.instagram_account_id,
        }

    # -- the HTTP adapter ------------------------------------------------------------------------------------
    def _adapter(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._route(request)(environ, start_response)

    def _route(self, request: Request) -> Response:
        if request.path == "/_sandbox/status" and request.method == "GET":
            return _json(self.status())
        if request.path == "/_sandbox/messages" and request.method == "GET":
            return _json(self.graph.sent_messages())
        if request.path == "/_sandbox/clock" and request.method == "POST":
            minutes = (request.get_json(silent=True) or {}).get("advance_minutes")
            if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes < 0:
                return _json({"error": 'send {"advance_minutes": N} with N >= 0'}, status=400)
            return _json(self.advance(minutes))
        route = next((r for r in API_ROUTES if (r.method, r.path) == (request.method, request.path)), None)
        if route is None:  # as API Gateway answers an unmatched route
            return _json({"message": "Not Found"}, status=404)
        event = http_api_event(
            request.method,
            request.path,
            body=request.get_data(),
            headers=dict(request.headers),
            query=request.query_string.decode("latin-1"),
            source_ip=request.remote_addr or "127.0.0.1",
        )
        result = self.functions[route.function](event, LambdaContext(f"tagback-{route.function}"))
        return Response(response_body(result), status=result["statusCode"], headers=result.get("headers") or {})
