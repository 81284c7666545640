"""The composition root: each function's dependencies, built from its environment with the real adapters. The only
module that picks adapters; each handler calls its builder once per container (lazily, on first use).

Adapters, and the client config's loading (YAML, Babel's locale data), are imported inside the builder that uses
them, so a function loads only what it runs (the edge's functions never load Pillow, the Graph client or a client's
config, and their layer does not ship them): that keeps every cold start short.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagback.adapters.ssm import SsmSecrets, SsmToken
from tagback.config.environment import (
    EdgeSettings,
    EngineSettings,
    OwnerDeliverySettings,
    RedemptionSettings,
    RegistrySettings,
    ReportSettings,
    WatchdogSettings,
)
from tagback.domain.clock import Clock, SystemClock
from tagback.domain.registrations import Registration
from tagback.observability import trace_http
from tagback.store.registry import AlertMarks, DataDeletions, Quarantine, Registry, VenueTables
from tagback.store.repositories import Repositories
from tagback.store.table import Table

if TYPE_CHECKING:
    from tagback.adapters.meta.graph import GraphClient
    from tagback.app.erasure import VenueErasure
    from tagback.app.ingest import InboundEventStore
    from tagback.app.monthly_report import Reporting
    from tagback.app.owner import OwnerDelivery
    from tagback.app.redemption import RedemptionPage
    from tagback.app.snapshot import RatingSource
    from tagback.app.tokens import TokenKeeper
    from tagback.app.watchdog import Watchdog
    from tagback.conversation.engine import Engine
    from tagback.conversation.ports import SecretReader
    from tagback.domain.events import Sink


@dataclass(frozen=True)
class Edge:
    """The edge's webhook: the registry of venues, their tables, the quarantine, Meta's data deletion requests, the
    agency app's secrets."""

    settings: EdgeSettings
    registry: Registry
    venues: VenueTables
    quarantine: Quarantine
    deletions: DataDeletions
    secret: SecretReader
    clock: Clock

    def inbound_of(self, venue: Registration) -> InboundEventStore:
        return self.venues.of(venue).inbound


def edge_from_environment(environ: Mapping[str, str] = os.environ) -> Edge:
    settings = EdgeSettings.from_environ(environ)
    table = Table(settings.registry_table)
    return Edge(
        settings, Registry(table), VenueTables(), Quarantine(table), DataDeletions(table), SsmSecrets(), SystemClock()
    )


def redemption_from_environment(environ: Mapping[str, str] = os.environ) -> RedemptionPage:
    from tagback.app.redemption import RedemptionPage

    settings = RedemptionSettings.from_environ(environ)
    venues = VenueTables()
    return RedemptionPage(Registry(Table(settings.registry_table)), venues.of, SsmSecrets(), SystemClock())


def registry_from_environment(environ: Mapping[str, str] = os.environ) -> Registry:
    return Registry(Table(RegistrySettings.from_environ(environ).registry_table))


def watchdog_from_environment(environ: Mapping[str, str] = os.environ) -> Watchdog:
    from tagback.adapters.sns import SnsTopic
    from tagback.adapters.stream_lag import CloudWatchStreamLags
    from tagback.app.watchdog import Watchdog

    settings = WatchdogSettings.from_environ(environ)
    table = Table(settings.registry_table)
    venues = VenueTables()
    return Watchdog(
        Registry(table),
        lambda venue: venues.of(venue).stats,
        AlertMarks(table),
        SnsTopic(settings.alerts_topic_arn),
        SystemClock(),
        CloudWatchStreamLags(),
    )


def engine_from_environment(environ: Mapping[str, str] = os.environ, secret: SsmSecrets | None = None) -> Engine:
    from tagback.adapters.meta.graph import GraphClient
    from tagback.adapters.phones import valid_phone
    from tagback.adapters.s3_coupons import S3CouponImages
    from tagback.adapters.scheduler import EventBridgeSteps
    from tagback.config.loading import load_client_config
    from tagback.conversation.engine import Engine

    trace_http()  # Meta's Graph API calls as subsegments

    settings = EngineSettings.from_environ(environ)
    config = load_client_config(settings.client_config)
    secret = secret or SsmSecrets()
    token = SsmToken(secret, config.secrets.meta_access_token)
    return Engine(
        config=config,
        store=Repositories.on(settings.table_name),
        # The token is read per message (through the secrets' cache): a renewed one is used without a redeploy.
        messenger=GraphClient.for_client(config, token, settings.graph_url, token_renewed=token.renewed),
        images=S3CouponImages(settings.coupon_bucket, config, link_prefix=settings.coupon_prefix),
        scheduler=EventBridgeSteps(
            group=settings.schedule_group,
            target_arn=settings.followup_function_arn,
            role_arn=settings.scheduler_role_arn,
            dead_letter_arn=settings.followup_dead_letter_arn,
        ),
        clock=SystemClock(),
        rng=random.SystemRandom(),  # prizes and coupon codes must not be predictable
        secret=secret,
        link_prefix=settings.link_prefix,
        valid_phone=valid_phone,
    )


