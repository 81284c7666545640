"""The agency's edge: `Tagback-Edge`, deployed once per agency from agency.yaml, composed of the constructs in
infra/components/.

The one public HTTP API of the agency's Meta app (a Meta app has one webhook callback URL) in front of the webhook
function, which verifies each delivery once and writes each venue's inbound events to that venue's table; the
registry (which venue an Instagram account is, and its table, region and link prefix) and the `registry` function
that venue stacks register through; the agency's alerts topic with every alarm (infra/components/alerts.py) and the
watchdog. What venue stacks need of the edge it publishes as SSM String parameters (names
in infra/names.py), read by each venue stack at deploy: no CloudFormation export ties the two.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.components.alerts import Alerts
from infra.components.api import Api
from infra.components.function import Layers
from infra.components.redemption import Redemption
from infra.components.registry import Registry
from infra.components.watchdog import Watchdog
from infra.names import (
    EDGE_REDEMPTION_ROLE_PARAMETER,
    EDGE_REGISTRAR_PARAMETER,
    EDGE_TABLE_PARAMETER,
    EDGE_URL_PARAMETER,
    EDGE_WEBHOOK_ROLE_PARAMETER,
)
from tagback.config.agency import AgencyConfig


class EdgeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, agency: AgencyConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description=f"Tagback edge of {agency.agency_name}", **kwargs)
        layers = Layers(self, "Layers")  # the common layer only: no venue's config
        registry = Registry(self, "Registry", layers=layers)
        self.redemption = Redemption(self, "Redemption", layers=layers, registry=registry.table)
        api = Api(self, "Api", agency=agency, layers=layers, registry=registry.table, redemption=self.redemption)
        self.api = api
        self.registry = registry
        # Every alarm of the agency (the edge's and all its venues'), each with the alerts topic as its action; the
        # watchdog, for what only the venues' data shows.
        self.alerts = Alerts(self, "Alerts", agency=agency, http_api=api.http_api)
        self.watchdog = Watchdog(
            self,
            "Watchdog",
            layers=layers,
            registry=registry.table,
            topic=self.alerts.topic,
            stream_lag=self.alerts.stream_lag,
        )

        # Discovery, not secrets: plain String parameters. A venue stack reads them when it deploys.
        for construct_id_, name, value, description in (
            (
                "UrlParameter",
                EDGE_URL_PARAMETER,
                api.http_api.api_endpoint,  # https://<id>.execute-api.<region>.amazonaws.com, no trailing slash
                "the edge's HTTP API: venues' tracked links start with it",
            ),
            (
                "WebhookRoleParameter",
                EDGE_WEBHOOK_ROLE_PARAMETER,
                api.webhook.role.role_arn,
                "the edge webhook's role: each venue's table policy lets it write inbound events and link clicks",
            ),
            (
                "RedemptionRoleParameter",
                EDGE_REDEMPTION_ROLE_PARAMETER,
                self.redemption.page.role.role_arn,
                "the staff redemption page's role: each venue's table lets it read and redeem its coupons",
            ),
            (
                "RegistrarParameter",
                EDGE_REGISTRAR_PARAMETER,
                registry.registrar.function.function_arn,
                "the service token of each venue's registration (Custom::TagbackRegistration)",
            ),
            (
                "TableParameter",
                EDGE_TABLE_PARAMETER,
                registry.table.table_arn,
                "the edge's table: each venue reports there its part of Meta's data deletion requests",
            ),
        ):
            ssm.StringParameter(
                self,
                construct_id_,
                parameter_name=name,
                string_value=value,
                description=f"Tagback: {description}",
            )

        CfnOutput(
            self,
            "WebhookUrl",
            value=f"{api.http_api.api_endpoint}/webhook",
            description="Callback URL for Meta's app dashboard (Webhooks → Instagram)",
        )
        CfnOutput(
            self,
            "DataDeletionUrl",
            value=f"{api.http_api.api_endpoint}/meta/data-deletion",
            description="Data deletion request URL for Meta's app dashboard (App settings → Advanced)",
        )
        CfnOutput(self, "RegistryTableName", value=registry.table.table_name)
        CfnOutput(self, "WebhookFunctionName", value=api.webhook.function.function_name)
        CfnOutput(self, "RegistryFunctionName", value=registry.registrar.function.function_name)
        CfnOutput(self, "WatchdogFunctionName", value=self.watchdog.watchdog.function.function_name)
        CfnOutput(self, "RedemptionFunctionName", value=self.redemption.page.function.function_name)
        CfnOutput(self, "AlertsTopicArn", value=self.alerts.topic.topic_arn, description="Every alarm's action")
