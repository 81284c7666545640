"""Meta's data deletion callback, at the edge: `POST /meta/data-deletion` and the status page Meta links the person to.

Meta posts `signed_request` when a person asks it to delete what the app holds about them; the user id in it is the
person's app-scoped id, for Instagram messaging the guest's IGSID in every venue of the agency's app. The edge
verifies it (constant time, the algorithm, the expiry), records the request under a new random confirmation code
(`DELETION#<code>` in its table, each venue's outcome pending, no user id), writes an erasure request into every
registered venue's table — each venue erases with its own grants and reports back (app/erasure.py) — and erases
what its own quarantine holds of the person. Meta gets `{"url", "confirmation_code"}`; the url's page shows the
status: pending, done, or nothing held. A forged or expired request erases nothing.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import parse_qs

from tagback.adapters.meta.deletion import SignedRequestRefused, user_to_delete
from tagback.domain.clock import Clock
from tagback.domain.erasure import DataDeletion, DeletionStatus, ErasureRequest
from tagback.domain.registrations import Registration
from tagback.observability import count, logger

PATH = "/meta/data-deletion"
# The status page's record holds no personal data; a person may come back to it months later.
STATUS_KEPT = timedelta(days=365)
_CODE = re.compile(r"^[0-9a-f]{20}$")


class VenueList(Protocol):
    def clients(self) -> list[Registration]: ...


class ErasureRequestWriter(Protocol):
    def add(self, request: ErasureRequest) -> bool: ...


class DeletionRecords(Protocol):
    def add(self, deletion: DataDeletion, expires_at: datetime) -> None: ...
    def get(self, code: str) -> DataDeletion | None: ...


class QuarantineEraser(Protocol):
    def erase(self, user_id: str) -> int: ...


class DeletionRefused(Exception):
    """Not a genuine, valid request: nothing was erased. `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True)
class DeletionAccepted:
    confirmation_code: str
    url: str


def public_url(headers: Mapping[str, str], domain: str) -> str:
    """The edge's URL as the request reached it (API Gateway's domain; https unless its proxy header says not)."""
    return f"{headers.get('x-forwarded-proto', 'https')}://{domain}"


def _signed_request(body: bytes) -> str:
    try:
        form = parse_qs(body.decode("ascii"), strict_parsing=False)
    except UnicodeDecodeError:
        raise DeletionRefused(400, "the body is not a form") from None
    values = form.get("signed_request", [])
    if len(values) != 1:
        raise DeletionRefused(400, "the form has no signed_request")
    return values[0]


def request_deletion(
    body: bytes,
    *,
    app_secret: str,
    edge_url: str,
    edge_table: str,
    registry: VenueList,
    requests_of: Callable[[Registration], ErasureRequestWriter],
    deletions: DeletionRecords,
    quarantine: QuarantineEraser,
    clock: Clock,
    new_code: Callable[[], str] = lambda: secrets.token_hex(10),
) -> DeletionAccepted:
    """Accept Meta's data deletion request (the form body as posted): every venue is asked to erase the person."""
    now = clock.now()
    try:
        user_id = user_to_delete(_signed_request(body), app_secret, now)
    except SignedRequestRefused as refused:
        raise DeletionRefused(refused.status, refused.reason) from None
    venues = registry.clients()
    code = new_code()
    deletions.add(
        DataDeletion(code, now, dict.fromkeys((v.client_id for v in venues), DeletionStatus.PENDING)), now + STATUS_KEPT
    )
    for venue in venues:
        requests_of(venue).add(ErasureRequest(code=code, guest_id=user_id, requested_at=now, edge_table=edge_table))
    quarantined = quarantine.erase(user_id)
    count("data_deletion_requested")
    logger.info(
        "data deletion requested: every venue asked to erase",
        extra={"confirmation_code": code, "venues": [v.client_id for v in venues], "quarantined_erased": quarantined},
    )
    return DeletionAccepted(code, f"{edge_url}{PATH}/{code}")


_STATUS_TEXT = {
    DeletionStatus.PENDING: ("Pending", "Your request is being processed: the data held about you is being deleted."),
    DeletionStatus.DONE: ("Done", "The data held about you has been deleted."),
    DeletionStatus.NOTHING_HELD: ("Nothing held", "No data about you was held, so there was nothing to delete."),
}


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<body style='font-family:sans-serif;margin:3em'>{body}</body></html>"
    )


def status_page(code: str, deletions: DeletionRecords) -> tuple[int, str]:
    """The status page of a confirmation code (HTML, no script): 200, or 404 for a code not issued."""
    deletion = deletions.get(code) if _CODE.match(code) else None  # not one of ours: no table read for junk
    if deletion is None:
        page = "<h1>Request not found</h1><p>There is no data deletion request with this confirmation code.</p>"
        return 404, _page("Data deletion request not found", page)
    title, explanation = _STATUS_TEXT[deletion.status]
    page = (
        f"<h1>Data deletion request: {html.escape(title)}</h1><p>{html.escape(explanation)}</p>"
        f"<p>Confirmation code: <code>{html.escape(deletion.code)}</code><br>"
        f"Requested: {deletion.requested_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC</p>"
    )
    return 200, _page(f"Data deletion request: {title}", page)
