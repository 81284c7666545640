"""Owner integrations: every award, captured contact and redeemed coupon, delivered to the owner's sinks.

The engine writes an *outbox* item; the table's stream brings it to the owner_delivery function
(`deliver_outbox_record`), which calls each configured sink and records each success on the item, so a redelivered
record skips the sinks already done. A sink's transient failure (429, 5xx, timeouts) raises `SinkUnavailable` and
the stream retries the record with backoff; a permanent one (403, 404, other 4xx) is returned, so the caller can log
what to fix and dead-letter the record at once.
The guest's DM never waits for any of this. An event whose guest was erased meanwhile goes nowhere; the erasure's own
`guest.erased` event keeps the guest's id and contacts only until every sink has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from tagback.app.stream_record import new_image
from tagback.domain.clock import Clock
from tagback.domain.erasure import GUEST_ERASED
from tagback.domain.events import OutboxEvent, Sink, SinkRefused, SinkUnavailable
from tagback.observability import count, logger, traced
from tagback.store.outbox import outbox_from_item

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord


class OutboxStore(Protocol):
    def delivered(self, event_id: str) -> set[str]: ...
    def mark_delivered(self, event_id: str, sink: str, at: datetime) -> bool: ...


class OwnerOutbox(OutboxStore, Protocol):
    def get(self, event_id: str) -> dict[str, Any] | None: ...
    def forget_guest(self, event_id: str) -> None: ...


class DeadLetters(Protocol):
    def send(self, message: dict[str, Any]) -> None: ...


@dataclass
class OwnerDelivery:
    """What the outbox path needs: the client's sinks, the outbox, a clock, and its dead-letter queue."""

    client_id: str
    sinks: list[Sink]
    store: OwnerOutbox
    clock: Clock
    dead_letters: DeadLetters


class OutboxItemGone(Exception):
    """The event's outbox item went while its sinks were called (its guest erased, or it expired)."""


def deliver(event: OutboxEvent, sinks: list[Sink], store: OutboxStore, now: datetime) -> list[SinkRefused]:
    """Deliver to every sink not done yet. Raises SinkUnavailable (after recording the sinks that succeeded), or
    OutboxItemGone when a success finds nothing to record it on: the sinks after it get nothing."""
    done = store.delivered(event.event_id)
    refused: list[SinkRefused] = []
    for sink in sinks:
        if sink.name in done:
            continue
        try:
            sink.deliver(event)
        except SinkRefused as error:
            refused.append(error)
            continue
        if not store.mark_delivered(event.event_id, sink.name, now):
            raise OutboxItemGone(event.event_id)
    return refused


def deliver_to_owner(event: OutboxEvent, delivery: OwnerDelivery) -> None:
    """Deliver one outbox event; what a sink refused for good goes to the dead-letter queue at once, with the fix."""
    if delivery.store.get(event.event_id) is None:  # its guest was erased since it was queued
        count("owner_event_erased")
        return
    try:
        refused = deliver(event, delivery.sinks, delivery.store, delivery.clock.now())
    except SinkUnavailable:
        count("sink_unavailable")
        raise  # the stream retries the record, with backoff, up to its limit
    except OutboxItemGone:  # retrying cannot bring it back, and nothing may recreate it (it would never expire)
        count("owner_event_erased")
        logger.info(
            "outbox item gone while delivering (its guest erased, or it expired): nothing to mark, nothing more sent",
            extra={"client_id": delivery.client_id, "outbox_event": event.event_id},
        )
        return
    for error in refused:
        count(f"{error.sink}_refused")
        logger.error(
            "owner integration refused the event: fix it, then replay the dead-letter queue",
            extra={"client_id": delivery.client_id, "sink": error.sink, "error": str(error), "fix": error.fix},
        )
    if refused:  # retrying cannot help: straight to the dead-letter queue, replayable once fixed
        delivery.dead_letters.send({"outbox_event_id": event.event_id, "errors": [str(e) for e in refused]})
        return
    count("owner_event_delivered")
    if event.event_type == GUEST_ERASED:  # every sink has it: nothing needs the guest's id or contacts any more
        delivery.store.forget_guest(event.event_id)


def deliver_outbox_record(record: DynamoDBRecord, delivery: OwnerDelivery) -> None:
    """The owner_delivery function's work on one outbox item of the table's stream. Raises to fail the record alone:
    the stream retries it, then sends it to the mapping's on-failure queue."""
    # Anything but an outbox item fails here: the mapping's filter lets none by.
    event = outbox_from_item(new_image(record))
    with traced("owner_event", outbox_event=event.event_id):  # an award's: award-<award id>
        deliver_to_owner(event, delivery)
