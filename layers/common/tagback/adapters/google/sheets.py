"""The owner's live Google Sheet: a row per award, captured contact, answer to the venue's questions and redeemed
coupon, appended by a service account (OAuth through google-auth); the rows older than the client's retention
deleted on the operator's command; an erased guest's rows blanked. A 429 or 5xx is worth a retry; a 403 or 404 is
for the operator to fix.

Values are appended RAW: Google stores each as the text it is, never parsing it into a formula, number or date (so
a display name like "0042" or "1/2" stays as typed). Each cell is still `safe_cell`: the owner downloads the sheet as
CSV and opens it in Excel, which would read a leading "=" there."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property
from string import ascii_uppercase
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tagback.adapters.sinks import TIMEOUT, status_error
from tagback.domain.erasure import GUEST_ERASED
from tagback.domain.events import OutboxEvent, SinkRefused, SinkUnavailable
from tagback.domain.retention import Purged
from tagback.domain.spreadsheets import safe_cell

SHEETS_API = "https://sheets.googleapis.com"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
# New columns go at the end, so a sheet that has rows already keeps its layout.
HEADER = [
    "Row ID",
    "Event",
    "Date and time",
    "Display name",
    "Prize",
    "Coupon code",
    "Language",
    "Email",
    "Phone",
    "Consent channel",
    "Consent version",
    "Consent time",
    "Table",
    "Question",
    "Answer",
]
DATE_COLUMN = ascii_uppercase[HEADER.index("Date and time")]
LAST_COLUMN = ascii_uppercase[len(HEADER) - 1]
LOCAL_TIME = "%Y-%m-%d %H:%M"  # how the "Date and time" column is written, in the client's timezone


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Sorted row indexes as half-open [start, end) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for index in indexes:
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def guest_rows(rows: list[list[str]], erased: OutboxEvent) -> list[int]:
    """The numbers (from 1) of the rows that are the erased guest's, found as the sink wrote them: a Row ID (the
    outbox event's id) that names the guest (`award-<guest>_<period>`, `contact-<guest>-…`), their email or phone,
    and the redemptions of their coupons (by code). Not by display name: names are not unique."""
    names_guest = re.compile(rf"(?:^|[-_]){re.escape(erased.guest_id)}(?:[-_]|$)")
    contacts = {value.casefold() for value in (erased.email, erased.phone) if value}

    def cell(row: list[str], column: int) -> str:
        return str(row[column]).removeprefix("'") if len(row) > column else ""  # `'`: how safe_cell kept it text

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
        self._spreadsheet = f"{base_url.rstrip('/')}/v4/spreadsheets/{spreadsheet_id}"
        self._values = f"{self._spreadsheet}/values"

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
        local = event.occurred_at.astimezone(self.tz).strftime(LOCAL_TIME)
        # To the second, with the offset: the proof of when the guest consented (or withdrew).
        consent_at = event.consent_at.astimezone(self.tz).isoformat(timespec="seconds") if event.consent_at else None
        return [
            safe_cell(v)
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
                event.channel,
                event.consent_version,
                consent_at,
                event.table,
                event.question,
                event.answer,
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
            params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
            json={"values": rows},
        )

    def purge_before(self, cutoff: date) -> Purged:
        """Delete every row whose date is before `cutoff` (spreadsheets.batchUpdate, deleteDimension: one request
        per run of rows, bottom up so no deletion moves the rows of the next; Google applies them all or none)."""
        column = self._call("GET", f"{self._values}/{self.sheet}!{DATE_COLUMN}:{DATE_COLUMN}")
        dated = [(index, self._row_date(row[0])) for index, row in enumerate(column.get("values", [])) if row]
        old = [index for index, day in dated if day is not None and day < cutoff]
        if old:
            sheet_id = self._sheet_id()
            deletions = [
                {
                    "deleteDimension": {
                        "range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": start, "endIndex": end}
                    }
                }
                for start, end in reversed(_runs(old))
            ]
            self._call("POST", f"{self._spreadsheet}:batchUpdate", json={"requests": deletions})
        return Purged(deleted=len(old), kept=sum(1 for _, day in dated if day is not None and day >= cutoff))

    def _row_date(self, cell: object) -> date | None:
        """The local date of a "Date and time" cell as appended; None for anything else (the header, an empty cell,
        the owner's own notes), which a purge leaves alone."""
        try:
            return datetime.strptime(str(cell), LOCAL_TIME).replace(tzinfo=self.tz).date()
        except ValueError:
            return None

    def _sheet_id(self) -> int:
        """The numeric id of the sheet named in the config (deleteDimension takes the id, not the name)."""
        answer = self._call("GET", self._spreadsheet, params={"fields": "sheets.properties(sheetId,title)"})
        for sheet in answer.get("sheets", []):
            if sheet["properties"]["title"] == self.sheet:
                return int(sheet["properties"]["sheetId"])
        raise SinkRefused(self.name, f"the spreadsheet has no sheet named {self.sheet!r}", self._fix())

    def _blank_rows_of(self, erased: OutboxEvent) -> None:
        """Blank the erased guest's rows (`values.batchClear`): blanked rather than deleted, so no other row moves
        between the read and the write, and a repeat finds nothing left to clear."""
        last = LAST_COLUMN
        rows = self._call("GET", f"{self._values}/{self.sheet}!A:{last}").get("values", [])
        numbers = guest_rows(rows, erased)
        if numbers:
            ranges = [f"{self.sheet}!A{number}:{last}{number}" for number in numbers]
            self._call("POST", f"{self._values}:batchClear", json={"ranges": ranges})
