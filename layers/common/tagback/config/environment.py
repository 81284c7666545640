"""The environment each function is deployed with, validated once at cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Settings(BaseModel):
    # Each function validates one of these: its schema is built then, not every one at every cold start.
    model_config = ConfigDict(frozen=True, defer_build=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Self:
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as error:
            problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
            raise RuntimeError(f"function environment is incomplete: {problems}") from None


class RegistrySettings(_Settings):
    """The edge's registrar: the registry's table."""

    registry_table: str = Field(validation_alias="REGISTRY_TABLE", min_length=3)


class EdgeSettings(RegistrySettings):
    """The edge's webhook: the registry, and the agency app's secrets by their SSM names."""

    app_secret_param: str = Field(validation_alias="META_APP_SECRET_PARAM", pattern=r"^/")
    verify_token_param: str = Field(validation_alias="META_VERIFY_TOKEN_PARAM", pattern=r"^/")


class RedemptionSettings(RegistrySettings):
    """The edge's staff redemption page: the registry (each venue's table, timezone, language); the venues' signing
    keys and staff PINs are read by their conventional names (tagback.domain.redemption)."""


class WatchdogSettings(RegistrySettings):
    """The edge's watchdog: the registry (every venue, and the alerts already sent) and the agency's alerts topic."""

    alerts_topic_arn: str = Field(validation_alias="ALERTS_TOPIC_ARN", pattern=r"^arn:")


class FunctionSettings(_Settings):
    """A venue's functions: the client's table and config."""

    table_name: str = Field(validation_alias="TABLE_NAME", min_length=3)
    client_config: Path = Field(validation_alias="TAGBACK_CLIENT_CONFIG")


class MessagingSettings(FunctionSettings):
    """Functions that message guests: where Meta is (overridable for the sandbox)."""

    graph_url: str | None = Field(default=None, validation_alias="TAGBACK_GRAPH_URL")


class EngineSettings(MessagingSettings):
    """The conversation engine's, in both functions that build it (prize, review_followup)."""

    link_prefix: str = Field(validation_alias="TAGBACK_LINK_PREFIX", pattern=r"^https?://")  # the edge's /l/<client>
    # What the coupon's QR code opens, <prefix>/<code>: the edge's staff redemption page, /c/<client>.
    coupon_prefix: str = Field(validation_alias="TAGBACK_COUPON_PREFIX", pattern=r"^https?://")
    coupon_bucket: str = Field(validation_alias="COUPON_BUCKET", min_length=3)
    schedule_group: str = Field(validation_alias="SCHEDULE_GROUP", min_length=1)
    followup_function_arn: str = Field(validation_alias="FOLLOWUP_FUNCTION_ARN", pattern=r"^arn:")
    scheduler_role_arn: str = Field(validation_alias="SCHEDULER_ROLE_ARN", pattern=r"^arn:")
    followup_dead_letter_arn: str = Field(validation_alias="FOLLOWUP_DLQ_ARN", pattern=r"^arn:")


class OwnerDeliverySettings(FunctionSettings):
    """The owner_delivery function's: the owner's sinks and their dead-letter queue."""

    outbox_dead_letter_url: str = Field(validation_alias="OUTBOX_DLQ_URL", pattern=r"^https?://")
    # Where the owner's sinks are, overridable for the sandbox's fakes (the config names the real ones).
    sheets_url: str | None = Field(default=None, validation_alias="TAGBACK_SHEETS_URL")
    crm_url: str | None = Field(default=None, validation_alias="TAGBACK_CRM_URL")


class ReportSettings(MessagingSettings):
    report_bucket: str = Field(validation_alias="REPORT_BUCKET", min_length=3)
    agency_name: str | None = Field(default=None, validation_alias="AGENCY_NAME", min_length=1)  # agency.yaml's
    places_url: str | None = Field(default=None, validation_alias="TAGBACK_PLACES_URL")  # the sandbox's fake
