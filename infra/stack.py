"""One venue's stack: `Tagback-<client-id>`.

The HTTP API in front of the webhook function; the single table whose stream feeds the prize function (with a
dead-letter queue); the coupon bucket; the follow-up schedule group, the scheduler's role and the review_followup
function; the common layer (domain code and its locked dependencies, bundled without Docker, with the bytecode of
Lambda's Python); the client's config (and its assets) shipped as a small layer of its own; read access to the
client's secrets in SSM by name; alarms.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    ArnFormat,
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
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from uv import find_uv_bin

from infra.api_routes import API_ROUTES
from infra.event_sources import OUTBOX_STREAM, PRIZE_STREAM, REPORT_SCHEDULES, SCHEDULED_INVOKE, StreamSource
from tagback.config.model import ClientConfig
from tagback.observability import METRICS_NAMESPACE
from tagback.store.schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_PYTHON = "3.13"
RUNTIME = lambda_.Runtime.PYTHON_3_13
CLIENT_CONFIG_IN_LAYER = "/opt/client.json"  # layers are unpacked under /opt
_NO_BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc")


@functools.cache
def lambda_python() -> str:
    """This machine's CPython of Lambda's version, which resolves the layer and compiles the shipped bytecode:
    $TAGBACK_LAMBDA_PYTHON, else python3.13 on PATH, else pyenv's 3.13."""
    chosen = os.environ.get("TAGBACK_LAMBDA_PYTHON")
    candidates = [chosen] if chosen else [shutil.which(f"python{LAMBDA_PYTHON}"), _pyenv_python()]
    for candidate in candidates:
        if candidate and _cache_tag(candidate) == f"cpython-{LAMBDA_PYTHON.replace('.', '')}":
            return candidate
    tried = ", ".join(c for c in candidates if c) or f"no python{LAMBDA_PYTHON} on PATH or in pyenv"
    raise RuntimeError(
        f"CPython {LAMBDA_PYTHON} (Lambda's runtime) builds the functions' bytecode, and none works here ({tried}): "
        f"`pyenv install {LAMBDA_PYTHON}`, or set TAGBACK_LAMBDA_PYTHON to its path"
    )


def _pyenv_python() -> str | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    prefix = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [pyenv, "prefix", LAMBDA_PYTHON], capture_output=True, text=True, check=False
    ).stdout.strip()
    return f"{prefix}/bin/python{LAMBDA_PYTHON}" if prefix else None


def _cache_tag(python: str) -> str | None:
    """`cpython-313` for CPython 3.13 (a pyenv shim of a version not selected exits non-zero)."""
    try:
        probe = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [python, "-c", "import sys; print(sys.implementation.cache_tag)"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return probe.stdout.strip()


def compile_bytecode(folder: Path) -> None:
    """Lambda's /opt and /var/task are read-only: whatever ships without bytecode is compiled at every cold start.
    Unchecked hash-based .pyc: the sources never change once built, and a zip keeps their mtimes to 2 s only."""
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [lambda_python(), "-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", folder],
        check=True,
    )


def install_for_lambda(requirements: Path, target: Path) -> None:
    """Installs exactly `requirements` (hashes required) for Lambda's python3.13 on x86_64 into `target`."""
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            find_uv_bin(),
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "--no-deps",  # the file is the whole closure
            "-r",
            requirements,
            "--target",
            target,
            # uv evaluates the file's environment markers for this interpreter and platform (pip would use its
            # own). Lambda's python3.13 runs on Amazon Linux 2023, glibc 2.34; Pillow 13 needs manylinux_2_28.
            "--python",
            lambda_python(),
            "--python-platform",
            "x86_64-manylinux_2_34",
            "--only-binary",
            ":all:",
        ],
        check=True,
    )
    (target / ".lock").unlink(missing_ok=True)  # uv's lock of the --target folder, not something to ship


@jsii.implements(ILocalBundling)
class LayerBundler:
    """Builds the common layer for Lambda's platform from the lock's export, on this machine (no Docker)."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def try_bundle(self, output_dir: str, *_options: Any, **_bundling: Any) -> bool:  # jsii passes the options
        target = Path(output_dir) / "python"
        install_for_lambda(self.source / "requirements.txt", target)  # boto3 and its kin are the runtime's
        shutil.copytree(self.source / "tagback", target / "tagback", ignore=_NO_BYTECODE)
        compile_bytecode(target)
        return True


@jsii.implements(ILocalBundling)
class FunctionBundler:
    """A function's folder and its bytecode, on this machine."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def try_bundle(self, output_dir: str, *_options: Any, **_bundling: Any) -> bool:  # jsii passes the options
        shutil.copytree(self.source, output_dir, ignore=_NO_BYTECODE, dirs_exist_ok=True)
        compile_bytecode(Path(output_dir))
        return True


