"""What handling an event comes to: an Outcome, or DeliveryPending when Meta should be asked again later."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from tagback.domain.awards import AwardState
from tagback.domain.messaging import GraphError


class Outcome(StrEnum):
    DM_SENT = AwardState.DM_SENT.value
    NO_PRIZE_LEFT = AwardState.NO_PRIZE_LEFT.value
    DM_FAILED_PERMANENT = AwardState.DM_FAILED_PERMANENT.value
    WAITING_FOR_TOKEN = AwardState.WAITING_FOR_TOKEN.value
    DM_UNCERTAIN = AwardState.DM_UNCERTAIN.value
    LANGUAGE_ASKED = "language_asked"
    TABLE_ASKED = "table_asked"
    TABLE_TAKEN = "table_taken"
    MENTION_PENDING = "mention_pending"  # another mention of the guest is waiting for its language or table
    REPEAT_REPLIED = "repeat_replied"
    # Another mention of the period before its award reached the guest: nothing sent (that award is their prize).
    REPEAT_BEFORE_PRIZE = "repeat_before_prize"
    REPLIED = "replied"
    REPLY_FAILED = "reply_failed"
    REPLY_UNCERTAIN = "reply_uncertain"  # Meta's answer to the reply was lost: marked handled, never sent again
    ALREADY_HANDLED = "already_handled"
    OPTED_OUT = "opted_out"
    SILENCED = "silenced"  # the guest opted out earlier: nothing is sent
    OPTED_IN = "opted_in"  # START: the guest opted back in
    FALLBACK_SENT = "fallback_sent"
    IGNORED = "ignored"


class DeliveryPending(Exception):
    """Meta was throttling or unavailable beyond the client's own retries, or a send's fate is still being found
    out: the event source retries."""


@contextmanager
def pending_while_throttled() -> Iterator[None]:
    """Turns a retryable Graph error into DeliveryPending; a refusal for good passes through as the GraphError."""
    try:
        yield
    except GraphError as error:
        if error.retryable:
            raise DeliveryPending(str(error)) from error
        raise
