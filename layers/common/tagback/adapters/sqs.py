"""A dead-letter queue the code itself sends to (what a sink refused for good waits there for a replay)."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from tagback.adapters.aws import boto3_client


class SqsQueue:
    def __init__(self, url: str, client: Any = None) -> None:
        self.url = url
        self._given_client = client

    @cached_property
    def client(self) -> Any:
        return self._given_client or boto3_client("sqs")

    def send(self, message: dict[str, Any]) -> None:
        self.client.send_message(QueueUrl=self.url, MessageBody=json.dumps(message))
