"""One venue's stack: `Tagback-<client-id>`.

This part: the HTTP API in front of the webhook function, the single table, the common layer (domain code and
its pinned dependencies, bundled without Docker), the client's config shipped as a small layer of its own, and
read access to the client's secrets in SSM by name.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    BundlingOptions,
    CfnOutput,
    DockerImage,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_apigateway as rest_api
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.api_routes import API_ROUTES
from tagback.config import ClientConfig
from tagback.observability import METRICS_NAMESPACE
from tagback.store import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_PYTHON = "3.14"
RUNTIME = lambda_.Runtime.PYTHON_3_14
CLIENT_CONFIG_IN_LAYER = "/opt/client.json"  # layers are unpacked under /opt
_RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")


@jsii.implements(ILocalBundling)
class LayerBundler:
    """Builds the common layer with pip for Lambda's platform, on this machine (no Docker)."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def try_bundle(self, output_dir: str, *_options: Any, **_bundling: Any) -> bool:  # jsii passes the options
        target = Path(output_dir) / "python"
        subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-qq",
                "--disable-pip-version-check",
                "-r",
                str(self.source / "requirements.txt"),
                "--target",
                str(target),
                "--platform",
                "manylinux2014_x86_64",
                "--implementation",
                "cp",
                "--python-version",
                LAMBDA_PYTHON,
                "--only-binary=:all:",
            ],
            check=True,
        )
        shutil.copytree(
            self.source / "tagback", target / "tagback", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        for path in target.iterdir():
            if path.name.split("-")[0] in _RUNTIME_PROVIDED:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        return True


def common_layer_code(source: Path = ROOT / "layers" / "common") -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(source),
        exclude=["__pycache__", "*.pyc", "*.egg-info"],
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{LAMBDA_PYTHON}"),
            local=LayerBundler(source),
            command=["false"],  # never used: local bundling always succeeds or fails loudly
        ),
    )


def client_config_code(config: ClientConfig, build_dir: Path) -> lambda_.Code:
    """The validated config as JSON, so the functions read exactly what was checked before deploy."""
    folder = build_dir / "client-config" / config.client_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / Path(CLIENT_CONFIG_IN_LAYER).name).write_text(config.model_dump_json(indent=2), encoding="utf-8")
    return lambda_.Code.from_asset(str(folder))


class TagbackStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ClientConfig, build_dir: Path, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, description=f"Tagback for {config.venue_name}", **kwargs)
        self.config = config

        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            time_to_live_attribute=TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN,  # guests' awards and coupons outlive a stack mistake
        )

        self.common_layer = lambda_.LayerVersion(
            self,
            "CommonLayer",
            code=common_layer_code(),
            compatible_runtimes=[RUNTIME],
            description="tagback domain package and its pinned dependencies",
        )
        self.config_layer = lambda_.LayerVersion(
            self,
            "ClientConfigLayer",
            code=client_config_code(config, build_dir),
            compatible_runtimes=[RUNTIME],
            description=f"validated client config of {config.client_id}",
        )

        self.webhook = self._function("webhook", timeout=Duration.seconds(10), memory_mb=512)
        self.table.grant(self.webhook, "dynamodb:PutItem")
        self._read_secrets(self.webhook, [config.secrets.meta_app_secret, config.secrets.meta_verify_token])

        self.api = self._http_api({"webhook": self.webhook})
        CfnOutput(
            self,
            "WebhookUrl",
            value=f"{self.api.api_endpoint}/webhook",
            description="Callback URL for Meta's app dashboard (Webhooks → Instagram)",
        )
        CfnOutput(self, "TableName", value=self.table.table_name)

    def _function(self, name: str, *, timeout: Duration, memory_mb: int) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            f"{name.title()}Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Its own role, allowed to write to its own log group only (instead of the AWS-managed
        # AWSLambdaBasicExecutionRole, which may write to any log group).
        role = iam.Role(self, f"{name.title()}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        return lambda_.Function(
            self,
            f"{name.title().replace('_', '')}Function",
            role=role,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,  # the layer's wheels are manylinux x86_64
            handler="handler.lambda_handler",
            code=lambda_.Code.from_asset(str(ROOT / "functions" / name), exclude=["__pycache__", "*.pyc"]),
            layers=[self.common_layer, self.config_layer],
            timeout=timeout,
            memory_size=memory_mb,
            log_group=log_group,
            environment={
                "TABLE_NAME": self.table.table_name,
                "TAGBACK_CLIENT_CONFIG": CLIENT_CONFIG_IN_LAYER,
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )

    def _read_secrets(self, function: lambda_.Function, names: list[str]) -> None:
        # SecureStrings under the AWS-managed key: its key policy lets SSM decrypt for any principal of the
        # account that IAM allows to read the parameter, so no kms:Decrypt statement is needed.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParameter"],
                resources=[
                    self.format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))
                    for name in names
                ],
            )
        )

    def _http_api(self, functions: dict[str, lambda_.Function]) -> apigw.HttpApi:
        # HTTP API rather than REST API: the webhook verifies Meta's signature itself, so REST's request
        # validation, API keys and usage plans would go unused; HTTP APIs cost less and add less latency.
        api = apigw.HttpApi(
            self,
            "Api",
            description=f"Tagback webhook for {self.config.venue_name}",
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=api,
            stage_name="$default",
            auto_deploy=True,
            # Meta's deliveries for one venue are a trickle; the cap keeps a flood from scaling the bill.
            throttle=apigw.ThrottleSettings(rate_limit=50, burst_limit=100),
            access_log_settings=_AccessLogs(access_logs),
        )
        integrations_by_function = {
            name: integrations.HttpLambdaIntegration(f"{name.title()}Integration", fn) for name, fn in functions.items()
        }
        for route in API_ROUTES:
            api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=integrations_by_function[route.function],
            )
        Validations.of(api).acknowledge(
            Acknowledgment(
                id="AwsSolutions-APIG4",
                reason="Meta calls the webhook unauthenticated by design; every POST is verified by its "
                "X-Hub-Signature-256 HMAC in the function, and the GET handshake by the verify token.",
            )
        )
        return api


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
