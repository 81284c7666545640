"""What the edge's stack and each client's stack declare, created in moto before the functions start: the edge's table,
its secrets, the parameters the venue stacks read and the alerts topic (a queue subscribed to it stands for the
agency's inbox); per client the table, the bucket, the queues, the schedule group and its recurring schedules, the
SSM secrets and the SES identities; and the Create request of each client's
registration with the edge, as CloudFormation sends it.

Names and settings are read where the stack reads them: the table from `store.schema.table_definition`, the
bucket's lifecycle rules from `domain.retention.bucket_expiries`, the schedule group and the function names from
infra/names.py, the recurring schedules (in the client's group, as in the stack) and their retries from
infra/event_sources.py, and which functions Scheduler invokes (each with its on-failure queue and its scheduler role)
from the synthesized template's roles (sandbox/iam.py). What the stack leaves to CloudFormation to name is named in
the same shape here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from infra.event_sources import RECURRING_RETRY, RECURRING_SCHEDULES
from infra.names import (
    EDGE_REDEMPTION_ROLE_PARAMETER,
    EDGE_REGISTRAR_PARAMETER,
    EDGE_TABLE_PARAMETER,
    EDGE_URL_PARAMETER,
    EDGE_WEBHOOK_ROLE_PARAMETER,
    SCHEDULED_OUTPUTS,
    edge_resource_name,
    function_name,
    registration_properties,
    resource_name,
    schedule_group_name,
)
from sandbox.fake_google import FakeGoogle
from tagback.config.agency import AgencyConfig
from tagback.config.model import ClientConfig
from tagback.domain.redemption import staff_pins_parameter
from tagback.domain.retention import bucket_expiries
from tagback.store.registry import edge_table_definition
from tagback.store.schema import TTL_ATTRIBUTE, table_definition

REGION, ACCOUNT = "eu-west-1", "123456789012"
# Documented sandbox values (README): not secrets, and never used outside the sandbox.
DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
SANDBOX_SIGNING_KEY = "sandbox-coupon-signing-key"
SANDBOX_STAFF_PINS = {"Ana": "4821", "Rui": "0937"}  # every sandbox venue's staff PINs (README: the sandbox)
SANDBOX_CRM_SECRET = "sandbox-crm-webhook-secret"


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def lifecycle_configuration(config: ClientConfig) -> dict[str, Any]:
    """The bucket's lifecycle rules as the stack declares them (S3's API shape; moto keeps them, expiring nothing)."""
    expiries = bucket_expiries((prize.valid_days for prize in config.prizes), config.retention_days)
    return {
        "Rules": [
            {"ID": e.rule_id, "Filter": {"Prefix": e.prefix}, "Status": "Enabled", "Expiration": {"Days": e.days}}
            for e in expiries
        ]
    }


def secret_parameters(config: ClientConfig, access_token: str, google: FakeGoogle) -> dict[str, str]:
    """The SSM parameters the client file names, with the sandbox's values (the fakes' where a fake checks them):
    `access_token` is the one the fake Graph API issued the venue's account, as `tagback connect` would store it."""
    secrets, sinks = config.secrets, config.integrations
    parameters = {
        secrets.meta_access_token: access_token,
        secrets.coupon_signing_key: SANDBOX_SIGNING_KEY,
        staff_pins_parameter(config.client_id): json.dumps(SANDBOX_STAFF_PINS),
    }
    if sinks.google_sheets is not None:
        parameters[sinks.google_sheets.service_account_param] = json.dumps(google.service_account())
    if config.report.places_api_key_param is not None:
        parameters[config.report.places_api_key_param] = google.places_key
    if sinks.webhook is not None:
        parameters[sinks.webhook.secret_param] = SANDBOX_CRM_SECRET
    return parameters


@dataclass(frozen=True)
class Resources:
    """What was created, by the names the functions' environment, the pumps and the control API use."""

    client_id: str
    table_name: str
    stream_arn: str
    bucket: str
    schedule_group: str
    scheduler_role_arns: dict[str, str]  # each function Scheduler invokes → the role its schedules invoke it with
    prize_dlq_url: str
    outbox_dlq_url: str
    followup_dlq_arn: str
    failure_queue_urls: dict[str, str]  # each function Scheduler invokes → its on-failure queue

    def function_arn(self, service: str) -> str:
        return arn("lambda", f"function:{function_name(self.client_id, service)}")

    def outputs(self) -> dict[str, str]:
        """The venue stack's outputs (infra/stack.py), by the same keys, as the CLI reads them in AWS."""
        return {
            "TableName": self.table_name,
            "BucketName": self.bucket,
            "PrizeFunctionName": function_name(self.client_id, "prize"),
            "PrizeDeadLetterQueueUrl": self.prize_dlq_url,
            "OwnerDeliveryFunctionName": function_name(self.client_id, "owner_delivery"),
            "IntegrationDeadLetterQueueUrl": self.outbox_dlq_url,
            **{
                output: value
                for service, queue_url in self.failure_queue_urls.items()
                for output, value in (
                    (f"{SCHEDULED_OUTPUTS[service]}FunctionName", function_name(self.client_id, service)),
                    (f"{SCHEDULED_OUTPUTS[service]}FailureQueueUrl", queue_url),
                )
            },
        }

    def environment(self) -> dict[str, str]:
        """What the stack's functions' environment says about these resources (the functions share one process)."""
        return {
            "TABLE_NAME": self.table_name,
            "COUPON_BUCKET": self.bucket,
            "SCHEDULE_GROUP": self.schedule_group,
            "FOLLOWUP_FUNCTION_ARN": self.function_arn("review_followup"),
            "SCHEDULER_ROLE_ARN": self.scheduler_role_arns["review_followup"],
            "FOLLOWUP_DLQ_ARN": self.followup_dlq_arn,
            "OUTBOX_DLQ_URL": self.outbox_dlq_url,
            "REPORT_BUCKET": self.bucket,
        }


