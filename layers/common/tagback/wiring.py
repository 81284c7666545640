"""The composition root: the conversation engine with its real adapters, built from a function's environment.
The only module that picks adapters; handlers call it once per container (lazily, on first use)."""

from __future__ import annotations

import random

from tagback.clock import SystemClock
from tagback.config import load_client_config
from tagback.conversation import Engine
from tagback.coupons import S3CouponImages
from tagback.meta.graph import GraphClient
from tagback.scheduling import EventBridgeSteps
from tagback.secrets import ssm_secret
from tagback.settings import PrizeSettings
from tagback.store import DynamoRepository


def engine_from_environment() -> Engine:
    settings = PrizeSettings.from_environ()
    config = load_client_config(settings.client_config)
    return Engine(
        config=config,
        store=DynamoRepository(settings.table_name),
        messenger=GraphClient.for_client(config, ssm_secret(config.secrets.meta_access_token), settings.graph_url),
        images=S3CouponImages(settings.coupon_bucket),
        scheduler=EventBridgeSteps(
            group=settings.schedule_group,
            target_arn=settings.followup_function_arn,
            role_arn=settings.scheduler_role_arn,
            dead_letter_arn=settings.followup_dead_letter_arn,
        ),
        clock=SystemClock(),
        rng=random.SystemRandom(),  # prizes and coupon codes must not be predictable
        secret=ssm_secret,
        link_base=settings.public_url,
    )
