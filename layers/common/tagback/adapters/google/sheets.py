"""The owner's live Google Sheet: a row per award, captured contact and redeemed coupon, appended by a service
account (OAuth through google-auth); an erased guest's rows blanked. A 429 or 5xx is worth a retry; a 403 or 404 is
for the operator to fix."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tagback.adapters.sinks import TIMEOUT, status_error
from tagback.domain.erasure import GUEST_ERASED
from tagback.domain.events import OutboxEvent, SinkRefused, SinkUnavailable

SHEETS_API = "https://sheets.googleapis.com"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
HEADER = ["Row ID", "Event", "Date and time", "Display name", "Prize", "Coupon code", "Language", "Email", "Phone"]


def _cell(value: str | None) -> str:
    """A value as the sheet should show it: text starting with = + - @ would be read as a formula."""
    text = value or ""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def guest_rows(rows: list[list[str]], erased: OutboxEvent) -> list[int]:
    """The numbers (from 1) of the rows that are the erased guest's, found as the sink wrote them: a Row ID (the
    outbox event's id) that names the guest (`award-<guest>_<period>`, `contact-<guest>-…`), their email or phone,
    and the redemptions of their coupons (by code). Not by display name: names are not unique."""
    names_guest = re.compile(rf"(?:^|[-_]){re.escape(erased.guest_id)}(?:[-_]|$)")
    contacts = {value.casefold() for value in (erased.email, erased.phone) if value}

    def cell(row: list[str], column: int) -> str:
        return str(row[column]).removeprefix("'") if len(row) > column else ""  # `'`: how _cell kept it text

    theirs = {
        number
        for number, row in enumerate(rows, start=1)
        if names_guest.search(cell(row, 0)) or {cell(row, 7).casefold(), cell(row, 8).casefold()} & contacts
    }
    codes = {cell(rows[number - 1], 5) for number in theirs} - {""}
    theirs |= {number for number, row in enumerate(rows, start=1) if cell(row, 5) in codes}
    return sorted(theirs)


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
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except (requests.RequestException, TransportError) as error:
            raise SinkUnavailable(f"{self.name}: {type(error).__name__}") from None
        except RefreshError as error:
            raise SinkRefused(
                self.name,
                f"the service account cannot sign in: {error}",
                "check the key JSON in SSM (integrations.google_sheets.service_account_param)",
            ) from None
        if not response.ok:
            raise status_error(self.name, response, self._fix())
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
        if event.event_type == GUEST_ERASED:
            self._blank_rows_of(event)
            return
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

    def _blank_rows_of(self, erased: OutboxEvent) -> None:
        """Blank the erased guest's rows (`values.batchClear`): blanked rather than deleted, so no other row moves
        between the read and the write, and a repeat finds nothing left to clear."""
        rows = self._call("GET", f"{self._values}/{self.sheet}!A:I").get("values", [])
        numbers = guest_rows(rows, erased)
        if numbers:
            ranges = [f"{self.sheet}!A{number}:I{number}" for number in numbers]
            self._call("POST", f"{self._values}:batchClear", json={"ranges": ranges})
