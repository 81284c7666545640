"""A fake of Meta's Graph API on loopback for many venue accounts: it answers as Meta documents and records every
request.

Send API (`POST /<version>/<ig-id>/messages`, Instagram Login: the token must be that account's;
`POST /<version>/me/messages`, Facebook Login: sent as the token's account) answers `{"recipient_id", "message_id"}`
and, like Meta, fetches an image attachment's URL when the message is sent; the User Profile API
(`GET /<version>/<igsid>?fields=…`) answers the profile; account insights per account (shared numbers). The
Conversations API (Instagram Platform, "Get Conversations") lists what each account sent each guest:
`GET /<version>/<ig-id>/conversations?platform=instagram&user_id=<igsid>` (or `me/conversations`) answers the
conversation's id, `GET /<version>/<conversation-id>?fields=messages` its messages (`id`, `created_time`, newest
first), `GET /<version>/<message-id>?fields=id,created_time,from,to,message` one of its 20 most recent messages.

Instagram Login's account and token endpoints (../shared/reference/meta-messaging.md, "Apps, accounts and tokens"):
`GET /<version>/me?fields=user_id,username`, `POST /<version>/me/subscribed_apps`, `GET /refresh_access_token`,
`GET /access_token` (ig_exchange_token) and `POST /oauth/access_token` (api.instagram.com's code exchange, served
here on the same host). Tokens expire (short-lived: 1 hour, long-lived: 60 days, by the injected clock) and are
refused with code 190 once expired or revoked.

Faults are queued per call kind, optionally for one account, and answered in Meta's error shape
(`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`); a send's fault may also deliver the message
and lose its answer (`timeout`: answered late; `gateway_timeout`: a gateway's 504), or drop the connection unanswered
without delivering it (`disconnect`). Sandbox tokens are not secrets: they are recorded with each request.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

_VERSION = r"v\d+\.\d+"
_SEND = re.compile(rf"^/({_VERSION})/([^/]+)/messages$")
_PROFILE = re.compile(rf"^/({_VERSION})/(\d+)$")
_CONVERSATIONS = re.compile(rf"^/({_VERSION})/([^/]+)/conversations$")
_NODE = re.compile(rf"^/({_VERSION})/([cm]_[\w.-]+)$")  # a conversation's or a message's id
DETAILED_MESSAGES = 20  # the Conversations API details only a conversation's 20 most recent messages
_INSIGHTS = re.compile(rf"^/({_VERSION})/(\d+)/insights$")
_ME = re.compile(rf"^/({_VERSION})/me$")
_SUBSCRIBED_APPS = re.compile(rf"^/({_VERSION})/me/subscribed_apps$")
IMAGE_LIMIT_BYTES = 8 * 1024 * 1024

BASIC = "instagram_business_basic"
MESSAGING = "instagram_business_manage_messages"
ALL_PERMISSIONS = (BASIC, MESSAGING)  # what Tagback needs; what `issue_token` grants unless told otherwise
SHORT_LIVED = timedelta(hours=1)
LONG_LIVED = timedelta(days=60)
REFRESHABLE_AFTER = timedelta(hours=24)
CODE_LIFETIME = timedelta(hours=1)  # a login code works once, within the hour
# An endpoint's answer and the venue account the request was made as (None: not known, e.g. an unknown token).
_Handler = Callable[[Request, Any, str | None], tuple[Response, str | None]]


@dataclass(frozen=True)
class Fault:
    status: int
    code: int
    subcode: int | None
    message: str
    error_type: str = "OAuthException"
    delay_seconds: float = 0.0  # answer late (a client with a shorter timeout sees a timeout)
    delivered: bool = False  # a send's message is delivered all the same: only its answer fails
    disconnect: bool = False  # the connection is dropped unanswered (a send's message not delivered)


PERMISSION_MESSAGE = f"(#200) Requires {MESSAGING} permission to manage the object"

# The errors Meta documents for the Send API (../shared/reference/meta-messaging.md), by the names the sandbox's
# `POST /_sandbox/faults` takes.
FAULTS: dict[str, Fault] = {
    "throttle": Fault(400, 4, None, "(#4) Application request limit reached"),
    "rate_limit": Fault(400, 613, None, "(#613) Calls to this api have exceeded the rate limit."),
    "5xx": Fault(500, 2, None, "An unexpected error has occurred. Please retry your request later."),
    "outside_window": Fault(400, 10, 2018278, "(#10) This message is sent outside of allowed window."),
    "user_unavailable": Fault(400, 551, 1545041, "This person isn't available right now."),
    "token": Fault(400, 190, None, "Invalid OAuth access token - Cannot parse access token"),
    "permission": Fault(403, 200, None, PERMISSION_MESSAGE),
    # Delivered, answered late: past the Graph client's 10-second read timeout.
    "timeout": Fault(200, 0, None, "", delay_seconds=15.0, delivered=True),
    # Delivered, but the gateway in front answers 504 without Meta's error body.
    "gateway_timeout": Fault(504, 0, None, "Gateway Timeout", delivered=True),
    # Delivered, and answered with the error Meta's Messenger Platform error codes list for messages "all sent
    # successfully" all the same.
    "invalid_json_reply": Fault(500, 1, 1357046, "Received invalid JSON reply.", delivered=True),
    # The connection is closed before anything is read or answered: nothing delivered.
    "disconnect": Fault(0, 0, None, "", disconnect=True),
}
FAULT_CALLS = ("send", "profile", "conversations")


@dataclass
class _Account:
    username: str


@dataclass
class _Token:
    account_id: str
    issued_at: datetime
    expires_at: datetime
    long_lived: bool
    permissions: frozenset[str]
    revoked: bool = False


@dataclass
class _LoginCode:
    account_id: str
    permissions: frozenset[str]
    expires_at: datetime
    used: bool = False


class _Refused(Exception):
    """An answer in Meta's error shape, raised where the check fails."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _Dropped(Exception):
    """No answer at all: the connection is closed."""


