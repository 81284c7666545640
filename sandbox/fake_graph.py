"""A fake of Meta's Graph API on loopback: it answers as Meta documents and records every request.

Send API (`POST /<version>/<ig-id>/messages` with a Bearer token, Instagram Login; `POST /<version>/me/messages`
with `access_token`, Facebook Login) answers `{"recipient_id", "message_id"}`; the User Profile API
(`GET /<version>/<igsid>?fields=…`) answers the profile. Faults are queued with `fail_next` and answered in
Meta's error shape (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

_SEND = re.compile(r"^/(v\d+\.\d+)/([^/]+)/messages$")
_PROFILE = re.compile(r"^/(v\d+\.\d+)/(\d+)$")


@dataclass(frozen=True)
class Fault:
    status: int
    code: int
    subcode: int | None = None
    message: str = "(#10) This message is sent outside of allowed window."
    error_type: str = "OAuthException"


def _error(
    status: int, code: int, message: str, error_type: str = "OAuthException", subcode: int | None = None
) -> Response:
    error: dict[str, Any] = {
        "message": message,
        "type": error_type,
        "code": code,
        "fbtrace_id": "AbCdEfSandbox",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return Response(json.dumps({"error": error}), status=status, mimetype="application/json")


class FakeGraphApi:
    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.requests: list[dict[str, Any]] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def sent_messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["kind"] == "send"]

    def _authorised(self, request: Request) -> bool:
        bearer = request.headers.get("Authorization", "")
        return bearer == f"Bearer {self.access_token}" or request.args.get("access_token") == self.access_token

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._respond(request)(environ, start_response)

    def _respond(self, request: Request) -> Response:
        send, profile = _SEND.match(request.path), _PROFILE.match(request.path)
        kind = (
            "send" if send and request.method == "POST" else "profile" if profile and request.method == "GET" else None
        )
        if kind is None:
            return _error(400, 100, f"Unknown path components: {request.path}", "GraphMethodException")
        body = request.get_json(silent=True) if kind == "send" else None
        with self._lock:
            self.requests.append({"kind": kind, "path": request.path, "query": dict(request.args), "json": body})
            fault = self._faults.pop(0) if self._faults else None
        if not self._authorised(request):
            return _error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if fault is not None:
            return _error(fault.status, fault.code, fault.message, fault.error_type, fault.subcode)
        if kind == "send":
            recipient = (body or {}).get("recipient", {}).get("id")
            if not recipient or not ((body or {}).get("message") or (body or {}).get("sender_action")):
                return _error(400, 100, "(#100) The parameter recipient is required", "OAuthException")
            return Response(
                json.dumps({"recipient_id": recipient, "message_id": f"m_sandbox_{next(self._ids)}"}),
                mimetype="application/json",
            )
        assert profile is not None
        guest = profile.group(2)
        fields = [f for f in request.args.get("fields", "name").split(",") if f]
        known = self.profiles.get(guest, {"name": f"Guest {guest[-4:]}", "username": f"guest_{guest[-4:]}"})
        return Response(json.dumps({**{f: known.get(f) for f in fields}, "id": guest}), mimetype="application/json")
