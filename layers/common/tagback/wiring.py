"""The composition root: the conversation engine and the owner's integrations with their real adapters, built
from a function's environment. The only module that picks adapters; handlers call it once per container (lazily,
on first use)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagback.aws import boto3_client
from tagback.clock import Clock, SystemClock
from tagback.config import load_client_config
from tagback.conversation import Engine
from tagback.coupons import S3CouponImages
from tagback.meta.graph import GraphClient
from tagback.scheduling import EventBridgeSteps
from tagback.secrets import SsmSecrets
from tagback.settings import PrizeSettings
from tagback.store import DynamoRepository

if TYPE_CHECKING:
    from tagback.integrations import Sink


def engine_from_environment() -> Engine:
    settings = PrizeSettings.from_environ()
    config = load_client_config(settings.client_config)
    secret = SsmSecrets()
    return Engine(
        config=config,
        store=DynamoRepository(settings.table_name),
        messenger=GraphClient.for_client(config, secret(config.secrets.meta_access_token), settings.graph_url),
        images=S3CouponImages(settings.coupon_bucket),
        scheduler=EventBridgeSteps(
            group=settings.schedule_group,
            target_arn=settings.followup_function_arn,
            role_arn=settings.scheduler_role_arn,
            dead_letter_arn=settings.followup_dead_letter_arn,
        ),
        clock=SystemClock(),
        rng=random.SystemRandom(),  # prizes and coupon codes must not be predictable
        secret=secret,
        link_base=settings.public_url,
    )


@dataclass
class OwnerDelivery:
    """What the outbox path needs: the client's sinks, the table, a clock, and its dead-letter queue."""

    client_id: str
    sinks: list[Sink]
    store: DynamoRepository
    clock: Clock
    dead_letter_url: str

    def dead_letter(self, message: dict[str, Any]) -> None:
        boto3_client("sqs").send_message(QueueUrl=self.dead_letter_url, MessageBody=json.dumps(message))


def owner_delivery_from_environment() -> OwnerDelivery:
    from tagback.integrations import SHEETS_API, GoogleSheetsSink, WebhookSink  # noqa: PLC0415

    settings = PrizeSettings.from_environ()
    config = load_client_config(settings.client_config)
    secret = SsmSecrets()
    sinks: list[Sink] = []
    sheets, webhook = config.integrations.google_sheets, config.integrations.webhook
    if sheets is not None:
        sinks.append(
            GoogleSheetsSink(
                spreadsheet_id=sheets.spreadsheet_id,
                sheet=sheets.sheet,
                tz=config.tz,
                service_account=json.loads(secret(sheets.service_account_param)),
                base_url=settings.sheets_url or SHEETS_API,
            )
        )
    if webhook is not None:
        sinks.append(
            WebhookSink(
                url=settings.webhook_url or str(webhook.url),
                secret=secret(webhook.secret_param),
                client_id=config.client_id,
            )
        )
    return OwnerDelivery(
        config.client_id, sinks, DynamoRepository(settings.table_name), SystemClock(), settings.outbox_dead_letter_url
    )
