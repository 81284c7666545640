"""The venue's Instagram account as Instagram Login sees it, over `requests`: who a token belongs to, subscribing the
account to the app's webhook fields, and issuing tokens (login code → short-lived token → long-lived token → refresh).

Meta documents the token endpoints with the token and the app secret in the query string
(../shared/reference/meta-messaging.md, "Apps, accounts and tokens"). Those URLs must never be written anywhere: a
refused or failed call raises a GraphError carrying Meta's message or the exception's class name only, never a URL,
and urllib3's debug line for each request (which quotes the URL) is redacted below. The other calls send the token
in the Authorization header. Nothing here retries: `tagback connect` is rerun by a person, the refresh runs daily.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from tagback.adapters.meta.graph import HOSTS, refusal
from tagback.domain.messaging import ErrorKind, GraphError

OAUTH_HOST = "https://api.instagram.com"  # Instagram Login's authorization-code exchange


@dataclass(frozen=True)
class AccountIdentity:
    user_id: str  # the Instagram professional account id (webhook deliveries' entry[].id)
    username: str


@dataclass(frozen=True)
class IssuedToken:
    access_token: str = field(repr=False)  # never in a repr, so never in a log line or a test's output
    expires_in_seconds: int | None


class InstagramAccountApi:
    def __init__(
        self,
        *,
        api_version: str,
        graph_url: str | None = None,
        oauth_url: str | None = None,
        timeout: tuple[float, float] = (3.05, 10.0),
    ) -> None:
        self._graph = (graph_url or HOSTS["instagram"]).rstrip("/")
        self._oauth = (oauth_url or OAUTH_HOST).rstrip("/")
        self._version = api_version
        self._timeout = timeout
        self._session = requests.Session()
        # On first use, not at import: importing a module changes nothing outside it.
        urllib3_log = logging.getLogger("urllib3.connectionpool")
        if _REDACT not in urllib3_log.filters:
            urllib3_log.addFilter(_REDACT)

    def me(self, token: str) -> AccountIdentity:
        body = self._call(
            "GET", f"{self._graph}/{self._version}/me", token=token, params={"fields": "user_id,username"}
        )
        user_id, username = body.get("user_id"), body.get("username")
        if not isinstance(user_id, str | int) or not isinstance(username, str):
            raise _unexpected("no user_id or username")
        return AccountIdentity(str(user_id), username)

    def subscribe(self, token: str, fields: Sequence[str]) -> None:
        """Enable the account's webhook deliveries for these fields (Meta answers `{"success": true}`)."""
        body = self._call(
            "POST",
            f"{self._graph}/{self._version}/me/subscribed_apps",
            token=token,
            params={"subscribed_fields": ",".join(fields)},
        )
        if body.get("success") is not True:
            raise _unexpected("the subscription was not confirmed")

    def refresh(self, token: str) -> IssuedToken:
        """A new 60-day token for a long-lived one at least 24 hours old and not expired."""
        body = self._call(
            "GET",
            f"{self._graph}/refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": token},
        )
        return _issued(body)

    def exchange_code(self, code: str, app_id: str, app_secret: str, redirect_uri: str) -> str:
        """The short-lived (1 hour) token for the code Instagram's login redirect carried."""
        body = self._call(
            "POST",
            f"{self._oauth}/oauth/access_token",
            data={
                "client_id": app_id,
                "client_secret": app_secret,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        # Business Login answers {"data": [{"access_token", "user_id", "permissions"}]}; the older API answered
        # {"access_token", "user_id"}.
        data = body.get("data")
        granted = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else body
        token = granted.get("access_token")
        if not isinstance(token, str) or not token:
            raise _unexpected("no access_token")
        return token

    def long_lived(self, short_token: str, app_secret: str) -> IssuedToken:
        """The 60-day token for a short-lived one (server side only: it takes the app secret)."""
        body = self._call(
            "GET",
            f"{self._graph}/access_token",
            params={"grant_type": "ig_exchange_token", "client_secret": app_secret, "access_token": short_token},
        )
        return _issued(body)

    def _call(self, method: str, url: str, *, token: str | None = None, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        try:
            response = self._session.request(method, url, headers=headers, timeout=self._timeout, **kwargs)
        except requests.RequestException as error:
            # The exception's own text quotes the URL (and so the token): its class name only, and no chaining.
            raise GraphError(ErrorKind.TEMPORARY, None, None, None, type(error).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):  # a proxy's or a load balancer's page, not Meta's answer
            raise GraphError(ErrorKind.TEMPORARY, response.status_code, None, None, "the answer is not JSON")
        if not response.ok or "error" in body:
            raise refusal(response.status_code, response.reason, body)
        return body


def _issued(body: dict[str, Any]) -> IssuedToken:
    token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(token, str) or not token:
        raise _unexpected("no access_token")
    return IssuedToken(token, expires_in if isinstance(expires_in, int) and expires_in > 0 else None)


def _unexpected(what: str) -> GraphError:
    return GraphError(ErrorKind.TEMPORARY, 200, None, None, f"unexpected answer: {what}")


_SECRET_IN_QUERY = re.compile(r"((?:access_token|client_secret|code)=)[^&\s\"']+")


class _RedactQuerySecrets(logging.Filter):
    """urllib3 logs each request's URL at DEBUG; the token endpoints carry the token and the app secret there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_IN_QUERY.sub(r"\1***", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_REDACT = _RedactQuerySecrets()
