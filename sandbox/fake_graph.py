"""A fake of Meta's Graph API on loopback: it answers as Meta documents and records every request.

Send API (`POST /<version>/<ig-id>/messages`, Instagram Login; `POST /<version>/me/messages`, Facebook Login)
answers `{"recipient_id", "message_id"}` and, like Meta, fetches an image attachment's URL when the message is
sent; the User Profile API (`GET /<version>/<igsid>?fields=…`) answers the profile. Faults are queued per call
kind and answered in Meta's error shape (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

_SEND = re.compile(r"^/(v\d+\.\d+)/([^/]+)/messages$")
_PROFILE = re.compile(r"^/(v\d+\.\d+)/(\d+)$")
_INSIGHTS = re.compile(r"^/(v\d+\.\d+)/(\d+)/insights$")
IMAGE_LIMIT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Fault:
    status: int
    code: int
    subcode: int | None
    message: str
    error_type: str = "OAuthException"
    delay_seconds: float = 0.0  # answer late (a client with a shorter timeout sees a timeout)


# The errors Meta documents for the Send API (../shared/reference/meta-messaging.md), by the names the sandbox's
# `POST /_sandbox/faults` takes.
FAULTS: dict[str, Fault] = {
    "throttle": Fault(400, 4, None, "(#4) Application request limit reached"),
    "rate_limit": Fault(400, 613, None, "(#613) Calls to this api have exceeded the rate limit."),
    "5xx": Fault(500, 2, None, "An unexpected error has occurred. Please retry your request later."),
    "outside_window": Fault(400, 10, 2018278, "(#10) This message is sent outside of allowed window."),
    "user_unavailable": Fault(400, 551, 1545041, "This person isn't available right now."),
    "token": Fault(400, 190, None, "Invalid OAuth access token - Cannot parse access token"),
    "permission": Fault(403, 200, None, "(#200) Requires instagram_manage_messages permission"),
    "timeout": Fault(200, 0, None, "", delay_seconds=15.0),
}


def _error(
    status: int, code: int, message: str, error_type: str = "OAuthException", subcode: int | None = None
) -> Response:
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code, "fbtrace_id": "AbCdEfSandbox"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Response(json.dumps({"error": error}), status=status, mimetype="application/json")


class FakeGraphApi:
    def __init__(self, access_token: str, account_id: str = "") -> None:
        self.access_token = access_token
        self.account_id = account_id
        # The venue's insights, as `total_value`s; an empty dict answers like an account under 100 followers.
        self.insights: dict[str, int] = {
            "reach": 380,
            "views": 1450,
            "accounts_engaged": 64,
            "profile_links_taps": 9,
            "follows_and_unfollows": 4,
        }
        self.followers = 1180  # grows by `insights["follows_and_unfollows"]` a day, as each snapshot reads it
        self.requests: list[dict[str, Any]] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self.images: dict[str, bytes] = {}  # message id → the image bytes fetched, as Meta would
        self.download: Callable[[str], bytes | None] = _http_get  # the body, or None when the URL is refused
        self._faults: dict[str, list[Fault]] = {"send": [], "profile": []}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def fail_next(self, call: str, *names: str) -> None:
        """Queue faults for the next calls of a kind ("send" or "profile"), by name (see FAULTS)."""
        unknown = [n for n in names if n not in FAULTS]
        if call not in self._faults or unknown:
            raise ValueError(f"call must be send or profile and faults among {sorted(FAULTS)}; got {call} {unknown}")
        with self._lock:
            self._faults[call].extend(FAULTS[name] for name in names)

    def sent_messages(self) -> list[dict[str, Any]]:
        """Messages Meta would have delivered (answered 200), in order."""
        with self._lock:
            return [r for r in self.requests if r["kind"] == "send" and r["status"] == 200]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        insights = _INSIGHTS.match(request.path)
        if insights and request.method == "GET":
            return self._insights(request)
        send, profile = _SEND.match(request.path), _PROFILE.match(request.path)
        kind = (
            "send" if send and request.method == "POST" else "profile" if profile and request.method == "GET" else None
        )
        if kind is None:
            return _error(400, 100, f"Unknown path components: {request.path}", "GraphMethodException")
        body = request.get_json(silent=True) if kind == "send" else None
        with self._lock:
            fault = self._faults[kind].pop(0) if self._faults[kind] else None
        response = self._answer(request, kind, body, fault, profile)
        record: dict[str, Any] = {
            "kind": kind,
            "path": request.path,
            "query": dict(request.args),
            "json": body,
            "status": response.status_code,
        }
        if kind == "send" and response.status_code == 200:
            record["message_id"] = json.loads(response.get_data())["message_id"]
        with self._lock:  # recorded once answered, so readers never see a half-made record
            self.requests.append(record)
        return response

    def _answer(
        self, request: Request, kind: str, body: Any, fault: Fault | None, profile: re.Match[str] | None
    ) -> Response:
        bearer = request.headers.get("Authorization", "")
        if bearer != f"Bearer {self.access_token}" and request.args.get("access_token") != self.access_token:
            return _error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if fault is not None:
            time.sleep(fault.delay_seconds)
            if fault.code:
                return _error(fault.status, fault.code, fault.message, fault.error_type, fault.subcode)
        if kind == "profile":
            assert profile is not None
            guest = profile.group(2)
            fields = [f for f in request.args.get("fields", "name").split(",") if f]
            if guest == self.account_id:  # the venue's own account: its follower total
                known: dict[str, Any] = {"followers_count": self.followers} if self.insights else {}
            else:
                known = self.profiles.get(guest, {"name": f"Guest {guest[-4:]}", "username": f"guest_{guest[-4:]}"})
            return Response(json.dumps({**{f: known.get(f) for f in fields}, "id": guest}), mimetype="application/json")
        recipient = (body or {}).get("recipient", {}).get("id")
        message = (body or {}).get("message")
        if not recipient or not message:
            return _error(400, 100, "(#100) The parameter recipient is required")
        mid = f"m_sandbox_{next(self._ids)}"
        attachment = message.get("attachment") or {}
        if attachment.get("type") == "image":
            image = self._fetch(attachment.get("payload", {}).get("url", ""))
            if image is None:
                return _error(400, 100, "(#100) Upload attachment failure.", subcode=2018047)
            self.images[mid] = image
        return Response(json.dumps({"recipient_id": recipient, "message_id": mid}), mimetype="application/json")

    def _insights(self, request: Request) -> Response:
        """GET /<ig-id>/insights?metric=…&period=day&metric_type=total_value (the follower total is a field)."""
        bearer = request.headers.get("Authorization", "")
        if bearer != f"Bearer {self.access_token}":
            return _error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        wanted = [m for m in request.args.get("metric", "").split(",") if m]
        with self._lock:
            data = [
                {"name": m, "period": "day", "title": m, "total_value": {"value": self.insights[m]}, "id": m}
                for m in wanted
                if m in self.insights
            ]
            self.followers += self.insights.get("follows_and_unfollows", 0)
        return Response(json.dumps({"data": data}), mimetype="application/json")

    def _fetch(self, url: str) -> bytes | None:
        """Meta downloads the attachment when sending: a PNG or JPEG of at most 8 MB."""
        content = self.download(url)
        if content is None or len(content) > IMAGE_LIMIT_BYTES or not content.startswith((b"\x89PNG", b"\xff\xd8")):
            return None
        return content


def _http_get(url: str) -> bytes | None:
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException:
        return None
    return response.content if response.ok else None
