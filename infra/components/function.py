"""A function of a stack, and the layers it runs on: each function on the layer of its need (infra/assets.py:
FUNCTION_LAYERS); a venue's functions on the client's validated config too, with their table and that config in
their environment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.assets import (
    CLIENT_CONFIG_IN_LAYER,
    LAMBDA_PYTHON,
    RUNTIME,
    client_config_code,
    function_code,
    layer_code,
    layer_of,
    locale_data_of,
)
from infra.names import function_name
from tagback.config.model import ClientConfig
from tagback.observability import METRICS_NAMESPACE


class Layers(Construct):
    """The stack's layers, each made once, when a function first needs it. The edge's functions run on theirs alone."""

    def __init__(self, scope: Construct, construct_id: str, locales: frozenset[str] | None = None) -> None:
        super().__init__(scope, construct_id)
        self._needs: dict[str, lambda_.ILayerVersion] = {}
        self._locales = locales  # a venue's: the Babel locale data its layers keep

    def of(self, function: str) -> list[lambda_.ILayerVersion]:
        """The layers of functions/<function>."""
        need = layer_of(function)
        if need.name not in self._needs:
            self._needs[need.name] = lambda_.LayerVersion(
                self,
                need.name.title(),
                code=layer_code(need.name, self._locales),
                compatible_runtimes=[RUNTIME],
                description=f"tagback {need.name} layer: {need.description}",
            )
        return [self._needs[need.name]]


class VenueLayers(Layers):
    """A venue's: the layer of each function's need and the client's validated config (`/opt/client.json`, its
    assets beside it)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: ClientConfig, build_dir: Path) -> None:
        super().__init__(scope, construct_id, locale_data_of(config))
        self.client_id = config.client_id
        self.client_config = lambda_.LayerVersion(
            self,
            "ClientConfig",
            code=client_config_code(config, build_dir),
            compatible_runtimes=[RUNTIME],
            description=f"validated client config of {config.client_id}",
        )

    def of(self, function: str) -> list[lambda_.ILayerVersion]:
        return [*super().of(function), self.client_config]


class TagbackFunction(Construct):
    """The function in functions/<name> on the layers, with its own log group and its own role, which may write to that
    log group only (AWS's AWSLambdaBasicExecutionRole may write to any); what else it may do is granted where it is
    wired. Its environment: Powertools' settings, and `environment`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        layers: Layers,
        timeout: Duration,
        memory_mb: int,
        environment: Mapping[str, str] | None = None,
        function_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name  # its service name (POWERTOOLS_SERVICE_NAME) in logs and metrics
        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            role=self.role,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,  # the layer's wheels are manylinux x86_64
            handler="handler.lambda_handler",
            code=function_code(name),
            layers=layers.of(name),
            timeout=timeout,
            memory_size=memory_mb,
            log_group=log_group,
            # X-Ray: CDK grants the role xray:PutTraceSegments and xray:PutTelemetryRecords (on "*": X-Ray has no
            # resources to scope them to); the handlers' Tracer sends the subsegments.
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **(environment or {}),
            },
        )
        Validations.of(self).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason=f"python{LAMBDA_PYTHON}, not Lambda's newest Python: the CPython this project's machines "
                "have, so the shipped bytecode is built, and every handler imported and invoked in a test, by "
                "the same version as Lambda runs.",
            )
        )
        self.acknowledge_scoped_wildcards(
            [("Resource::*", "xray:PutTraceSegments and xray:PutTelemetryRecords (tracing) have no resource scope")]
        )
        self._parameters: iam.PolicyStatement | None = None

    def read_secrets(self, names: Iterable[str]) -> None:
        """ssm:GetParameter on exactly these parameters, added to the one statement of every parameter it reads."""
        # SecureStrings under the AWS-managed key: its key policy lets SSM decrypt for any principal of the
        # account that IAM allows to read the parameter, so no kms:Decrypt statement is needed.
        arns = [parameter_arn(self, name) for name in names]
        if self._parameters is None:
            self._parameters = iam.PolicyStatement(actions=["ssm:GetParameter"], resources=arns)
            self.function.add_to_role_policy(self._parameters)
        else:
            self._parameters.add_resources(*arns)

    def acknowledge_scoped_wildcards(self, findings: Iterable[tuple[str, str]]) -> None:
        """cdk-nag's findings of a wildcard in its role's resources (AwsSolutions-IAM5), each with why it is as narrow
        as the code allows."""
        for finding, reason in findings:
            Validations.of(self.role).acknowledge(
                Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason)
            )


class VenueFunction(TagbackFunction):
    """A venue's function: on its layers (the client config too), with its table and its config in its environment,
    named `tagback-<client-id>-<service>` as in the sandbox: the watchdog tells a late function's venue by its name."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        layers: VenueLayers,
        table: dynamodb.ITable,
        timeout: Duration,
        memory_mb: int,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            name=name,
            layers=layers,
            timeout=timeout,
            memory_mb=memory_mb,
            environment={
                "TABLE_NAME": table.table_name,
                "TAGBACK_CLIENT_CONFIG": CLIENT_CONFIG_IN_LAYER,
                **(environment or {}),
            },
            function_name=function_name(layers.client_id, name),
        )


def parameter_arn(scope: Construct, name: str) -> str:
    """The ARN of the SSM parameter `name` (`/tagback/demo/x`) in the stack's account and region."""
    return Stack.of(scope).format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))