def _error(
    status: int, code: int, message: str, error_type: str = "OAuthException", subcode: int | None = None
) -> Response:
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code, "fbtrace_id": "AbCdEfSandbox"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Response(json.dumps({"error": error}), status=status, mimetype="application/json")


def _oauth_error(message: str) -> Response:
    """api.instagram.com's own error shape: no "error" object, and `code` repeats the HTTP status."""
    body = {"error_type": "OAuthException", "code": 400, "error_message": message}
    return Response(json.dumps(body), status=400, mimetype="application/json")


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), mimetype="application/json")


def _meta_time(moment: datetime) -> str:
    return moment.strftime("%A, %d-%b-%y %H:%M:%S %Z")


class FakeGraphApi:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        # The agency app's credentials the token endpoints check; the sandbox sets them from agency.yaml.
        self.app_id = "990000000000001"
        self.app_secret = "sandbox-meta-app-secret"
        self.redirect_uri: str | None = None  # None: the code exchange accepts any redirect URI
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
        # Each message as delivered (a record like a request's, with its `message_id` and `sent_at`), in order.
        self.delivered: list[dict[str, Any]] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self.images: dict[str, bytes] = {}  # message id → the image bytes fetched, as Meta would
        self.download: Callable[[str], bytes | None] = _http_get  # the body, or None when the URL is refused
        self.subscriptions: dict[str, list[str]] = {}  # account id → the webhook fields it is subscribed to
        self._accounts: dict[str, _Account] = {}
        self._tokens: dict[str, _Token] = {}
        self._codes: dict[str, _LoginCode] = {}
        self._faults: dict[str, list[tuple[str | None, Fault]]] = {call: [] for call in FAULT_CALLS}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- the sandbox's and the tests' controls ---------------------------------------------------------------
    def add_account(self, account_id: str, username: str) -> str:
        """A venue's Instagram professional account; returns a valid long-lived token for it, issued now."""
        with self._lock:
            self._accounts[account_id] = _Account(username)
        return self.issue_token(account_id)

    def issue_token(
        self, account_id: str, *, permissions: Iterable[str] = ALL_PERMISSIONS, short_lived: bool = False
    ) -> str:
        """A token as Meta's app dashboard (long-lived) or a login (short-lived) would give the account."""
        with self._lock:
            return self._issue(account_id, frozenset(permissions), long_lived=not short_lived)

    def login_code(self, account_id: str, *, permissions: Iterable[str] = ALL_PERMISSIONS) -> str:
        """The one-time code Instagram's login redirect would carry after the account granted `permissions`."""
        with self._lock:
            self._known(account_id)
            code = f"sandbox-code-{next(self._ids)}"
            self._codes[code] = _LoginCode(account_id, frozenset(permissions), self._now() + CODE_LIFETIME)
            return code

    def revoke_tokens(self, account_id: str) -> None:
        """Every token of the account is refused (190) from now on; tokens issued later work."""
        with self._lock:
            for token in self._tokens.values():
                if token.account_id == account_id:
                    token.revoked = True

    def fail_next(self, call: str, *names: str, account_id: str | None = None) -> None:
        """Queue faults for the next calls of a kind ("send", "profile" or "conversations", the Conversations API's
        every request), by name (see FAULTS); with `account_id`, only for requests made as that venue account."""
        unknown = [n for n in names if n not in FAULTS]
        if call not in self._faults or unknown:
            raise ValueError(f"calls: {FAULT_CALLS}; faults: {sorted(FAULTS)}; got {call} {unknown}")
        with self._lock:
            self._faults[call].extend((account_id, FAULTS[name]) for name in names)

    def sent_messages(self) -> list[dict[str, Any]]:
        """Messages Meta delivered, in order (each once, however its answer went), each with the venue `account_id`
        it was sent as and the `token` it was sent with."""
        with self._lock:
            return list(self.delivered)

    # -- WSGI ------------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._respond(request)
        except _Dropped:
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)  # the client sees the connection closed, no answer
            start_response("500 Dropped", [])  # never reaches the client: the server's writing fails quietly
            return []
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        kind, handler = self._route(request)
        body = request.get_json(silent=True) if kind == "send" else None
        token = self._presented(request)
        record: dict[str, Any] = {"kind": kind, "path": request.path, "query": dict(request.args), "json": body}
        try:
            response, account_id = handler(request, body, token)
        except _Refused as refused:
            response, account_id = refused.response, self._owner(token)
        except _Dropped:
            record.update(status=None, account_id=self._owner(token), token=token)
            with self._lock:
                self.requests.append(record)
            raise
        record.update(status=response.status_code, account_id=account_id, token=token)
        if kind == "send" and response.status_code == 200:
            record["message_id"] = json.loads(response.get_data())["message_id"]
        with self._lock:  # recorded once answered, so readers never see a half-made record
            self.requests.append(record)
        return response

    def _route(self, request: Request) -> tuple[str, _Handler]:
        path, method = request.path, request.method
        routes: list[tuple[bool, str, _Handler]] = [
            (method == "POST" and path == "/oauth/access_token", "oauth", self._exchange_code),
            (method == "GET" and path == "/access_token", "exchange", self._long_lived),
            (method == "GET" and path == "/refresh_access_token", "refresh", self._refresh),
            (method == "GET" and bool(_ME.match(path)), "me", self._me),
            (method == "POST" and bool(_SUBSCRIBED_APPS.match(path)), "subscribe", self._subscribe),
            (method == "GET" and bool(_INSIGHTS.match(path)), "insights", self._insights),
            (method == "POST" and bool(_SEND.match(path)), "send", self._send),
            (method == "GET" and bool(_PROFILE.match(path)), "profile", self._profile),
            (method == "GET" and bool(_CONVERSATIONS.match(path)), "conversations", self._conversations),
            (method == "GET" and bool(_NODE.match(path)), "conversations", self._conversation_node),
        ]
        for matches, kind, handler in routes:
            if matches:
                return kind, handler
        return "unknown", self._unknown

    # -- tokens ----------------------------------------------------------------------------------------------
    def _issue(self, account_id: str, permissions: frozenset[str], *, long_lived: bool) -> str:
        """Called with the lock held."""
        self._known(account_id)
        now = self._now()
        token = f"sandbox-{'long' if long_lived else 'short'}-{account_id}-{next(self._ids)}"
        self._tokens[token] = _Token(
            account_id, now, now + (LONG_LIVED if long_lived else SHORT_LIVED), long_lived, permissions
        )
        return token

    def _known(self, account_id: str) -> None:
        if account_id not in self._accounts:
            raise ValueError(f"no account {account_id} in the fake Graph API: add_account it first")

    @staticmethod
    def _presented(request: Request) -> str | None:
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            return bearer.removeprefix("Bearer ")
        return request.args.get("access_token") or None

    def _owner(self, token: str | None) -> str | None:
        with self._lock:
            known = self._tokens.get(token or "")
        return known.account_id if known else None

    def _valid(self, token: str | None) -> _Token:
        """The token's grant, or Meta's 190 answer for an unknown, revoked or expired one."""
        now = self._now()
        with self._lock:
            known = self._tokens.get(token or "")
        if known is None:
            raise _Refused(_error(400, 190, "Invalid OAuth access token - Cannot parse access token"))
        if known.revoked:
            message = (
                "Error validating access token: The session has been invalidated because the user changed their "
                "password or Facebook has changed the session for security reasons."
            )
            raise _Refused(_error(400, 190, message, subcode=460))
        if now >= known.expires_at:
            message = (
                f"Error validating access token: Session has expired on {_meta_time(known.expires_at)}. "
                f"The current time is {_meta_time(now)}."
            )
            raise _Refused(_error(400, 190, message, subcode=463))
        return known

    @staticmethod
    def _permitted(grant: _Token, permission: str) -> None:
        if permission not in grant.permissions:
            raise _Refused(_error(403, 200, f"(#200) Requires {permission} permission to manage the object"))

    def _fault(self, call: str, account_id: str) -> Fault | None:
        with self._lock:
            queue = self._faults[call]
            for index, (target, fault) in enumerate(queue):
                if target in (None, account_id):
                    del queue[index]
                    return fault
        return None

    # -- account and token endpoints -------------------------------------------------------------------------
    def _me(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        grant = self._valid(token)
        self._permitted(grant, BASIC)
        with self._lock:
            username = self._accounts[grant.account_id].username
        known = {"user_id": grant.account_id, "username": username}
        fields = [f for f in request.args.get("fields", "id").split(",") if f in known]
        # `id` is the app-scoped id; `user_id` the professional account's id, which webhooks carry.
        return _json({**{f: known[f] for f in fields}, "id": f"app-scoped-{grant.account_id}"}), grant.account_id

    def _subscribe(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        grant = self._valid(token)
        self._permitted(grant, MESSAGING)
        fields = [f for f in (request.values.get("subscribed_fields") or "").split(",") if f]
        if not fields:
            raise _Refused(_error(400, 100, "(#100) The parameter subscribed_fields is required"))
        with self._lock:
            self.subscriptions[grant.account_id] = fields
        return _json({"success": True}), grant.account_id

    def _refresh(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        if request.args.get("grant_type") != "ig_refresh_token":
            raise _Refused(_error(400, 100, "(#100) Unsupported grant_type"))
        grant = self._valid(token)
        # Meta documents the rule ("at least 24 hours old but has not expired"), not its refusal: these are ours.
        if not grant.long_lived:
            raise _Refused(_error(400, 100, "(#100) Only a long-lived access token can be refreshed"))
        if self._now() - grant.issued_at < REFRESHABLE_AFTER:
            raise _Refused(_error(400, 100, "(#100) The access token must be at least 24 hours old to be refreshed"))
        with self._lock:  # the old token stays valid until its own expiry
            fresh = self._issue(grant.account_id, grant.permissions, long_lived=True)
        return self._token_answer(fresh, LONG_LIVED), grant.account_id

    def _long_lived(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        if request.args.get("grant_type") != "ig_exchange_token":
            raise _Refused(_error(400, 100, "(#100) Unsupported grant_type"))
        if request.args.get("client_secret") != self.app_secret:
            raise _Refused(_error(400, 1, "Error validating client secret."))
        grant = self._valid(token)
        if grant.long_lived:
            raise _Refused(_error(400, 100, "(#100) Only a short-lived access token can be exchanged"))
        with self._lock:
            fresh = self._issue(grant.account_id, grant.permissions, long_lived=True)
        return self._token_answer(fresh, LONG_LIVED), grant.account_id

    def _exchange_code(self, request: Request, _body: Any, _token: str | None) -> tuple[Response, str | None]:
        form = request.form
        if form.get("client_id") != self.app_id:
            raise _Refused(_oauth_error("Invalid platform app"))
        if form.get("client_secret") != self.app_secret:
            raise _Refused(_oauth_error("Invalid Client Secret"))
        if form.get("grant_type") != "authorization_code":
            raise _Refused(_oauth_error("Invalid grant_type"))
        if self.redirect_uri is not None and form.get("redirect_uri") != self.redirect_uri:
            raise _Refused(
                _oauth_error(
                    "Error validating verification code. Please make sure your redirect_uri is "
                    "identical to the one you used in the OAuth dialog request"
                )
            )
        with self._lock:
            login = self._codes.get(form.get("code") or "")
            if login is None or self._now() >= login.expires_at:
                raise _Refused(_oauth_error("Invalid authorization code"))
            if login.used:
                raise _Refused(_oauth_error("This authorization code has been used"))
            login.used = True
            token = self._issue(login.account_id, login.permissions, long_lived=False)
        granted = {"access_token": token, "user_id": login.account_id, "permissions": ",".join(login.permissions)}
        return _json({"data": [granted]}), login.account_id

    @staticmethod
    def _token_answer(token: str, lifetime: timedelta) -> Response:
        return _json({"access_token": token, "token_type": "bearer", "expires_in": int(lifetime.total_seconds())})

    # -- messaging and reading -------------------------------------------------------------------------------
    def _send(self, request: Request, body: Any, token: str | None) -> tuple[Response, str | None]:
        grant = self._valid(token)
        sender = _SEND.match(request.path).group(2)  # type: ignore[union-attr]  # routed here because it matched
        # Instagram Login sends as the account in the path, with that account's token; Facebook Login as "me".
        if sender not in ("me", grant.account_id):
            raise _Refused(_error(400, 190, "Invalid OAuth access token - Cannot parse access token"))
        self._permitted(grant, MESSAGING)
        fault = self._fault("send", grant.account_id)
        if fault is not None and not fault.delivered:
            self._answer_fault(fault)
        recipient = (body or {}).get("recipient", {}).get("id")
        message = (body or {}).get("message")
        if not recipient or not message:
            raise _Refused(_error(400, 100, "(#100) The parameter recipient is required"))
        mid = f"m_sandbox_{next(self._ids)}"
        attachment = message.get("attachment") or {}
        if attachment.get("type") == "image":
            image = self._fetch(attachment.get("payload", {}).get("url", ""))
            if image is None:
                raise _Refused(_error(400, 100, "(#100) Upload attachment failure.", subcode=2018047))
            self.images[mid] = image
        delivered = {
            "kind": "send",
            "path": request.path,
            "query": dict(request.args),
            "json": body,
            "status": 200,
            "account_id": grant.account_id,
            "token": token,
            "message_id": mid,
            "sent_at": self._now().isoformat(),  # JSON, as `/_sandbox/messages` shows it
        }
        with self._lock:
            self.delivered.append(delivered)
        if fault is not None:  # delivered, and now its answer fails
            self._answer_fault(fault)
        return _json({"recipient_id": recipient, "message_id": mid}), grant.account_id

    def _profile(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        grant = self._valid(token)
        self._injected("profile", grant.account_id)
        guest = _PROFILE.match(request.path).group(2)  # type: ignore[union-attr]  # routed here because it matched
        fields = [f for f in request.args.get("fields", "name").split(",") if f]
        with self._lock:
            venue = guest in self._accounts
        if venue:  # a venue's own account: its follower total
            known: dict[str, Any] = {"followers_count": self.followers} if self.insights else {}
        else:
            known = self.profiles.get(guest, {"name": f"Guest {guest[-4:]}", "username": f"guest_{guest[-4:]}"})
        return _json({**{f: known.get(f) for f in fields}, "id": guest}), grant.account_id

    def _insights(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        """GET /<ig-id>/insights?metric=…&period=day&metric_type=total_value (the follower total is a field)."""
        grant = self._valid(token)
        wanted = [m for m in request.args.get("metric", "").split(",") if m]
        with self._lock:
            data = [
                {"name": m, "period": "day", "title": m, "total_value": {"value": self.insights[m]}, "id": m}
                for m in wanted
                if m in self.insights
            ]
            self.followers += self.insights.get("follows_and_unfollows", 0)
        return _json({"data": data}), grant.account_id

    def _conversations(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        """GET /<ig-id>/conversations (or me/conversations)?platform=instagram[&user_id=<igsid>]."""
        grant = self._valid(token)
        owner = _CONVERSATIONS.match(request.path).group(2)  # type: ignore[union-attr]  # routed here: it matched
        if owner not in ("me", grant.account_id):
            raise _Refused(_error(400, 100, f"(#100) Unsupported get request. Object with ID '{owner}' does not exist"))
        self._permitted(grant, BASIC)
        self._permitted(grant, MESSAGING)
        self._injected("conversations", grant.account_id)
        guest = request.args.get("user_id")
        with self._lock:
            mine = [m for m in self.delivered if m["account_id"] == grant.account_id]
        latest: dict[str, str] = {}
        for message in mine:  # oldest first: the last seen is the latest
            latest[message["json"]["recipient"]["id"]] = message["sent_at"]
        if guest is not None:
            found = [{"id": _conversation_id(grant.account_id, guest)}] if guest in latest else []
        else:
            found = [
                {"id": _conversation_id(grant.account_id, g), "updated_time": _graph_time(at)}
                for g, at in sorted(latest.items(), key=lambda item: datetime.fromisoformat(item[1]), reverse=True)
            ]
        return _json({"data": found}), grant.account_id

    def _conversation_node(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        """GET /<conversation-id>?fields=messages, or /<message-id>?fields=id,created_time,from,to,message."""
        grant = self._valid(token)
        self._permitted(grant, MESSAGING)
        self._injected("conversations", grant.account_id)
        node = _NODE.match(request.path).group(2)  # type: ignore[union-attr]  # routed here because it matched
        with self._lock:
            mine = [m for m in self.delivered if m["account_id"] == grant.account_id]
            usernames = {a: account.username for a, account in self._accounts.items()}
        missing = _error(
            400, 100, f"Unsupported get request. Object with ID '{node}' does not exist", "GraphMethodException", 33
        )
        if node.startswith("c_"):
            talk = [m for m in mine if _conversation_id(grant.account_id, m["json"]["recipient"]["id"]) == node]
            if not talk:
                raise _Refused(missing)
            listed = [{"id": m["message_id"], "created_time": _graph_time(m["sent_at"])} for m in reversed(talk)]
            return _json({"messages": {"data": listed}, "id": node}), grant.account_id
        message = next((m for m in mine if m["message_id"] == node), None)
        if message is None:
            raise _Refused(missing)
        guest = message["json"]["recipient"]["id"]
        talk = [m for m in mine if m["json"]["recipient"]["id"] == guest]
        if message not in talk[-DETAILED_MESSAGES:]:
            raise _Refused(_error(400, 100, "(#100) This message has been deleted"))
        known = {
            "id": node,
            "created_time": _graph_time(message["sent_at"]),
            "from": {"username": usernames.get(grant.account_id, ""), "id": grant.account_id},
            "to": {"data": [{"username": f"guest_{guest[-4:]}", "id": guest}]},
            "message": message["json"]["message"].get("text", ""),
        }
        fields = [f for f in request.args.get("fields", "id").split(",") if f in known]
        return _json({**{f: known[f] for f in fields}, "id": node}), grant.account_id

    def _unknown(self, request: Request, _body: Any, token: str | None) -> tuple[Response, str | None]:
        message = f"Unknown path components: {request.path}"
        return _error(400, 100, message, "GraphMethodException"), self._owner(token)

    def _injected(self, call: str, account_id: str) -> None:
        fault = self._fault(call, account_id)
        if fault is not None:
            self._answer_fault(fault)

    @staticmethod
    def _answer_fault(fault: Fault) -> None:
        """Answer as the fault says: late, with Meta's error, a gateway's bare error, or not at all."""
        if fault.disconnect:
            raise _Dropped
        time.sleep(fault.delay_seconds)
        if fault.code:
            raise _Refused(_error(fault.status, fault.code, fault.message, fault.error_type, fault.subcode))
        if fault.status != 200:
            raise _Refused(Response(fault.message, status=fault.status, mimetype="text/html"))

    def _fetch(self, url: str) -> bytes | None:
        """Meta downloads the attachment when sending: a PNG or JPEG of at most 8 MB."""
        content = self.download(url)
        if content is None or len(content) > IMAGE_LIMIT_BYTES or not content.startswith((b"\x89PNG", b"\xff\xd8")):
            return None
        return content


def _conversation_id(account_id: str, guest_id: str) -> str:
    return f"c_{account_id}_{guest_id}"


def _graph_time(moment: str) -> str:
    """A recorded time as the Graph API writes it by default: ISO 8601 with a +0000 offset."""
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _http_get(url: str) -> bytes | None:
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException:
        return None
    return response.content if response.ok else None
