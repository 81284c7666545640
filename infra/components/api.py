"""The agency's one public HTTP API (Meta's webhook for every venue, the venues' tracked links, Meta's data deletion
callback, the venues' staff redemption page) and the webhook function behind most of its routes (infra/api_routes.py);
the redemption page's function is its own (infra/components/redemption.py)."""

from __future__ import annotations

import jsii
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_apigateway as rest_api
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.api_routes import API_ROUTES
from infra.components.function import Layers, TagbackFunction
from infra.components.redemption import Redemption
from infra.names import edge_resource_name
from tagback.config.agency import AgencyConfig

# A Meta app has one callback URL, so every venue's deliveries arrive here (Meta batches them, up to 1000 updates
# each), and so do all the venues' guests following tracked links. Each route has its own, lower limit
# (infra/api_routes.py); this default is for a route without one, and caps the bill of a flood; far below the
# account's API Gateway quota (10,000 requests per second per region), which other APIs share.
THROTTLE = apigw.ThrottleSettings(rate_limit=500, burst_limit=1000)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        agency: AgencyConfig,
        layers: Layers,
        registry: dynamodb.ITable,
        redemption: Redemption,
    ) -> None:
        super().__init__(scope, construct_id)
        app_secrets = agency.secrets
        self.webhook = TagbackFunction(
            self,
            "Webhook",
            name="webhook",
            layers=layers,
            timeout=Duration.seconds(10),
            # Its peak needs 192 MB; 512 buys the CPU a cold start needs to answer inside Meta's 5 s (docs/cost.md).
            memory_mb=512,
            environment={
                "REGISTRY_TABLE": registry.table_name,
                "META_APP_SECRET_PARAM": app_secrets.meta_app_secret,
                "META_VERIFY_TOKEN_PARAM": app_secrets.meta_verify_token,
            },
        )
        # GetItem: the registration of each recipient account (and of each tracked link's client), a data deletion
        # request's status; PutItem: the deliveries for an unknown account, quarantined, and Meta's data deletion
        # requests; Scan: every venue to ask, and the quarantined items naming the person, which DeleteItem erases.
        # The venues' tables grant it their writes themselves.
        registry.grant(
            self.webhook.function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:DeleteItem"
        )
        self.webhook.read_secrets([app_secrets.meta_app_secret, app_secrets.meta_verify_token])

        # HTTP API rather than REST API: the webhook verifies Meta's signature itself, so REST's request
        # validation, API keys and usage plans would go unused; HTTP APIs cost less and add less latency.
        self.http_api = apigw.HttpApi(
            self,
            "Default",
            api_name=edge_resource_name(),
            description=f"Tagback edge of {agency.agency_name}: Meta's webhook and the venues' tracked links",
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=THROTTLE,
            access_log_settings=_AccessLogs(access_logs),
        )
        integrations_by_function = {
            "webhook": integrations.HttpLambdaIntegration("WebhookIntegration", self.webhook.function),
            "redemption": integrations.HttpLambdaIntegration("RedemptionIntegration", redemption.page.function),
        }
        stage_resource = self.stage.node.default_child
        assert isinstance(stage_resource, apigw.CfnStage)
        route_settings = {}
        for route in API_ROUTES:
            (added,) = self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=integrations_by_function[route.function],
            )
            # Its own limit: a flood of one route (forged deliveries, a guessing script) cannot take another's share.
            route_settings[f"{route.method} {route.path}"] = {
                "ThrottlingRateLimit": route.throttle.rate,
                "ThrottlingBurstLimit": route.throttle.burst,
            }
            stage_resource.node.add_dependency(added)  # a route's settings need the route
        stage_resource.route_settings = route_settings
        Validations.of(self.http_api).acknowledge(
            Acknowledgment(
                id="AwsSolutions-APIG4",
                reason="Meta calls the webhook unauthenticated by design; every POST is verified by its "
                "X-Hub-Signature-256 HMAC in the function, and the GET handshake by the verify token. Tracked links "
                "are opened by guests from a DM: an unguessable token, a click counted, a redirect. Meta's data "
                "deletion callback is verified by its signed_request's HMAC; its status page shows a status only. The "
                "staff redemption page answers an unknown code without a read, and redeems only with a staff "
                "member's PIN (five wrong ones lock the code), from a signed form. Every route has its own throttle.",
            )
        )


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogs:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> rest_api.AccessLogFormat:
        return rest_api.AccessLogFormat.clf()