def _bundled(source: Path, bundler: ILocalBundling) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(source),
        exclude=["__pycache__", "*.pyc", "*.egg-info"],
        bundling=BundlingOptions(
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{LAMBDA_PYTHON}"),
            local=bundler,
            command=["false"],  # never used: local bundling always succeeds or fails loudly
        ),
    )


def common_layer_code(source: Path = ROOT / "layers" / "common") -> lambda_.Code:
    return _bundled(source, LayerBundler(source))


def function_code(name: str) -> lambda_.Code:
    source = ROOT / "functions" / name
    return _bundled(source, FunctionBundler(source))


def client_config_code(config: ClientConfig, build_dir: Path) -> lambda_.Code:
    """The validated config as JSON, so the functions read exactly what was checked before deploy."""
    folder = build_dir / "client-config" / config.client_id
    if folder.exists():
        shutil.rmtree(folder)  # nothing stale from an earlier synth may ship
    folder.mkdir(parents=True)
    (folder / Path(CLIENT_CONFIG_IN_LAYER).name).write_text(config.model_dump_json(indent=2), encoding="utf-8")
    named = [config.coupon.logo, *config.coupon.fonts]
    for relative in (path for path in named if path is not None):  # beside client.json, as beside the YAML
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config.asset(relative), folder / relative)
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
            description="tagback domain package and its locked dependencies",
        )
        Validations.of(self).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason=f"python{LAMBDA_PYTHON}, not Lambda's newest Python: the CPython this project's machines "
                "have, so the shipped bytecode is built, and every handler imported and invoked in a test, by "
                "the same version as Lambda runs.",
            )
        )
        self.config_layer = lambda_.LayerVersion(
            self,
            "ClientConfigLayer",
            code=client_config_code(config, build_dir),
            compatible_runtimes=[RUNTIME],
            description=f"validated client config of {config.client_id}",
        )

        self.webhook = self._function("webhook", timeout=Duration.seconds(10), memory_mb=512)
        # PutItem: inbound events; UpdateItem: link clicks and the month's counters.
        self.table.grant(self.webhook, "dynamodb:PutItem", "dynamodb:UpdateItem")
        self._read_secrets(self.webhook, [config.secrets.meta_app_secret, config.secrets.meta_verify_token])
        self.api = self._http_api({"webhook": self.webhook})

        self._conversation(config)

        CfnOutput(
            self,
            "WebhookUrl",
            value=f"{self.api.api_endpoint}/webhook",
            description="Callback URL for Meta's app dashboard (Webhooks → Instagram)",
        )
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "PrizeFunctionName", value=self.prize.function_name)
        CfnOutput(
            self,
            "PrizeDeadLetterQueueUrl",
            value=self.prize_dead_letters.queue_url,
            description="python -m tagback.cli replay --stack <this stack> replays it",
        )
        CfnOutput(
            self,
            "IntegrationDeadLetterQueueUrl",
            value=self.integration_dead_letters.queue_url,
            description="python -m tagback.cli replay --stack <this stack> replays it too",
        )
        for name, function, queue in (
            ("FollowUp", self.review_followup, self.followup_failures),
            ("Report", self.monthly_report, self.report_failures),
        ):
            CfnOutput(self, f"{name}FunctionName", value=function.function_name)
            CfnOutput(
                self,
                f"{name}FailureQueueUrl",
                value=queue.queue_url,
                description="python -m tagback.cli replay --stack <this stack> replays it through the function",
            )

    def _queue(self, name: str, purpose: str) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        Validations.of(queue).acknowledge(
            Acknowledgment(id="AwsSolutions-SQS3", reason=f"this queue is itself a dead-letter queue: {purpose}")
        )
        cloudwatch.Alarm(
            self,
            f"{name}NotEmpty",
            metric=queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            alarm_description=f"{purpose} holds messages: look at them and replay (see README)",
        )
        return queue

    def _conversation(self, config: ClientConfig) -> None:
        """The prize function on the stream, the coupon bucket, and the follow-up schedule → review_followup."""
        self.coupon_bucket = s3.Bucket(
            self,
            "CouponBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(400))],  # longest validity is 365 days
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.coupon_bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="Only the prize function writes coupon images; guests and Meta read them through "
                "presigned URLs that expire in 15 minutes. No other access to log.",
            )
        )
        self.prize_dead_letters = self._queue("PrizeDeadLetters", "stream records the prize function gave up on")
        self.followup_dead_letters = self._queue("FollowUpDeadLetters", "follow-ups the scheduler could not deliver")
        self.integration_dead_letters = self._queue(
            "IntegrationDeadLetters", "owner events a sink (sheet, CRM) refused or stayed unavailable for"
        )
        self.schedule_group = scheduler.CfnScheduleGroup(self, "FollowUpSchedules", name=f"tagback-{config.client_id}")

        followup_name = f"tagback-{config.client_id}-review-followup"
        # The ARN from the name, not from the function: the function's own environment names it.
        followup_arn = self.format_arn(
            service="lambda", resource="function", resource_name=followup_name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
            ),
            description="EventBridge Scheduler: invoke review_followup, and dead-letter what it cannot deliver",
        )
        self.followup_dead_letters.grant_send_messages(self.scheduler_role)
        environment = {
            "COUPON_BUCKET": self.coupon_bucket.bucket_name,
            "SCHEDULE_GROUP": f"tagback-{config.client_id}",
            "FOLLOWUP_FUNCTION_ARN": followup_arn,
            "SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
            "FOLLOWUP_DLQ_ARN": self.followup_dead_letters.queue_arn,
            "TAGBACK_PUBLIC_URL": self.api.api_endpoint,  # tracked links point at the API's /l/{token}
            "OUTBOX_DLQ_URL": self.integration_dead_letters.queue_url,
        }

        self.prize = self._function("prize", timeout=Duration.minutes(2), memory_mb=1024, extra_env=environment)
        sink_secrets = [
            sink_secret
            for sink_secret in (
                config.integrations.google_sheets.service_account_param if config.integrations.google_sheets else None,
                config.integrations.webhook.secret_param if config.integrations.webhook else None,
            )
            if sink_secret is not None
        ]
        self._grant_conversation(self.prize, config, sink_secrets)  # it also delivers to the owner's sinks
        self._acknowledge_scoped_wildcards(
            self.prize,
            [("Resource::*", "dynamodb:ListStreams, added by the stream event source, has no resource scope")],
        )
        self.table.grant_stream_read(self.prize)
        self._stream_mapping("InboundEvents", PRIZE_STREAM, self.prize_dead_letters)
        # Its on-failure grant also lets the function dead-letter a refused event itself, at once.
        self._stream_mapping("OwnerIntegrations", OUTBOX_STREAM, self.integration_dead_letters)

        # Its language-timeout step delivers the prize (coupon, image, follow-up schedule, outbox) as the prize
        # function does, so it is granted the same conversation rights.
        self.review_followup = self._function(
            "review_followup",
            timeout=Duration.minutes(2),
            memory_mb=1024,
            extra_env=environment,
            function_name=followup_name,
        )
        self._grant_conversation(self.review_followup, config)
        self.followup_failures = self._scheduled_failures(self.review_followup, "FollowUpFailures", "follow-ups")
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.review_followup.function_arn])
        )

        self._monthly_report(config)

        for service, failure in (("prize", "DmFailedAuth"), ("review_followup", "FollowupFailedAuth")):
            cloudwatch.Alarm(
                self,
                f"{failure}Alarm",
                metric=cloudwatch.Metric(
                    namespace=METRICS_NAMESPACE,
                    metric_name=failure,
                    dimensions_map={"client_id": config.client_id, "service": service},
                    statistic="Sum",
                    period=Duration.minutes(5),
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="Meta refused our access token or permissions: renew the token in SSM",
            )

    def _grant_conversation(
        self, function: lambda_.Function, config: ClientConfig, more_secrets: list[str] | None = None
    ) -> None:
        """What the conversation engine does: the guest's items, claims (transactions of Put and Update), coupons,
        stats and outbox in the table; the token and the coupon signing key; coupon images; follow-up schedules."""
        self.table.grant(function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
        self._read_secrets(
            function, [config.secrets.meta_access_token, config.secrets.coupon_signing_key, *(more_secrets or [])]
        )
        # GetObject too: a presigned URL acts with the rights of whoever signed it.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject"], resources=[self.coupon_bucket.arn_for_objects("coupons/*")]
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule"],
                resources=[
                    self.format_arn(
                        service="scheduler", resource="schedule", resource_name=f"tagback-{config.client_id}/*"
                    )
                ],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn])
        )
        self._acknowledge_scoped_wildcards(
            function,
            [
                (
                    f"Resource::<{self.get_logical_id(self.coupon_bucket.node.default_child)}.Arn>/coupons/*",  # type: ignore[arg-type]
                    "one object per coupon code, under the coupons/ prefix",
                ),
                (
                    f"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/tagback-"
                    f"{config.client_id}/*",
                    "one schedule per award, only in this client's schedule group",
                ),
            ],
        )

    def _scheduled_failures(self, function: lambda_.Function, name: str, what: str) -> sqs.Queue:
        """Scheduler invokes `function` asynchronously: an error inside it is retried by Lambda, then sent to this
        queue (the schedule's own dead-letter queue only sees failures to invoke)."""
        queue = self._queue(name, f"{what} that failed inside the function after Lambda's retries")
        function.configure_async_invoke(
            retry_attempts=SCHEDULED_INVOKE.retry_attempts,
            max_event_age=Duration.hours(SCHEDULED_INVOKE.max_event_age_hours),
            on_failure=destinations.SqsDestination(queue),
        )
        return queue

    def _monthly_report(self, config: ClientConfig) -> None:
        """The report function and its schedule: the 1st of each month at 08:00 in the client's timezone."""
        self.monthly_report = self._function(
            "monthly_report",
            timeout=Duration.minutes(2),
            memory_mb=512,
            extra_env={"REPORT_BUCKET": self.coupon_bucket.bucket_name},
        )
        # The month's item; the awards CSV (a scan); the daily snapshot's values on the month's item.
        self.table.grant(self.monthly_report, "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem")
        self.report_failures = self._scheduled_failures(self.monthly_report, "ReportFailures", "reports and snapshots")
        self.monthly_report.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.coupon_bucket.arn_for_objects("reports/*")])
        )
        sender_domain = config.report.sender.split("@", 1)[1]
        self.monthly_report.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendRawEmail"],
                resources=[
                    self.format_arn(service="ses", resource="identity", resource_name=identity)
                    for identity in (config.report.sender, sender_domain, *config.report.recipients)
                ],
            )
        )
        self._acknowledge_scoped_wildcards(
            self.monthly_report,
            [
                (
                    f"Resource::<{self.get_logical_id(self.coupon_bucket.node.default_child)}.Arn>/reports/*",  # type: ignore[arg-type]
                    "one object per month's report, under the reports/ prefix",
                ),
            ],
        )
        role = iam.Role(
            self,
            "ReportSchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
            ),
            description="EventBridge Scheduler: invoke monthly_report, nothing else",
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.monthly_report.function_arn])
        )
        for schedule in REPORT_SCHEDULES:
            scheduler.CfnSchedule(
                self,
                f"{schedule.name}Schedule",
                schedule_expression=schedule.expression,
                schedule_expression_timezone=config.timezone,
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=self.monthly_report.function_arn,
                    role_arn=role.role_arn,
                    input=schedule.input,
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_retry_attempts=3, maximum_event_age_in_seconds=6 * 3600
                    ),
                ),
                description=f"{schedule.name} for {config.venue_name}, in {config.timezone}",
            )
        secrets = [config.secrets.meta_access_token]  # the snapshot reads Meta's insights
        if config.report.places_api_key_param:
            secrets.append(config.report.places_api_key_param)
        self._read_secrets(self.monthly_report, secrets)

    def _stream_mapping(self, name: str, source: StreamSource, dead_letters: sqs.Queue) -> None:
        """One event-source mapping of the prize function on the table's stream (it has two: a DynamoEventSource
        per table and function is all CDK allows, so the mappings are declared directly)."""
        self.prize.add_event_source_mapping(
            name,
            event_source_arn=self.table.table_stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=source.batch_size,
            bisect_batch_on_error=True,
            retry_attempts=source.retry_attempts,
            max_record_age=Duration.hours(source.max_record_age_hours),
            report_batch_item_failures=True,
            on_failure=event_sources.SqsDlq(dead_letters),
            filters=[lambda_.FilterCriteria.filter(source.filter_pattern)],
        )

    def _acknowledge_scoped_wildcards(self, function: lambda_.Function, findings: list[tuple[str, str]]) -> None:
        assert function.role is not None
        for finding, reason in findings:
            Validations.of(function.role).acknowledge(
                Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason)
            )

    def _function(
        self,
        name: str,
        *,
        timeout: Duration,
        memory_mb: int,
        extra_env: dict[str, str] | None = None,
        function_name: str | None = None,
    ) -> lambda_.Function:
        construct = name.title().replace("_", "")
        log_group = logs.LogGroup(
            self,
            f"{construct}Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Its own role, allowed to write to its own log group only (instead of the AWS-managed
        # AWSLambdaBasicExecutionRole, which may write to any log group).
        role = iam.Role(self, f"{construct}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        return lambda_.Function(
            self,
            f"{construct}Function",
            function_name=function_name,
            role=role,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,  # the layer's wheels are manylinux x86_64
            handler="handler.lambda_handler",
            code=function_code(name),
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
                **(extra_env or {}),
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
