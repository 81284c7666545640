"""The prize function's work on one record of the table's stream: an inbound event goes to the conversation
engine; an erasure request to the guest's erasure. Each comes as a getter, so what an erasure needs is built only once
such an item arrives. (Outbox items are the owner_delivery function's: tagback.app.owner.deliver_outbox_record.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from tagback.app.erasure import VenueErasure, fulfil
from tagback.app.stream_record import new_image
from tagback.conversation.outcome import DeliveryPending
from tagback.observability import count, logger, traced
from tagback.store.erasures import erasure_request_from_item
from tagback.store.inbound import inbound_event_from_item
from tagback.store.schema import ERASURE_REQUEST, ITEM_TYPE

if TYPE_CHECKING:
    from tagback.conversation.engine import Engine


def handle_stream_record(
    record: DynamoDBRecord,
    engine: Callable[[], Engine],
    erasure: Callable[[], VenueErasure],
) -> None:
    """Raises to fail the record alone: the stream retries it, then sends it to the mapping's on-failure queue."""
    item = new_image(record)
    if item.get(ITEM_TYPE) == ERASURE_REQUEST:
        request = erasure_request_from_item(item)
        with traced("erasure", erasure=request.code):
            fulfil(request, erasure())
        return
    event = inbound_event_from_item(item)
    try:
        with traced("inbound_event", mid=event.mid, kind=event.kind.value):
            outcome = engine().handle(event)
    except DeliveryPending:
        count("delivery_pending")
        raise
    count(outcome.value)
    logger.info("inbound event handled", extra={"kind": event.kind.value, "outcome": outcome.value})
