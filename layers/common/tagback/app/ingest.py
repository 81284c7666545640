"""Webhook ingestion: Meta's subscription handshake; verify Meta's signature, parse, classify, and persist every
storable event.

It takes the query parameters or the raw body bytes and small interfaces; the webhook Lambda only adapts HTTP to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from tagback.adapters.meta.webhook import (
    MalformedItem,
    classify,
    handshake_challenge,
    iter_items,
    parse_envelope,
    signature_is_valid,
)
from tagback.config.model import ClientConfig
from tagback.domain.clock import Clock
from tagback.domain.events import EventKind, InboundEvent
from tagback.observability import count, logger


class InboundEventStore(Protocol):
    def add(self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime) -> list[bool]:
        """Store each event unless its key exists; True for each newly stored one."""
        ...

    def quarantine(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None: ...


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
    other_account: int = 0
    quarantined: list[str] = field(default_factory=list)

    @property
    def received(self) -> int:
        return (
            len(self.stored)
            + self.duplicates
            + sum(self.acknowledged.values())
            + self.other_account
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
    config: ClientConfig,
    store: InboundEventStore,
    clock: Clock,
) -> IngestReport:
    if not signature_is_valid(body, signature, app_secret):
        raise WebhookRejected(403, "X-Hub-Signature-256 missing or wrong")
    try:
        envelope = parse_envelope(body)
    except ValueError as error:
        raise WebhookRejected(400, str(error)) from None

    received_at = clock.now()
    expires_at = received_at + timedelta(days=config.retention_days)
    report = IngestReport()
    storable: list[InboundEvent] = []
    for raw in iter_items(envelope):
        try:
            outcome = classify(raw)
        except MalformedItem as malformed:
            store.quarantine(malformed.raw, malformed.reason, received_at, expires_at)
            report.quarantined.append(malformed.reason)
            continue
        if isinstance(outcome, EventKind):
            report.acknowledged[outcome.value] += 1
        elif outcome.account_id != config.instagram_account_id:
            report.other_account += 1
        else:
            storable.append(outcome)
    for event, is_new in zip(storable, store.add(storable, received_at, expires_at), strict=True):
        if is_new:
            report.stored.append(event)
        else:
            report.duplicates += 1
    _record(report)
    return report


def _record(report: IngestReport) -> None:
    for label, value in (
        ("inbound_stored", len(report.stored)),
        ("inbound_duplicates", report.duplicates),
        ("inbound_acknowledged", sum(report.acknowledged.values())),
        ("inbound_other_account", report.other_account),
        ("inbound_quarantined", len(report.quarantined)),
    ):
        count(label, value)
    # Counts and kinds only: guests' ids and texts stay out of the logs.
    logger.info(
        "webhook delivery",
        extra={
            "stored": sorted(e.kind.value for e in report.stored),
            "duplicates": report.duplicates,
            "acknowledged": dict(report.acknowledged),
            "other_account": report.other_account,
        },
    )
    if report.other_account:
        logger.warning("events for another Instagram account ignored", extra={"count": report.other_account})
    for reason in report.quarantined:
        logger.warning("malformed messaging item quarantined", extra={"reason": reason})
