"""The agency's alerts topic (the edge's SNS topic, which emails the addresses in agency.yaml)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from tagback.adapters.aws import boto3_client

SUBJECT_LIMIT = 99  # SNS: ASCII, under 100 characters, no line breaks


class SnsTopic:
    def __init__(self, arn: str, client: Any = None) -> None:
        self.arn = arn
        self._given_client = client

    @cached_property
    def client(self) -> Any:
        return self._given_client or boto3_client("sns")

    def publish(self, subject: str, message: str) -> None:
        ascii_subject = subject.encode("ascii", "replace").decode("ascii")[:SUBJECT_LIMIT]
        self.client.publish(TopicArn=self.arn, Subject=ascii_subject, Message=message)
