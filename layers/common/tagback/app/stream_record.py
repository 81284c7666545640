"""What every handler of the table's stream shares: its batch processed record by record, and the item a record
carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext


def process_batch(
    event: dict[str, Any], context: LambdaContext, handle_record: Callable[[DynamoDBRecord], None]
) -> PartialItemFailureResponse:
    """Each record handled alone; every failed one reported, even when all fail: Lambda then retries from the first
    of them, the same way. One processor per invocation: it keeps the batch's failures, and the sandbox runs every
    venue's container of a function in one process at once (a shared one let another venue's batch wipe a failure:
    issue 17)."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)


def new_image(record: DynamoDBRecord) -> dict[str, Any]:
    """The item as written (the mappings pass inserts only); a record without one is refused."""
    image = record.dynamodb.new_image if record.dynamodb else None
    if not image:
        raise ValueError("stream record without a NewImage")
    return image
