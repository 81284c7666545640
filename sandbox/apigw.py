"""API Gateway HTTP API (payload format 2.0) in miniature: what the edge's API hands its webhook function.

`http_api_event` builds the event from a request's parts, as API Gateway does: lower-cased headers, the
query string parsed, and a body that is text when it decodes as UTF-8 and base64 otherwise. `HttpApi` routes real
requests to the functions by the edge's routes, each throttled by its own limit as the stack sets it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from infra.api_routes import API_ROUTES, Route, Throttle


def http_api_event(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
    force_base64: bool = False,
    route: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`route` is the route's template (`/l/{token}`); by default the path itself."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    try:
        text = None if force_base64 else body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route or path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "sandbox",
            "domainName": lowered.get("host", "localhost"),
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {route or path}",
            "stage": "$default",
            "time": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(datetime.now(UTC).timestamp() * 1000),
        },
        "isBase64Encoded": text is None,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
    return event


def response_body(response: Mapping[str, Any]) -> bytes:
    body = response.get("body") or ""
    return base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode("utf-8")


class TokenBucket:
    """API Gateway's throttle of one route: `burst` requests at once, refilled at `rate` a second."""

    def __init__(self, throttle: Throttle, seconds: Callable[[], float]) -> None:
        self.throttle = throttle
        self._seconds = seconds
        self._tokens = float(throttle.burst)
        self._at = seconds()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Whether a request may pass now (it takes a token)."""
        with self._lock:
            now = self._seconds()
            self._tokens = min(self.throttle.burst, self._tokens + (now - self._at) * self.throttle.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass
class HttpApi:
    """The stack's HTTP API: a request on one of its routes (infra/api_routes.py) goes to the route's function as
    API Gateway's event, and the function's answer back; any other request gets API Gateway's 404, and one over its
    route's limit API Gateway's 429 (on the wall clock, as API Gateway's: the sandbox's clock only moves when told)."""

    functions: Mapping[str, Callable[[dict[str, Any]], Any]]  # service name → the function, as Lambda invokes it
    seconds: Callable[[], float] = time.monotonic
    buckets: dict[Route, TokenBucket] = field(init=False)

    def __post_init__(self) -> None:
        self.buckets = {route: TokenBucket(route.throttle, self.seconds) for route in API_ROUTES}

    def __call__(self, request: Request) -> Response:
        matched = next(((r, p) for r in API_ROUTES if (p := r.match(request.method, request.path)) is not None), None)
        if matched is None:
            return Response(json.dumps({"message": "Not Found"}), status=404, mimetype="application/json")
        route, parameters = matched
        if not self.buckets[route].take():
            return Response(json.dumps({"message": "Too Many Requests"}), status=429, mimetype="application/json")
        # API Gateway tells the function how the client reached it (X-Forwarded-*): here, plain HTTP on loopback.
        forwarded = {
            "X-Forwarded-Proto": request.scheme,
            "X-Forwarded-Port": str(request.server[1] if request.server and request.server[1] else ""),
            "X-Forwarded-For": request.remote_addr or "127.0.0.1",
        }
        event = http_api_event(
            request.method,
            request.path,
            body=request.get_data(),
            headers=dict(request.headers) | forwarded,
            query=request.query_string.decode("latin-1"),
            source_ip=request.remote_addr or "127.0.0.1",
            route=route.path,
            path_parameters=parameters,
        )
        result = self.functions[route.function](event)
        return Response(response_body(result), status=result["statusCode"], headers=result.get("headers") or {})


@dataclass
class LambdaContext:
    """What Powertools reads from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_seconds: float = 120.0
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return int((self.started + self.timeout_seconds - time.monotonic()) * 1000)
