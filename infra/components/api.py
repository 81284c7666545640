"""The public HTTP API (Meta's webhook, tracked review links) and the webhook function behind its routes."""

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
from infra.components.deployed import keep_logical_id
from infra.components.function import Layers, TagbackFunction
from tagback.config.model import ClientConfig


class Api(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ClientConfig, layers: Layers, table: dynamodb.ITable
    ) -> None:
        super().__init__(scope, construct_id)
        self.webhook = TagbackFunction(
            self,
            "Webhook",
            name="webhook",
            layers=layers,
            table=table,
            timeout=Duration.seconds(10),
            memory_mb=512,
        )
        # PutItem: inbound events; UpdateItem: link clicks and the month's counters.
        table.grant(self.webhook.function, "dynamodb:PutItem", "dynamodb:UpdateItem")
        self.webhook.read_secrets([config.secrets.meta_app_secret, config.secrets.meta_verify_token])

        # HTTP API rather than REST API: the webhook verifies Meta's signature itself, so REST's request
        # validation, API keys and usage plans would go unused; HTTP APIs cost less and add less latency.
        # The id `Default` adds nothing to the logical ids of the API and its routes, so they stay those deployed
        # before this construct wrapped them (and so does its name): the API's URL is in Meta's dashboard and in
        # every tracked link sent.
        self.http_api = apigw.HttpApi(
            self,
            "Default",
            api_name=construct_id,
            description=f"Tagback webhook for {config.venue_name}",
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            # Meta's deliveries for one venue are a trickle; the cap keeps a flood from scaling the bill.
            throttle=apigw.ThrottleSettings(rate_limit=50, burst_limit=100),
            access_log_settings=_AccessLogs(access_logs),
        )
        keep_logical_id(stage, "DefaultStageEE28A986")
        integrations_by_function = {
            "webhook": integrations.HttpLambdaIntegration("WebhookIntegration", self.webhook.function)
        }
        for route in API_ROUTES:
            self.http_api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=integrations_by_function[route.function],
            )
        Validations.of(self.http_api).acknowledge(
            Acknowledgment(
                id="AwsSolutions-APIG4",
                reason="Meta calls the webhook unauthenticated by design; every POST is verified by its "
                "X-Hub-Signature-256 HMAC in the function, and the GET handshake by the verify token.",
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
