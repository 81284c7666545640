"""Fakes of the owner's sinks on loopback: Google (OAuth token endpoint + Sheets API v4 values) and a CRM receiver.

Google's side answers as its docs say: the token endpoint takes a service account's signed JWT
(`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) and verifies it with the account's public key;
`values.get`, `values.append` (`valueInputOption`, `insertDataOption`; after the last row that holds values, as
Google finds the table) and `values.batchClear` (cleared rows stay, empty) need the issued Bearer token; errors come
as `{"error": {"code", "message", "status"}}`. Faults are queued by name, or an outage is set for some seconds.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from tagback.adapters.crm import webhook_signature

_VALUES = re.compile(r"^/v4/spreadsheets/([^/]+)/values/(.+?)(:append)?$")
_BATCH_CLEAR = re.compile(r"^/v4/spreadsheets/([^/]+)/values:batchClear$")
_ROW_RANGE = re.compile(r"^(.+)!A(\d+):I(\d+)$")  # whole rows, as the sink clears them
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


class FakeGoogle:
    def __init__(self, spreadsheet_id: str, places_key: str = "sandbox-places-key") -> None:
        self.spreadsheet_id = spreadsheet_id
        self.places_key = places_key
        self.place: dict[str, Any] = {"rating": 4.5, "userRatingCount": 201}  # grows by 2 reviews per look
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rows: dict[str, list[list[str]]] = {}  # sheet name → rows
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
        match = _VALUES.match(request.path)
        clear = _BATCH_CLEAR.match(request.path)
        if match is None and clear is None:
            return _google_error("404")
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
        if fault is not None:
            return _google_error(fault)
        if clear is not None:
            return self._batch_clear(request, clear.group(1)) if request.method == "POST" else _google_error("404")
        assert match is not None
        spreadsheet, cell_range, append = match.group(1), unquote(match.group(2)), match.group(3)
        if spreadsheet != self.spreadsheet_id:
            return _google_error("404")
        sheet = cell_range.split("!", 1)[0]
        if append and request.method == "POST":
            return self._append(request, spreadsheet, sheet)
        if request.method == "GET":
            rows = self.rows.get(sheet, [])[:1] if cell_range.endswith("1:I1") else self.rows.get(sheet, [])
            body: dict[str, Any] = {"range": cell_range, "majorDimension": "ROWS"}
            if rows:
                body["values"] = rows
            return Response(json.dumps(body), mimetype="application/json")
        return _google_error("404")

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
        values = (request.get_json(silent=True) or {}).get("values") or []
        with self._lock:
            rows = self.rows.setdefault(sheet, [])
            start = next((n for n in range(len(rows), 0, -1) if rows[n - 1]), 0) + 1  # after the table's last row
            rows[start - 1 : start - 1] = [[str(cell) for cell in row] for row in values]
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
            body = {"error": {"code": 400, "message": "ranges: whole rows A<n>:I<n>", "status": "INVALID_ARGUMENT"}}
            return Response(json.dumps(body), status=400, mimetype="application/json")
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
