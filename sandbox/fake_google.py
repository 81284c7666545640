"""Fakes of the owner's sinks on loopback: Google (OAuth token endpoint + Sheets API v4 values) and a CRM receiver.

Google's side answers as its docs say: the token endpoint takes a service account's signed JWT
(`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) and verifies it with the account's public key;
`values.get` (an A1 range: a sheet, whole columns or a block), `values.append` (`valueInputOption`,
`insertDataOption`; after the last row that holds values, as Google finds the table), `values.batchClear` (cleared
rows stay, empty), `spreadsheets.get` (each sheet's properties, whatever `fields` asks) and `spreadsheets.batchUpdate`
(`deleteDimension` of rows only: validated all first, then applied in order, all or none) need the issued Bearer
token; errors come as `{"error": {"code", "message", "status"}}`. Faults are queued by name, or an outage is set for
some seconds. RAW values are stored as the text they are; USER_ENTERED ones as the Sheets UI reads them, in part: a
leading `'` marks text and is not kept, a leading `=` makes a `Formula` (numbers and dates are not parsed here).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import zlib
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from tagback.adapters.crm import webhook_signature

_VALUES = re.compile(r"^/v4/spreadsheets/([^/]+)/values/(.+?)(:append)?$")
_SPREADSHEET = re.compile(r"^/v4/spreadsheets/([^/:]+)(:batchUpdate)?$")
_A1_WINDOW = re.compile(r"^(?P<first_column>[A-Z]+)(?P<first_row>\d*)(?::(?P<last_column>[A-Z]+)(?P<last_row>\d*))?$")
_BATCH_CLEAR = re.compile(r"^/v4/spreadsheets/([^/]+)/values:batchClear$")
_ROW_RANGE = re.compile(r"^(.+)!A(\d+):[A-Z]+(\d+)$")  # whole rows, as the sink clears them
GOOGLE_ERRORS = {
    "403": (403, "The caller does not have permission", "PERMISSION_DENIED"),
    "404": (404, "Requested entity was not found.", "NOT_FOUND"),
    "429": (429, "Quota exceeded for quota metric 'Write requests'", "RESOURCE_EXHAUSTED"),
    "503": (503, "The service is currently unavailable.", "UNAVAILABLE"),
}


def _google_error(name: str) -> Response:
    code, message, status = GOOGLE_ERRORS[name]
    body = {"error": {"code": code, "message": message, "status": status}}
    return Response(json.dumps(body), status=code, mimetype="application/json")


def _invalid(message: str) -> Response:
    body = {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
    return Response(json.dumps(body), status=400, mimetype="application/json")


class Formula(str):
    """A cell Google parsed as a formula (USER_ENTERED text starting with `=`)."""

    __slots__ = ()


def _entered(value: object, option: str) -> str:
    text = str(value)
    if option == "RAW":
        return text
    if text.startswith("'"):  # the quote prefix: the rest is text, and the quote is not part of the value
        return text[1:]
    return Formula(text) if text.startswith("=") else text


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _window(rows: list[list[str]], a1: str) -> list[list[str]] | None:
    """The cells of `rows` in the A1 window after the sheet name ("" = all, "C:C", "A1:I1"), trailing empty cells
    and rows left out as Google leaves them; None when `a1` is no window."""
    if not a1:
        return [list(row) for row in rows]
    match = _A1_WINDOW.match(a1)
    if match is None:
        return None
    first_column = _column_number(match["first_column"]) - 1
    last_column = _column_number(match["last_column"] or match["first_column"])
    first_row = int(match["first_row"] or 1) - 1
    if match["last_column"] is None and match["first_row"]:  # one cell
        last_row = first_row + 1
    else:  # rows to the last one unless the range ends at a row
        last_row = int(match["last_row"]) if match["last_row"] else len(rows)
    window = [list(row[first_column:last_column]) for row in rows[first_row:last_row]]
    for row in window:
        while row and row[-1] == "":
            row.pop()
    while window and not window[-1]:
        window.pop()
    return window


class FakeGoogle:
    def __init__(self, spreadsheet_id: str, places_key: str = "sandbox-places-key") -> None:
        self.spreadsheet_id = spreadsheet_id
        self.places_key = places_key
        self.place: dict[str, Any] = {"rating": 4.5, "userRatingCount": 201}  # grows by 2 reviews per look
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rows: dict[str, list[list[str]]] = {}  # sheet name → rows
        self.sheet_ids: dict[str, int] = {}  # sheet name → its numeric id, from its first append
        self.tokens: set[str] = set()
        self._faults: list[str] = []
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.url = ""  # set by the sandbox once it serves this app

    def service_account(self) -> dict[str, str]:
        """A service account key JSON, as Google Cloud hands it out, whose token_uri is this fake."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": "tagback-sandbox",
            "private_key_id": "sandbox-key",
            "private_key": pem,
            "client_email": "tagback@tagback-sandbox.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": f"{self.url}/token",
        }

    def fail_next(self, *names: str) -> None:
        unknown = [n for n in names if n not in GOOGLE_ERRORS]
        if unknown:
            raise ValueError(f"sheets faults are {sorted(GOOGLE_ERRORS)}; got {unknown}")
        with self._lock:
            self._faults.extend(names)

    def unavailable_for(self, seconds: float) -> None:
        """Answer 503 to every Sheets call for the next `seconds` of wall time."""
        self._down_until = time.monotonic() + seconds

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if request.path.startswith("/v1/places/") and request.method == "GET":
            return self._place(request)
        values, spreadsheet = _VALUES.match(request.path), _SPREADSHEET.match(request.path)
        clear = _BATCH_CLEAR.match(request.path)
        if values is None and spreadsheet is None and clear is None:
            return _google_error("404")
        refused = self._refusal(request)
        if refused is not None:
            return refused
        if clear is not None:
            return self._batch_clear(request, clear.group(1)) if request.method == "POST" else _google_error("404")
        if spreadsheet is not None:
            if spreadsheet.group(1) != self.spreadsheet_id:
                return _google_error("404")
            if spreadsheet.group(2) and request.method == "POST":
                return self._batch_update(request)
            if not spreadsheet.group(2) and request.method == "GET":
                return self._spreadsheet()
            return _google_error("404")
        assert values is not None
        spreadsheet_id, cell_range, append = values.group(1), unquote(values.group(2)), values.group(3)
        if spreadsheet_id != self.spreadsheet_id:
            return _google_error("404")
        if append and request.method == "POST":
            return self._append(request, spreadsheet_id, cell_range.split("!", 1)[0])
        if request.method == "GET":
            return self._get_values(cell_range)
        return _google_error("404")

    def _refusal(self, request: Request) -> Response | None:
        """A missing or unknown Bearer token's 401, or the fault queued (or the outage) for this call."""
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            unauthenticated = {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials.",
                    "status": "UNAUTHENTICATED",
                }
            }
            return Response(json.dumps(unauthenticated), status=401, mimetype="application/json")
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is None and time.monotonic() < self._down_until:
            fault = "503"
        return _google_error(fault) if fault is not None else None

    def _get_values(self, cell_range: str) -> Response:
        """values.get: the cells of an A1 range."""
        sheet, _, a1 = cell_range.partition("!")
        with self._lock:
            window = _window(self.rows.get(sheet, []), a1)
        if window is None:
            return _invalid(f"Unable to parse range: {cell_range}")
        body: dict[str, Any] = {"range": cell_range, "majorDimension": "ROWS"}
        if window:
            body["values"] = window
        return Response(json.dumps(body), mimetype="application/json")

    def _spreadsheet(self) -> Response:
        """spreadsheets.get: the spreadsheet's sheets and their properties."""
        with self._lock:
            sheets = [
                {
                    "properties": {
                        "sheetId": self.sheet_ids[title],
                        "title": title,
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": {"rowCount": max(1000, len(rows)), "columnCount": 26},
                    }
                }
                for index, (title, rows) in enumerate(self.rows.items())
                if title in self.sheet_ids
            ]
        body = {"spreadsheetId": self.spreadsheet_id, "properties": {"title": "Tagback"}, "sheets": sheets}
        return Response(json.dumps(body), mimetype="application/json")

    def _batch_update(self, request: Request) -> Response:
        """spreadsheets.batchUpdate: each request validated before any is applied, then all applied in order."""
        asked = (request.get_json(silent=True) or {}).get("requests") or []
        with self._lock:
            by_id = {sheet_id: title for title, sheet_id in self.sheet_ids.items()}
            for number, item in enumerate(asked):
                dimension = item.get("deleteDimension") if isinstance(item, dict) else None
                if dimension is None or set(item) != {"deleteDimension"}:
                    return _invalid(f"Invalid requests[{number}]: the sandbox's fake implements deleteDimension only")
                span = dimension.get("range", {})
                if span.get("sheetId") not in by_id:
                    return _invalid(
                        f"Invalid requests[{number}].deleteDimension: No grid with id: {span.get('sheetId')}"
                    )
                start, end = span.get("startIndex"), span.get("endIndex")
                if span.get("dimension") != "ROWS" or not isinstance(start, int) or not isinstance(end, int):
                    return _invalid(f"Invalid requests[{number}].deleteDimension: rows with startIndex and endIndex")
                if not 0 <= start < end:
                    return _invalid(f"Invalid requests[{number}].deleteDimension: startIndex must be below endIndex")
            for item in asked:
                span = item["deleteDimension"]["range"]
                del self.rows[by_id[span["sheetId"]]][span["startIndex"] : span["endIndex"]]
        body = {"spreadsheetId": self.spreadsheet_id, "replies": [{} for _ in asked]}
        return Response(json.dumps(body), mimetype="application/json")

    def _place(self, request: Request) -> Response:
        """Places API (New) place details: only the fields of X-Goog-FieldMask, with an API key."""
        if request.headers.get("X-Goog-Api-Key") != self.places_key:
            body = {
                "error": {"code": 403, "message": "The provided API key is invalid.", "status": "PERMISSION_DENIED"}
            }
            return Response(json.dumps(body), status=403, mimetype="application/json")
        fields = [f for f in request.headers.get("X-Goog-FieldMask", "").split(",") if f]
        with self._lock:
            self.place["userRatingCount"] += 2
            answer = {field: self.place[field] for field in fields if field in self.place}
        return Response(json.dumps(answer), mimetype="application/json")

    def _token(self, request: Request) -> Response:
        from google.auth import jwt  # noqa: PLC0415

        public = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if request.form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Response(json.dumps({"error": "unsupported_grant_type"}), status=400, mimetype="application/json")
        try:
            # google-auth signs for Google's token endpoint whatever token_uri says, and Google checks that.
            jwt.decode(
                request.form.get("assertion", ""), certs=public.decode(), audience="https://oauth2.googleapis.com/token"
            )
        except ValueError as error:
            return Response(
                json.dumps({"error": "invalid_grant", "error_description": str(error)}),
                status=400,
                mimetype="application/json",
            )
        token = f"ya29.sandbox-{secrets.token_urlsafe(16)}"
        self.tokens.add(token)
        return Response(
            json.dumps({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}), mimetype="application/json"
        )

    def _append(self, request: Request, spreadsheet: str, sheet: str) -> Response:
        if request.args.get("valueInputOption") not in ("RAW", "USER_ENTERED"):
            return Response(
                json.dumps(
                    {"error": {"code": 400, "message": "valueInputOption is required", "status": "INVALID_ARGUMENT"}}
                ),
                status=400,
            )
        option = request.args["valueInputOption"]
        values = (request.get_json(silent=True) or {}).get("values") or []
        with self._lock:
            rows = self.rows.setdefault(sheet, [])
            self.sheet_ids.setdefault(sheet, zlib.crc32(sheet.encode()) & 0x7FFFFFFF)  # stable, never the first's 0
            start = next((n for n in range(len(rows), 0, -1) if rows[n - 1]), 0) + 1  # after the table's last row
            rows[start - 1 : start - 1] = [[_entered(cell, option) for cell in row] for row in values]
        updated = f"{sheet}!A{start}:I{start + len(values) - 1}"
        body = {
            "spreadsheetId": spreadsheet,
            "tableRange": f"{sheet}!A1:I{start - 1}" if start > 1 else "",
            "updates": {
                "spreadsheetId": spreadsheet,
                "updatedRange": updated,
                "updatedRows": len(values),
                "updatedColumns": 9,
                "updatedCells": 9 * len(values),
            },
        }
        return Response(json.dumps(body), mimetype="application/json")

    def _batch_clear(self, request: Request, spreadsheet: str) -> Response:
        """`values.batchClear`: each range's values cleared; the rows stay, empty (`[]`, as `values.get` shows them)."""
        if spreadsheet != self.spreadsheet_id:
            return _google_error("404")
        ranges = (request.get_json(silent=True) or {}).get("ranges") or []
        parsed = [_ROW_RANGE.match(r) for r in ranges if isinstance(r, str)]
        if not ranges or len(parsed) != len(ranges) or None in parsed:
            return _invalid("ranges: whole rows A<n>:<last column><n>")
        with self._lock:
            for found in parsed:
                assert found is not None
                rows = self.rows.get(found.group(1), [])
                for number in range(int(found.group(2)), int(found.group(3)) + 1):
                    if number <= len(rows):
                        rows[number - 1] = []
        return Response(
            json.dumps({"spreadsheetId": spreadsheet, "clearedRanges": ranges}), mimetype="application/json"
        )


class FakeCrm:
    """A CRM's webhook endpoint: records every request and whether its signature verified."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.requests: list[dict[str, Any]] = []
        self._faults: list[int] = []
        self._lock = threading.Lock()

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._faults.extend(statuses)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        with self._lock:
            status = self._faults.pop(0) if self._faults else 200
            self.requests.append(
                {
                    "delivery": request.headers.get("X-Tagback-Delivery"),
                    "event": request.headers.get("X-Tagback-Event"),
                    "signature_valid": request.headers.get("X-Tagback-Signature")
                    == webhook_signature(body, self.secret),
                    "status": status,
                    "json": json.loads(body or b"null"),
                }
            )
        return Response(json.dumps({"ok": status == 200}), status=status, mimetype="application/json")(
            environ, start_response
        )
