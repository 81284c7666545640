"""AWS failing as AWS does, at the wire: the functions' botocore requests answered with AWS's own errors, so botocore
parses and retries them as it would AWS's (its retry handler sees them after the send), and what it gives up on
reaches the product code as a real `ClientError`.

Only requests signed with a role's keys (a function's) are answered with a fault: the operator's (the sandbox's
own work, the bench's and the tests' reads) go through. Faults are counted, not timed: "the next N conditional
writes are throttled". A function's process can also be killed at its Nth request (`FunctionKilled`: a
BaseException, so no handler's `except Exception` swallows it, as nothing in a process survives SIGKILL); the
sandbox's function wrapper turns it into the failed invocation Lambda reports to the event source, which retries the
whole batch.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.endpoint import Endpoint
from urllib3 import HTTPHeaderDict

from sandbox.iam import acting_role

CONDITIONAL_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
# DynamoDB's answer to a request over a partition's or table's throughput (its API reference, "Common Errors" and
# PutItem's "Errors": HTTP 400), which botocore retries (up to 10 attempts for DynamoDB) before raising it.
THROTTLED_WRITE = (
    400,
    {"Content-Type": "application/x-amz-json-1.0"},
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing "
        "your provisioning level with the UpdateTable API.",
    },
)
# EventBridge Scheduler's CreateSchedule "InternalServerException": HTTP 500 (its API reference, "Errors").
SCHEDULER_FAILURE = (
    500,
    {"Content-Type": "application/json", "x-amzn-ErrorType": "InternalServerException"},
    {"Message": "Unexpected error occurred while processing the request."},
)


class FunctionKilled(BaseException):
    """The function's process died mid-invocation (out of memory, the sandbox's kill)."""


class _Body:
    """What AWSResponse reads a body from (urllib3's response in botocore's own session)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _answer(request: AWSRequest, fault: tuple[int, dict[str, str], dict[str, str]]) -> AWSResponse:
    status, headers, body = fault
    return AWSResponse(request.url, status, HTTPHeaderDict(headers), _Body(json.dumps(body).encode()))


def is_conditional_write(request: AWSRequest) -> bool:
    """DynamoDB's JSON protocol names the operation in a header; a conditional write carries its condition."""
    target = request.headers.get("X-Amz-Target", "")
    target = target.decode() if isinstance(target, bytes) else target
    body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
    return (
        target.startswith("DynamoDB_")
        and target.rsplit(".", 1)[-1] in CONDITIONAL_WRITES
        and b"ConditionExpression" in body
    )


def is_create_schedule(request: AWSRequest) -> bool:
    """Scheduler's REST protocol: CreateSchedule is `POST /schedules/<name>` (update PUT, delete DELETE)."""
    return request.method == "POST" and urlsplit(request.url).path.startswith("/schedules/")


@dataclass
class AwsFaults:
    """The faults queued, by kind; installed over botocore's send for as long as a sandbox runs."""

    operator_key: str  # the operator's access key id: its requests are never faulted
    throttled_writes: int = 0
    failed_schedule_creations: int = 0
    kill_after: dict[str, int] = field(default_factory=dict)  # role → requests until its process is killed
    answered: dict[str, int] = field(default_factory=dict)  # what was injected, by kind: for reports
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _send: Callable[[Endpoint, AWSRequest], AWSResponse] | None = None

    def install(self) -> None:
        self._send = Endpoint._send
        faults, send = self, Endpoint._send

        def send_or_fail(endpoint: Endpoint, request: AWSRequest) -> AWSResponse:
            return faults._fault(request) or send(endpoint, request)

        Endpoint._send = send_or_fail

    def uninstall(self) -> None:
        if self._send is not None:
            Endpoint._send = self._send
            self._send = None

    def throttle_writes(self, count: int) -> None:
        """The next `count` conditional writes any function makes are throttled."""
        with self._lock:
            self.throttled_writes += count

    def fail_schedule_creations(self, count: int) -> None:
        """The next `count` CreateSchedule calls answer InternalServerException."""
        with self._lock:
            self.failed_schedule_creations += count

    def kill(self, role: str, after_requests: int) -> None:
        """The function acting as `role` dies at its `after_requests`-th AWS request from now (counting from 1)."""
        with self._lock:
            self.kill_after[role] = after_requests

    def _fault(self, request: AWSRequest) -> AWSResponse | None:
        role = acting_role()  # set in the invoking thread only: a kill counts the function's own requests
        authorization = request.headers.get("Authorization", b"")
        authorization = authorization.decode() if isinstance(authorization, bytes) else str(authorization)
        if f"Credential={self.operator_key}/" in authorization:
            return None
        with self._lock:
            if role is not None and role in self.kill_after:
                self.kill_after[role] -= 1
                if self.kill_after[role] <= 0:
                    del self.kill_after[role]
                    self._count("killed")
                    raise FunctionKilled(f"{role}: the process was killed")
            if self.throttled_writes and is_conditional_write(request):
                self.throttled_writes -= 1
                self._count("throttled_writes")
                return _answer(request, THROTTLED_WRITE)
            if self.failed_schedule_creations and is_create_schedule(request):
                self.failed_schedule_creations -= 1
                self._count("failed_schedule_creations")
                return _answer(request, SCHEDULER_FAILURE)
        return None

    def _count(self, kind: str) -> None:
        self.answered[kind] = self.answered.get(kind, 0) + 1
