"""The monthly report's delivery: a copy in S3 (always) and the email through SES (raw MIME). SES refusals are
logged with the fix and leave the report retrievable from S3."""

from __future__ import annotations

from email.message import EmailMessage
from functools import cached_property
from typing import Any

from tagback.adapters.aws import boto3_client
from tagback.observability import logger


class ReportDelivery:
    def __init__(self, bucket: str, s3: Any = None, ses: Any = None) -> None:
        self.bucket = bucket
        self._s3, self._ses = s3, ses

    @cached_property
    def s3(self) -> Any:
        return self._s3 or boto3_client("s3")

    @cached_property
    def ses(self) -> Any:
        return self._ses or boto3_client("ses")

    def store_copy(self, month: str, message: EmailMessage) -> str:
        """The message's HTML page and the whole message under `reports/<month>`; where the page is."""
        key = f"reports/{month}"
        page = message.get_body(("html",))
        assert page is not None, "the report's message has an HTML part"
        self.s3.put_object(
            Bucket=self.bucket,
            Key=f"{key}.html",
            Body=page.get_content().encode(),
            ContentType="text/html; charset=utf-8",
        )
        self.s3.put_object(Bucket=self.bucket, Key=f"{key}.eml", Body=message.as_bytes(), ContentType="message/rfc822")
        return f"s3://{self.bucket}/{key}.html"

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> str | None:
        """The SES message id, or None when SES refused (logged with what to do)."""
        try:
            answer = self.ses.send_raw_email(
                Source=sender, Destinations=recipients, RawMessage={"Data": message.as_bytes()}
            )
        except self.ses.exceptions.MessageRejected as error:
            logger.error(
                "SES refused the monthly report: verify the sender (and, while the account is in the SES "
                "sandbox, the recipients) in SES; the report is in S3",
                extra={"sender": sender, "error": str(error)},
            )
            return None
        return str(answer["MessageId"])
