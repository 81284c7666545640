"""prize Lambda, on the table's stream through two event-source mappings: INSERTs of inbound events go to the
conversation engine; INSERTs of outbox items go to the owner's integrations (sheet, CRM), so a slow sink never
holds up a guest's DM. Records fail one by one (partial batch response); what keeps failing goes to the DLQs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tagback.conversation import DeliveryPending
from tagback.integrations import SinkUnavailable, deliver
from tagback.observability import count, logger, metrics
from tagback.runtime import Lazy, time_limited
from tagback.store import ITEM_TYPE, OUTBOX, inbound_event_from_item, outbox_from_item
from tagback.wiring import engine_from_environment, owner_delivery_from_environment

engine = Lazy(engine_from_environment)
owner_delivery = Lazy(owner_delivery_from_environment)
# Report every failed record, even when all fail: Lambda then retries from the first of them, the same way.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def handle_record(record: DynamoDBRecord) -> None:
    new_image = record.dynamodb.new_image if record.dynamodb else None
    if not new_image:
        raise ValueError("stream record without a NewImage")
    if new_image.get(ITEM_TYPE) == OUTBOX:
        deliver_to_owner(new_image)
        return
    event = inbound_event_from_item(new_image)
    try:
        outcome = engine.get().handle(event)
    except DeliveryPending:
        count("delivery_pending")
        raise
    count(outcome.value)
    logger.info("inbound event handled", extra={"kind": event.kind.value, "outcome": outcome.value})


def deliver_to_owner(item: dict[str, Any]) -> None:
    delivery = owner_delivery.get()
    event = outbox_from_item(item)
    try:
        refused = deliver(event, delivery.sinks, delivery.store, delivery.clock.now())
    except SinkUnavailable:
        count("sink_unavailable")
        raise  # the stream retries the record, with backoff, up to its limit
    for error in refused:
        count(f"{error.sink}_refused")
        logger.error(
            "owner integration refused the event: fix it, then replay the dead-letter queue",
            extra={"client_id": delivery.client_id, "sink": error.sink, "error": str(error), "fix": error.fix},
        )
    if refused:  # retrying cannot help: straight to the dead-letter queue, replayable once fixed
        delivery.dead_letter({"outbox_event_id": event.event_id, "errors": [str(e) for e in refused]})
    else:
        count("owner_event_delivered")


@metrics.log_metrics
@logger.inject_lambda_context
@time_limited
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    metrics.add_dimension(name="client_id", value=engine.get().config.client_id)
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
