"""owner_delivery Lambda, on the table's stream through its mapping of outbox items: each award, captured contact and
redeemed coupon delivered to the owner's sinks (Google Sheet, CRM webhook), apart from the prize function so a slow
sink never holds up a guest's DM and the conversation's layer carries no Google auth. Records fail one by one
(partial batch response); what a sink refuses for good, or what keeps failing, goes to the integrations DLQ."""

from __future__ import annotations

from typing import Any

# The batch utility first: imported after pydantic, its types load Powertools' parser models too.
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tagback.app.owner import deliver_outbox_record
from tagback.app.stream_record import process_batch
from tagback.domain.runtime import Lazy, time_limited
from tagback.observability import errors_counted, for_venue, logger, metrics, tracer
from tagback.wiring import owner_delivery_from_environment

delivery = Lazy(owner_delivery_from_environment)


def handle_record(record: DynamoDBRecord) -> None:
    deliver_outbox_record(record, delivery.get())


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@errors_counted
@time_limited
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    for_venue(delivery.get().client_id)
    return process_batch(event, context, handle_record)
