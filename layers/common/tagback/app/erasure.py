"""Erasing a guest from a venue (GDPR Art. 17), on request: Meta's data deletion callback (through the edge) or the
operator's `tagback guest erase`. Either writes an erasure request into the venue's table; its INSERT reaches the
prize function through the table's stream, so the erasure runs with the venue's own grants, and a failure is
retried and dead-lettered like any record.

What is erased, everywhere the venue keeps it: the table's items about the guest (inbound events, profile with its
contacts and consents, tracked links, outbox events, the markers of what waits for the token; awards, coupons and
table claims are kept for the month's figures, anonymous), the coupon images in S3, the pending one-shot schedules
(follow-up, language timeout; by name), and, through the outbox like any owner event (so a sink that is down is
retried), a `guest.erased` event: the sheet blanks the guest's rows, the CRM gets it signed. The month's counters are
not touched. Erasing again finds nothing more: the result says "nothing held".
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from tagback.domain.awards import AwardKey
from tagback.domain.clock import Clock
from tagback.domain.erasure import ERASED_GUEST_PREFIX, GUEST_ERASED, DeletionStatus, ErasureReport, ErasureRequest
from tagback.domain.events import OutboxEvent
from tagback.domain.steps import Step
from tagback.observability import count, logger
from tagback.store.schema import AWARD, COUPON, GUEST, ITEM_TYPE


class GuestItems(Protocol):
    def of(self, guest_id: str) -> list[dict[str, Any]]: ...
    def erase(
        self, items: list[dict[str, Any]], anonymous_id: str, at: datetime
    ) -> tuple[dict[str, int], dict[str, int]]: ...


class CouponImageStore(Protocol):
    def erase(self, code: str) -> bool: ...


class ScheduledSteps(Protocol):
    def cancel(self, step: Step, key: AwardKey) -> bool: ...


class OutboxWriter(Protocol):
    def add(self, event: OutboxEvent, expires_at: datetime) -> bool: ...


class ErasureRequestStore(Protocol):
    def add(self, request: ErasureRequest) -> bool: ...
    def get(self, code: str) -> ErasureRequest | None: ...
    def mark_held(self, code: str) -> None: ...
    def finish(self, code: str, report: ErasureReport, at: datetime) -> None: ...


class EdgeOutcome(Protocol):
    def __call__(self, edge_table: str, code: str, status: DeletionStatus) -> None:
        """Tell the edge how this venue's part of Meta's data deletion request ended."""
        ...


def new_token() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class VenueErasure:
    """What erasing a guest in one venue goes through: its table, coupon images, schedules and outbox."""

    client_id: str
    guest_data: GuestItems
    images: CouponImageStore
    steps: ScheduledSteps
    outbox: OutboxWriter
    requests: ErasureRequestStore
    tell_edge: EdgeOutcome
    clock: Clock
    retention_days: int
    token: Callable[[], str] = field(default=new_token)  # random: an anonymous id leads back to no one


def erase_guest(guest_id: str, venue: VenueErasure) -> ErasureReport:
    """Erase everything the venue holds about the guest; what was erased, by place (nothing: not held)."""
    return _erase(guest_id, venue.guest_data.of(guest_id), venue)


def _erase(guest_id: str, items: list[dict[str, Any]], venue: VenueErasure) -> ErasureReport:
    if not items:
        return ErasureReport()
    now = venue.clock.now()
    of_kind: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        of_kind.setdefault(str(item.get(ITEM_TYPE)), []).append(item)
    profile = next(iter(of_kind.get(GUEST, [])), {})
    awards = of_kind.get(AWARD, [])
    periods = {str(a["period"]) for a in awards} | (
        {str(profile["pending_period"])} if "pending_period" in profile else set()
    )
    codes = {str(a["coupon_code"]) for a in awards if "coupon_code" in a} | {
        str(c["code"]) for c in of_kind.get(COUPON, [])
    }

    # The table's items go last: they say which schedules, images and contacts there are, so a retry after a failure
    # half way (the stream retries the record) still finds what is left. Schedules and images first, then the sinks'
    # event (it names the guest and the contacts the sheet and CRM match on; its own id leads back to no one).
    schedules = sum(venue.steps.cancel(step, AwardKey(guest_id, period)) for period in sorted(periods) for step in Step)
    images = sum(venue.images.erase(code) for code in sorted(codes))
    event = OutboxEvent(
        event_id=f"erasure-{venue.token()}",
        event_type=GUEST_ERASED,
        occurred_at=now,
        guest_id=guest_id,
        email=profile.get("email"),
        phone=profile.get("phone"),
    )
    venue.outbox.add(event, now + timedelta(days=venue.retention_days))
    deleted, anonymized = venue.guest_data.erase(items, f"{ERASED_GUEST_PREFIX}{venue.token()}", now)
    return ErasureReport(deleted, anonymized, images, schedules, event.event_id)


def fulfil(request: ErasureRequest, venue: VenueErasure) -> ErasureReport | None:
    """Fulfil an erasure request (from the table's stream); None when it was fulfilled before (a redelivered or
    replayed record). The edge, when it asked, is told the outcome; the request keeps the report, not the guest."""
    current = venue.requests.get(request.code)
    if current is None or current.guest_id is None or current.report is not None:
        return None
    items = venue.guest_data.of(current.guest_id)
    if items and not current.held:
        venue.requests.mark_held(request.code)  # a retry after a failure half way still reports "done"
    report = _erase(current.guest_id, items, venue)
    if current.edge_table is not None:
        held = current.held or report.held
        venue.tell_edge(current.edge_table, request.code, DeletionStatus.DONE if held else DeletionStatus.NOTHING_HELD)
    venue.requests.finish(request.code, report, venue.clock.now())
    count("guest_erased" if report.held else "erasure_nothing_held")
    logger.info(
        "erasure request fulfilled",
        extra={"client_id": venue.client_id, "deleted": report.deleted, "anonymized": report.anonymized},
    )
    return report


class ErasurePending(Exception):
    """The venue has not fulfilled the request in the time waited; it still will (the table's stream)."""


def request_erasure(
    guest_id: str,
    requests: ErasureRequestStore,
    clock: Clock,
    *,
    wait_seconds: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    token: Callable[[], str] = new_token,
) -> ErasureReport:
    """The operator's erasure: a request into the venue's table, then its report once the venue has fulfilled it.
    Raises ErasurePending (naming the request) when that takes longer than `wait_seconds`."""
    code = f"operator-{token()}"
    requests.add(ErasureRequest(code=code, guest_id=guest_id, requested_at=clock.now()))
    waited = 0.0
    while True:
        current = requests.get(code)
        if current is not None and current.report is not None:
            return current.report
        if waited >= wait_seconds:
            raise ErasurePending(
                f"erasure request {code} is not fulfilled after {wait_seconds:g} s: the venue's prize function "
                "fulfils it from the table's stream (see its dead-letter queue and alarms if it does not)"
            )
        sleep(0.25)
        waited += 0.25


def describe(report: ErasureReport) -> list[str]:
    """The report as the operator reads it: one line per place."""

    def counts(by_kind: dict[str, int]) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(by_kind.items())) or "none"

    lines = [
        f"table: deleted {counts(report.deleted)}; kept anonymous {counts(report.anonymized)}",
        f"coupon images: {report.coupon_images} deleted",
        f"schedules: {report.schedules} deleted",
    ]
    if report.owner_event:
        lines.append(
            f"owner's sheet and CRM: {GUEST_ERASED} queued ({report.owner_event}); sent, and retried until "
            "delivered, within seconds"
        )
    return lines
