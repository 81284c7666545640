"""The edge's webhook: Meta's subscription handshake; verify the agency app's signature once, parse, classify, and
write each venue's inbound events into that venue's table, found by its Instagram account in the registry.

It takes the query parameters or the raw body bytes and small interfaces; the webhook Lambda only adapts HTTP to it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from tagback.adapters.meta.webhook import (
    Envelope,
    MalformedItem,
    classify,
    handshake_challenge,
    iter_items,
    parse_envelope,
    raw_items,
    signature_is_valid,
)
from tagback.domain.clock import Clock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.registrations import Registration
from tagback.observability import count, logger

# What no venue can take is kept this long: time for the agency to register a venue it forgot, or read a bad item.
QUARANTINE_RETENTION = timedelta(days=30)


class InboundEventStore(Protocol):
    def add(self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime) -> list[bool]:
        """Store each event unless its key exists; True for each newly stored one."""
        ...


class VenueRegistry(Protocol):
    def by_account(self, account_id: str) -> Registration | None: ...


class QuarantineStore(Protocol):
    def add(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None: ...


class WebhookRejected(Exception):
    """The whole request is refused; nothing was stored. `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")


@dataclass
class IngestReport:
    stored: list[InboundEvent] = field(default_factory=list)
    duplicates: int = 0
    acknowledged: Counter[str] = field(default_factory=Counter)
    unknown_account: int = 0
    quarantined: list[str] = field(default_factory=list)  # malformed items' reasons
    by_client: Counter[str] = field(default_factory=Counter)  # events newly stored, per client

    @property
    def received(self) -> int:
        return (
            len(self.stored)
            + self.duplicates
            + sum(self.acknowledged.values())
            + self.unknown_account
            + len(self.quarantined)
        )


def answer_handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo when Meta subscribes with our verify token; None refuses."""
    challenge = handshake_challenge(params, verify_token)
    if challenge is None:
        logger.warning("webhook handshake refused", extra={"mode": params.get("hub.mode")})
        count("webhook_handshake_refused")
    else:
        logger.info("webhook handshake accepted")
        count("webhook_handshake_accepted")
    return challenge


def ingest(
    body: bytes,
    signature: str | None,
    *,
    app_secret: str,
    registry: VenueRegistry,
    inbound_of: Callable[[Registration], InboundEventStore],
    quarantine: QuarantineStore,
    clock: Clock,
) -> IngestReport:
    if not signature_is_valid(body, signature, app_secret):
        raise WebhookRejected(403, "X-Hub-Signature-256 missing or wrong")
    try:
        envelope = parse_envelope(body)
    except ValueError as error:
        raise WebhookRejected(400, str(error)) from None

    received_at = clock.now()
    report = IngestReport()
    malformed, by_account = _sort(envelope, report)
    # Every account is looked up before anything is written: when the registry fails, Meta redelivers the whole
    # delivery to a webhook that has stored nothing of it.
    try:
        venues = {account: registry.by_account(account) for account in by_account}
    except Exception as error:
        logger.exception("venue registry unavailable")
        raise WebhookRejected(503, "the venue registry is unavailable: redeliver later") from error

    quarantine_until = received_at + QUARANTINE_RETENTION
    as_they_came: list[object] | None = None  # the items were read straight from the bytes: read again only here
    for item in malformed:
        quarantine.add(item.raw, item.reason, received_at, quarantine_until)
        report.quarantined.append(item.reason)
    for account, items in by_account.items():
        venue = venues[account]
        if venue is None:  # answered 200 all the same: Meta would retry it for ever
            as_they_came = as_they_came or raw_items(body)
            for position, _ in items:
                reason = f"no venue registered for account {account}"
                quarantine.add(as_they_came[position], reason, received_at, quarantine_until)
            report.unknown_account += len(items)
            continue
        events = [event for _, event in items]
        expires_at = received_at + timedelta(days=venue.retention_days)
        added = inbound_of(venue).add(events, received_at, expires_at)
        stored = [event for event, is_new in zip(events, added, strict=True) if is_new]
        report.stored += stored
        report.duplicates += len(events) - len(stored)
        if stored:
            report.by_client[venue.client_id] += len(stored)
    _record(report)
    return report


def _sort(
    envelope: Envelope, report: IngestReport
) -> tuple[list[MalformedItem], dict[str, list[tuple[int, InboundEvent]]]]:
    """The delivery's items: malformed ones, the kinds only counted (into `report`), and storable events by account
    (each with its position among the delivery's items)."""
    malformed: list[MalformedItem] = []
    by_account: defaultdict[str, list[tuple[int, InboundEvent]]] = defaultdict(list)
    for position, item in enumerate(iter_items(envelope)):
        if isinstance(item, MalformedItem):
            malformed.append(item)
            continue
        outcome = classify(item)
        if isinstance(outcome, EventKind):
            report.acknowledged[outcome.value] += 1
        else:
            by_account[outcome.account_id].append((position, outcome))
    return malformed, by_account


def _record(report: IngestReport) -> None:
    for label, value in (
        ("inbound_stored", len(report.stored)),
        ("inbound_duplicates", report.duplicates),
        ("inbound_acknowledged", sum(report.acknowledged.values())),
        ("inbound_unknown_account", report.unknown_account),
        ("inbound_quarantined", len(report.quarantined)),
    ):
        count(label, value)
    # Counts and kinds only: guests' ids and texts stay out of the logs.
    logger.info(
        "webhook delivery",
        extra={
            "stored": sorted(e.kind.value for e in report.stored),
            "by_client": dict(report.by_client),
            "duplicates": report.duplicates,
            "acknowledged": dict(report.acknowledged),
            "unknown_account": report.unknown_account,
        },
    )
    if report.unknown_account:
        logger.warning("events for an unregistered account quarantined", extra={"count": report.unknown_account})
    for reason in report.quarantined:
        logger.warning("malformed messaging item quarantined", extra={"reason": reason})