def erasure_from_environment(environ: Mapping[str, str] = os.environ) -> VenueErasure:
    """The prize function's erasure of a guest: the venue's table, coupon images and schedules (the engine's
    environment names them), and the edge's table to tell Meta's request's outcome."""
    from tagback.adapters.s3_coupons import S3CouponImages
    from tagback.adapters.scheduler import EventBridgeSteps
    from tagback.app.erasure import VenueErasure
    from tagback.config.loading import load_client_config
    from tagback.domain.erasure import DeletionStatus

    settings = EngineSettings.from_environ(environ)
    config = load_client_config(settings.client_config)
    store = Repositories.on(settings.table_name)

    def tell_edge(edge_table: str, code: str, status: DeletionStatus) -> None:
        DataDeletions(Table(edge_table)).report(code, config.client_id, status)

    return VenueErasure(
        client_id=config.client_id,
        guest_data=store.guest_data,
        images=S3CouponImages(settings.coupon_bucket, config),
        steps=EventBridgeSteps(
            group=settings.schedule_group,
            target_arn=settings.followup_function_arn,
            role_arn=settings.scheduler_role_arn,
            dead_letter_arn=settings.followup_dead_letter_arn,
        ),
        outbox=store.outbox,
        requests=store.erasures,
        tell_edge=tell_edge,
        clock=SystemClock(),
        retention_days=config.retention_days,
    )


@dataclass(frozen=True)
class ScheduledSteps:
    """review_followup's: the engine for the conversation's steps, and the keeper of the venue's token, sharing one
    secrets cache (so a token the keeper renews or drops is the one the engine sends with next)."""

    engine: Engine
    tokens: TokenKeeper


def scheduled_steps_from_environment(environ: Mapping[str, str] = os.environ) -> ScheduledSteps:
    from tagback.adapters.meta.account import InstagramAccountApi
    from tagback.app.tokens import TokenKeeper

    trace_http()  # Meta's token endpoints as subsegments

    settings = EngineSettings.from_environ(environ)
    secret = SsmSecrets()
    engine = engine_from_environment(environ, secret)
    keeper = TokenKeeper(
        config=engine.config,
        vault=secret,
        meta=InstagramAccountApi(api_version=engine.config.meta.api_version, graph_url=settings.graph_url),
        records=Repositories.on(settings.table_name).tokens,
        clock=SystemClock(),
    )
    return ScheduledSteps(engine, keeper)


def owner_delivery_from_environment(environ: Mapping[str, str] = os.environ) -> OwnerDelivery:
    from tagback.adapters.crm import CrmWebhookSink
    from tagback.adapters.google.sheets import SHEETS_API, GoogleSheetsSink
    from tagback.adapters.sqs import SqsQueue
    from tagback.app.owner import OwnerDelivery
    from tagback.config.loading import load_client_config

    trace_http()  # Google Sheets' and the CRM's calls as subsegments

    settings = OwnerDeliverySettings.from_environ(environ)
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


def reporting_from_environment(environ: Mapping[str, str] = os.environ) -> Reporting:
    from tagback.adapters.google.places import PLACES_API, google_rating
    from tagback.adapters.meta.graph import GraphClient
    from tagback.adapters.report_delivery import ReportDelivery
    from tagback.app.monthly_report import Reporting
    from tagback.config.loading import load_client_config

    trace_http()  # Meta's insights and Google Places as subsegments

    settings = ReportSettings.from_environ(environ)
    config = load_client_config(settings.client_config)
    secret = SsmSecrets()

    def insights() -> GraphClient:
        token = SsmToken(secret, config.secrets.meta_access_token)
        return GraphClient.for_client(config, token, settings.graph_url, token_renewed=token.renewed)

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
        agency=settings.agency_name,
    )
