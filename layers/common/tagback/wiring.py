"""The composition root: each function's dependencies, built from its environment with the real adapters. The only
module that picks adapters; each handler calls its builder once per container (lazily, on first use).

Adapters are imported inside the builder that uses them, so a function loads only what it runs (the webhook never
loads Pillow or the Graph client): that keeps every cold start short.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tagback.adapters.ssm import SsmSecrets
from tagback.config.environment import EngineSettings, FunctionSettings, OwnerDeliverySettings, ReportSettings
from tagback.config.loading import load_client_config
from tagback.config.model import ClientConfig
from tagback.domain.clock import Clock, SystemClock
from tagback.store.repositories import Repositories

if TYPE_CHECKING:
    from tagback.adapters.meta.graph import GraphClient
    from tagback.app.ingest import InboundEventStore
    from tagback.app.links import LinkClicks
    from tagback.app.monthly_report import Reporting
    from tagback.app.owner import OwnerDelivery
    from tagback.app.snapshot import RatingSource
    from tagback.conversation.engine import Engine
    from tagback.conversation.ports import SecretReader
    from tagback.domain.events import Sink
    from tagback.domain.stats import StatsStore


class WebhookStore(Protocol):
    """What the webhook function uses of the table: inbound events; link clicks and their counters."""

    @property
    def inbound(self) -> InboundEventStore: ...
    @property
    def links(self) -> LinkClicks: ...
    @property
    def stats(self) -> StatsStore: ...


@dataclass(frozen=True)
class Webhook:
    config: ClientConfig
    store: WebhookStore
    secret: SecretReader
    clock: Clock


def webhook_from_environment() -> Webhook:
    settings = FunctionSettings.from_environ()
    return Webhook(
        config=load_client_config(settings.client_config),
        store=Repositories.on(settings.table_name),
        secret=SsmSecrets(),
        clock=SystemClock(),
    )


def engine_from_environment() -> Engine:
    from tagback.adapters.meta.graph import GraphClient
    from tagback.adapters.phones import valid_phone
    from tagback.adapters.s3_coupons import S3CouponImages
    from tagback.adapters.scheduler import EventBridgeSteps
    from tagback.conversation.engine import Engine

    settings = EngineSettings.from_environ()
    config = load_client_config(settings.client_config)
    secret = SsmSecrets()
    return Engine(
        config=config,
        store=Repositories.on(settings.table_name),
        messenger=GraphClient.for_client(config, secret(config.secrets.meta_access_token), settings.graph_url),
        images=S3CouponImages(settings.coupon_bucket, config),
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
        valid_phone=valid_phone,
    )


def owner_delivery_from_environment() -> OwnerDelivery:
    from tagback.adapters.crm import CrmWebhookSink
    from tagback.adapters.google.sheets import SHEETS_API, GoogleSheetsSink
    from tagback.adapters.sqs import SqsQueue
    from tagback.app.owner import OwnerDelivery

    settings = OwnerDeliverySettings.from_environ()
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
            CrmWebhookSink(
                url=settings.crm_url or str(webhook.url),
                secret=secret(webhook.secret_param),
                client_id=config.client_id,
            )
        )
    store = Repositories.on(settings.table_name)
    return OwnerDelivery(
        config.client_id, sinks, store.outbox, SystemClock(), SqsQueue(settings.outbox_dead_letter_url)
    )


def reporting_from_environment() -> Reporting:
    from tagback.adapters.google.places import PLACES_API, google_rating
    from tagback.adapters.meta.graph import GraphClient
    from tagback.adapters.report_delivery import ReportDelivery
    from tagback.app.monthly_report import Reporting

    settings = ReportSettings.from_environ()
    config = load_client_config(settings.client_config)
    secret = SsmSecrets()

    def insights() -> GraphClient:
        return GraphClient.for_client(config, secret(config.secrets.meta_access_token), settings.graph_url)

    rating: RatingSource | None = None  # without a Places API key, no rating
    key_param = config.report.places_api_key_param
    if key_param is not None:

        def places_rating(place_id: str) -> dict[str, Any]:
            return google_rating(place_id, secret(key_param), settings.places_url or PLACES_API)

        rating = places_rating

    return Reporting(
        config=config,
        store=Repositories.on(settings.table_name),
        delivery=ReportDelivery(settings.report_bucket),
        clock=SystemClock(),
        insights=insights,
        rating=rating,
    )
