"""What every handler of the table's stream reads first: the item a record carries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord


def new_image(record: DynamoDBRecord) -> dict[str, Any]:
    """The item as written (the mappings pass inserts only); a record without one is refused."""
    image = record.dynamodb.new_image if record.dynamodb else None
    if not image:
        raise ValueError("stream record without a NewImage")
    return image
