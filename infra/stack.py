"""One venue's stack: `Tagback-<client-id>`.

The HTTP API in front of the webhook function; the single table whose stream feeds the prize function (with a
dead-letter queue); the coupon bucket; the follow-up schedule group, the scheduler's role and the review_followup
function; the common layer (domain code and its pinned dependencies, bundled without Docker); the client's config
(and its assets) shipped as a small layer of its own; read access to the client's secrets in SSM by name; alarms.
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
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.api_routes import API_ROUTES
from infra.event_sources import OUTBOX_STREAM, PRIZE_STREAM, REPORT_SCHEDULES, StreamSource
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
                # Lambda's Python 3.14 runs on Amazon Linux 2023 (glibc 2.34): both wheel generations fit it.
                "--platform",
                "manylinux2014_x86_64",
                "--platform",
                "manylinux_2_28_x86_64",
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
        self.table.grant(self.prize, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
        sink_secrets = [
            sink_secret
            for sink_secret in (
                config.integrations.google_sheets.service_account_param if config.integrations.google_sheets else None,
                config.integrations.webhook.secret_param if config.integrations.webhook else None,
            )
            if sink_secret is not None
        ]
        self._read_secrets(
            self.prize, [config.secrets.meta_access_token, config.secrets.coupon_signing_key, *sink_secrets]
        )
        # GetObject too: a presigned URL acts with the rights of whoever signed it.
        self.prize.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject"], resources=[self.coupon_bucket.arn_for_objects("coupons/*")]
            )
        )
        self.prize.add_to_role_policy(
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule"],
                resources=[
                    self.format_arn(
                        service="scheduler", resource="schedule", resource_name=f"tagback-{config.client_id}/*"
                    )
                ],
            )
        )
        self._acknowledge_scoped_wildcards(
            self.prize,
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
                ("Resource::*", "dynamodb:ListStreams, added by the stream event source, has no resource scope"),
            ],
        )
        self.prize.add_to_role_policy(
            iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn])
        )
        self.table.grant_stream_read(self.prize)
        self._stream_mapping("InboundEvents", PRIZE_STREAM, self.prize_dead_letters)
        # Its on-failure grant also lets the function dead-letter a refused event itself, at once.
        self._stream_mapping("OwnerIntegrations", OUTBOX_STREAM, self.integration_dead_letters)

        self.review_followup = self._function(
            "review_followup",
            timeout=Duration.seconds(30),
            memory_mb=512,
            extra_env=environment,
            function_name=followup_name,
        )
        self.table.grant(self.review_followup, "dynamodb:GetItem", "dynamodb:UpdateItem")
        self._read_secrets(self.review_followup, [config.secrets.meta_access_token])
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

    def _monthly_report(self, config: ClientConfig) -> None:
        """The report function and its schedule: the 1st of each month at 08:00 in the client's timezone."""
        self.monthly_report = self._function(
            "monthly_report",
            timeout=Duration.minutes(2),
            memory_mb=512,
            extra_env={"REPORT_BUCKET": self.coupon_bucket.bucket_name},
        )
        self.table.grant(self.monthly_report, "dynamodb:GetItem", "dynamodb:Scan")  # the month's item; the CSV
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
