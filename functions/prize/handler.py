"""prize Lambda, on the table's stream through its event-source mapping: INSERTs of inbound events go to the
conversation engine, erasure requests to the guest's erasure (outbox items are owner_delivery's). Records fail one by
one (partial batch response); what keeps failing goes to its DLQ."""

from __future__ import annotations

from typing import Any

# The batch utility first: imported after pydantic, its types load Powertools' parser models too.
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tagback.app.stream import handle_stream_record
from tagback.app.stream_record import process_batch
from tagback.domain.runtime import Lazy, time_limited
from tagback.observability import errors_counted, for_venue, logger, metrics, tracer
from tagback.wiring import engine_from_environment, erasure_from_environment

engine = Lazy(engine_from_environment)
erasure = Lazy(erasure_from_environment)


def handle_record(record: DynamoDBRecord) -> None:
    handle_stream_record(record, engine.get, erasure.get)


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@errors_counted
@time_limited
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    for_venue(engine.get().config.client_id)
    return process_batch(event, context, handle_record)
