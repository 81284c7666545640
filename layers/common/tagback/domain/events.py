"""The events that move through the table: what comes in from Meta (inbound events, classified) and what goes out
to the owner's sinks (outbox events), and how delivering one to a sink can fail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class EventKind(StrEnum):
    STORY_MENTION = "story_mention"
    TEXT = "text"
    QUICK_REPLY = "quick_reply"
    POSTBACK = "postback"
    STORY_REPLY = "story_reply"
    DELETED = "deleted"
    # acknowledged and counted, never stored:
    ECHO = "echo"
    READ = "read"
    REACTION = "reaction"
    EDIT = "edit"
    UNSUPPORTED = "unsupported"
    ATTACHMENT = "attachment"
    UNKNOWN = "unknown"


STORED_KINDS = frozenset(
    {
        EventKind.STORY_MENTION,
        EventKind.TEXT,
        EventKind.QUICK_REPLY,
        EventKind.POSTBACK,
        EventKind.STORY_REPLY,
        EventKind.DELETED,
    }
)


@dataclass(frozen=True)
class InboundEvent:
    """One classified messaging item. `mid` is Meta's message id: the dedupe key."""

    kind: EventKind
    mid: str
    guest_id: str
    account_id: str
    sent_at: datetime
    text: str | None = None
    payload: str | None = None
    story_url: str | None = None


@dataclass(frozen=True)
class OutboxEvent:
    event_id: str  # also the receivers' dedupe key and the sheet's row id
    event_type: str  # "award", "contact", "contact.withdrawn", "redemption" or "answer"
    occurred_at: datetime
    guest_id: str
    display_name: str | None = None  # the profile's name, never the @handle
    prize: str | None = None
    coupon_code: str | None = None
    language: str | None = None
    email: str | None = None  # only when the guest consented
    phone: str | None = None
    # A contact's consent, carried wherever the contact goes (contact events): the channel ("email", "phone"; "all"
    # for a STOP, which withdraws every one), the consent text's version, and when it was given (or withdrawn).
    channel: str | None = None
    consent_version: str | None = None
    consent_at: datetime | None = None
    table: str | None = None  # an award of the per-table option: the table that won
    # An answer to one of the venue's questions: the question's id, and the reply's id or the checked text.
    question: str | None = None
    answer: str | None = None


class SinkUnavailable(Exception):
    """Transient: the stream retries the record later."""


class SinkRefused(Exception):
    """Permanent: retrying cannot help; `fix` says what the operator should do."""

    def __init__(self, sink: str, message: str, fix: str) -> None:
        self.sink, self.fix = sink, fix
        super().__init__(f"{sink}: {message}")


class Sink(Protocol):
    """One of the owner's destinations (sheet, CRM): raises SinkUnavailable or SinkRefused when it fails."""

    name: str

    def deliver(self, event: OutboxEvent) -> None: ...