def create_resources(
    config: ClientConfig, parameters: Mapping[str, str], scheduler_role_arns: Mapping[str, str]
) -> Resources:
    """Create the client's resources with the current (the operator's) credentials. `parameters`: the SSM
    SecureStrings by name; `scheduler_role_arns`: the role of each function's schedules, read from the template."""
    client_id = config.client_id
    table_name = resource_name(client_id)
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(**table_definition(table_name))["TableDescription"]
    dynamodb.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    ssm = boto3.client("ssm")
    for name, value in parameters.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    # SES sends only from verified identities (in the SES sandbox, to verified ones too).
    ses = boto3.client("ses")
    for address in (config.report.sender, *config.report.recipients):
        ses.verify_email_identity(EmailAddress=address)
    bucket = resource_name(client_id, "coupons")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=lifecycle_configuration(config))
    sqs = boto3.client("sqs")

    def queue(*name: str) -> str:
        return str(sqs.create_queue(QueueName=resource_name(client_id, *name))["QueueUrl"])

    followup_dlq = sqs.get_queue_attributes(QueueUrl=queue("followup-dlq"), AttributeNames=["QueueArn"])
    resources = Resources(
        client_id=client_id,
        table_name=table_name,
        stream_arn=table["LatestStreamArn"],
        bucket=bucket,
        schedule_group=schedule_group_name(client_id),
        scheduler_role_arns=dict(scheduler_role_arns),
        prize_dlq_url=queue("prize-dlq"),
        outbox_dlq_url=queue("integrations-dlq"),
        followup_dlq_arn=followup_dlq["Attributes"]["QueueArn"],
        # The on-failure destinations of the functions Scheduler invokes (asynchronously).
        failure_queue_urls={service: queue(service, "failures") for service in scheduler_role_arns},
    )
    scheduler = boto3.client("scheduler")
    scheduler.create_schedule_group(Name=resources.schedule_group)
    for recurring in RECURRING_SCHEDULES:  # as the stack declares them, in the client's timezone
        scheduler.create_schedule(
            Name=f"{resources.schedule_group}-{recurring.name}",
            GroupName=resources.schedule_group,
            ScheduleExpression=recurring.expression,
            ScheduleExpressionTimezone=config.timezone,
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": resources.function_arn(recurring.function),
                "RoleArn": scheduler_role_arns[recurring.function],
                "Input": recurring.input,
                "RetryPolicy": {
                    "MaximumRetryAttempts": RECURRING_RETRY.retry_attempts,
                    "MaximumEventAgeInSeconds": RECURRING_RETRY.max_event_age_seconds,
                },
            },
        )
    return resources


@dataclass(frozen=True)
class EdgeResources:
    table_name: str
    alerts_topic_arn: str
    alerts_inbox_url: str  # a queue subscribed to the topic: what the agency's inbox would get

    def environment(self, agency: AgencyConfig) -> dict[str, str]:
        """What the edge stack's functions' environment says."""
        return {
            "REGISTRY_TABLE": self.table_name,
            "META_APP_SECRET_PARAM": agency.secrets.meta_app_secret,
            "META_VERIFY_TOKEN_PARAM": agency.secrets.meta_verify_token,
            "ALERTS_TOPIC_ARN": self.alerts_topic_arn,
        }


def create_edge_resources(
    agency: AgencyConfig,
    app_secret: str,
    verify_token: str,
    *,
    url: str,
    webhook_role_arn: str,
    redemption_role_arn: str,
) -> EdgeResources:
    """What the edge stack declares: its table, the agency app's secrets (put there by the operator) and the
    parameters through which the venue stacks find the edge."""
    table_name = edge_resource_name("registry")
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(**edge_table_definition(table_name))["TableDescription"]
    dynamodb.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    ssm = boto3.client("ssm")
    for name, value in ((agency.secrets.meta_app_secret, app_secret), (agency.secrets.meta_verify_token, verify_token)):
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    for name, value in (
        (EDGE_URL_PARAMETER, url),
        (EDGE_WEBHOOK_ROLE_PARAMETER, webhook_role_arn),
        (EDGE_REDEMPTION_ROLE_PARAMETER, redemption_role_arn),
        (EDGE_REGISTRAR_PARAMETER, arn("lambda", f"function:{edge_resource_name('registry')}")),
        (EDGE_TABLE_PARAMETER, table["TableArn"]),
    ):
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    # The alerts topic; the stack subscribes the agency's emails, the sandbox a queue it reads them from instead.
    topic_arn = boto3.client("sns").create_topic(Name=edge_resource_name("alerts"))["TopicArn"]
    sqs = boto3.client("sqs")
    inbox = sqs.create_queue(QueueName=edge_resource_name("alerts-inbox"))["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "false"}
    )
    return EdgeResources(table_name, topic_arn, inbox)


def registration_request(config: ClientConfig, table_name: str, edge_url: str, response_url: str) -> dict[str, Any]:
    """CloudFormation's Create request for the client stack's registration, its properties as the stack sets them."""
    return {
        "RequestType": "Create",
        "ResponseURL": response_url,
        "StackId": arn("cloudformation", f"stack/Tagback-{config.client_id}/sandbox"),
        "RequestId": f"sandbox-{config.client_id}",
        "ResourceType": "Custom::TagbackRegistration",
        "LogicalResourceId": "Registration",
        "ResourceProperties": {
            "ServiceToken": arn("lambda", f"function:{edge_resource_name('registry')}"),
            **registration_properties(config, table_name, REGION, edge_url),
        },
    }
