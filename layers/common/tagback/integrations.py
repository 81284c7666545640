"""Owner integrations: every award, captured contact and redeemed coupon, delivered to the owner's sinks.

The engine writes an *outbox* item; the table's stream brings it to `deliver`, which calls each configured sink
and records each success on the item, so a redelivered record skips the sinks already done. A sink's transient
failure (429, 5xx, timeouts) raises `SinkUnavailable` and the stream retries the record with backoff; a permanent
one (403, 404, other 4xx) is returned, so the caller can log what to fix and dead-letter the record at once.
The guest's DM never waits for any of this.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import requests

SHEETS_API = "https://sheets.googleapis.com"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
HEADER = ["Row ID", "Event", "Date and time", "Display name", "Prize", "Coupon code", "Language", "Email", "Phone"]
_TIMEOUT = (3.05, 10.0)


@dataclass(frozen=True)
class OutboxEvent:
    event_id: str  # also the receivers' dedupe key and the sheet's row id
    event_type: str  # "award", "contact" or "redemption"
    occurred_at: datetime
    guest_id: str
    display_name: str | None = None  # the profile's name, never the @handle
    prize: str | None = None
    coupon_code: str | None = None
    language: str | None = None
    email: str | None = None  # only when the guest consented
    phone: str | None = None


class SinkUnavailable(Exception):
    """Transient: the stream retries the record later."""


class SinkRefused(Exception):
    """Permanent: retrying cannot help; `fix` says what the operator should do."""

    def __init__(self, sink: str, message: str, fix: str) -> None:
        self.sink, self.fix = sink, fix
        super().__init__(f"{sink}: {message}")


class Sink(Protocol):
    name: str

    def deliver(self, event: OutboxEvent) -> None: ...


class OutboxStore(Protocol):
    def outbox_delivered(self, event_id: str) -> set[str]: ...
    def mark_outbox_delivered(self, event_id: str, sink: str, at: datetime) -> None: ...


def deliver(event: OutboxEvent, sinks: list[Sink], store: OutboxStore, now: datetime) -> list[SinkRefused]:
    """Deliver to every sink not done yet. Raises SinkUnavailable (after recording the sinks that succeeded)."""
    done = store.outbox_delivered(event.event_id)
    refused: list[SinkRefused] = []
    for sink in sinks:
        if sink.name in done:
            continue
        try:
            sink.deliver(event)
        except SinkRefused as error:
            refused.append(error)
            continue
        store.mark_outbox_delivered(event.event_id, sink.name, now)
    return refused


def _status_error(sink: str, response: requests.Response, fix: str) -> Exception:
    if response.status_code in (408, 429) or response.status_code >= 500:
        return SinkUnavailable(f"{sink}: HTTP {response.status_code}")
    return SinkRefused(sink, f"HTTP {response.status_code}: {response.text[:200]}", fix)


def _cell(value: str | None) -> str:
    """A value as the sheet should show it: text starting with = + - @ would be read as a formula."""
    text = value or ""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class GoogleSheetsSink:
    name = "google_sheets"

    def __init__(
        self,
        *,
        spreadsheet_id: str,
        sheet: str,
        service_account: dict[str, Any],
        tz: ZoneInfo,
        base_url: str = SHEETS_API,
    ) -> None:
        self.spreadsheet_id, self.sheet, self.tz = spreadsheet_id, sheet, tz
        self._service_account = service_account
        self._values = f"{base_url.rstrip('/')}/v4/spreadsheets/{spreadsheet_id}/values"

    @cached_property
    def session(self) -> Any:
        from google.auth.transport.requests import AuthorizedSession  # noqa: PLC0415 - only sheets need it
        from google.oauth2 import service_account  # noqa: PLC0415

        credentials = service_account.Credentials.from_service_account_info(
            self._service_account, scopes=[SHEETS_SCOPE]
        )
        return AuthorizedSession(credentials)  # fetches and refreshes the OAuth token itself

    def _fix(self) -> str:
        email = self._service_account.get("client_email", "the service account")
        return (
            f"share the spreadsheet {self.spreadsheet_id} with {email} as Editor, and check "
            f"integrations.google_sheets.spreadsheet_id and .sheet ({self.sheet!r})"
        )

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        from google.auth.exceptions import RefreshError, TransportError  # noqa: PLC0415

        try:
            response = self.session.request(method, url, timeout=_TIMEOUT, **kwargs)
        except (requests.RequestException, TransportError) as error:
            raise SinkUnavailable(f"{self.name}: {type(error).__name__}") from None
        except RefreshError as error:
            raise SinkRefused(
                self.name,
                f"the service account cannot sign in: {error}",
                "check the key JSON in SSM (integrations.google_sheets.service_account_param)",
            ) from None
        if not response.ok:
            raise _status_error(self.name, response, self._fix())
        return dict(response.json())

    def row(self, event: OutboxEvent) -> list[str]:
        local = event.occurred_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return [
            _cell(v)
            for v in (
                event.event_id,
                event.event_type,
                local,
                event.display_name,
                event.prize,
                event.coupon_code,
                event.language,
                event.email,
                event.phone,
            )
        ]

    def deliver(self, event: OutboxEvent) -> None:
        first_row = self._call("GET", f"{self._values}/{self.sheet}!A1:I1")
        rows = [self.row(event)]
        if not first_row.get("values"):
            rows.insert(0, HEADER)  # an empty sheet gets its header once
        self._call(
            "POST",
            f"{self._values}/{self.sheet}!A1:append",
            params={"valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS"},
            json={"values": rows},
        )


def webhook_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSink:
    """POSTs the event as JSON, signed (`X-Tagback-Signature`), with a delivery id for the receiver's dedupe."""

    name = "webhook"

    def __init__(self, *, url: str, secret: str, client_id: str) -> None:
        self.url, self._secret, self.client_id = url, secret, client_id
        self._session = requests.Session()

    def deliver(self, event: OutboxEvent) -> None:
        document = {"client_id": self.client_id, **asdict(event), "occurred_at": event.occurred_at.isoformat()}
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Tagback-Signature": webhook_signature(body, self._secret),
            "X-Tagback-Delivery": event.event_id,
            "X-Tagback-Event": event.event_type,
        }
        try:
            response = self._session.post(self.url, data=body, headers=headers, timeout=_TIMEOUT)
        except requests.RequestException as error:
            raise SinkUnavailable(f"{self.name}: {type(error).__name__}") from None
        if not response.ok:
            raise _status_error(self.name, response, f"check integrations.webhook.url ({self.url}) and its secret")
