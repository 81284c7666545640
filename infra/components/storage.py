"""What outlives a venue's stack: the table (its stream feeds the functions) and the bucket of coupon images and report
copies. Both are retained when the stack goes, and keep the logical ids they were deployed with (deployed.py). The
bucket's lifecycle rules expire the coupon images with their coupons and the report copies after the client's
retention (tagback/domain/retention.py). The edge's registry is a table of the same shape (`tagback_table`)."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnElement, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.deployed import keep_logical_id
from infra.components.function import TagbackFunction
from infra.event_sources import StreamSource
from tagback.config.model import ClientConfig
from tagback.domain.retention import bucket_expiries
from tagback.store.schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: ClientConfig) -> None:
        super().__init__(scope, construct_id)
        # Guests' awards and coupons outlive a stack mistake (retained); the stream feeds the functions.
        self.table = tagback_table(self, "Table", stream=dynamodb.StreamViewType.NEW_IMAGE)
        keep_logical_id(self.table, "TableCD117FA1")
        self.bucket = s3.Bucket(
            self,
            "CouponBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(id=expiry.rule_id, prefix=expiry.prefix, expiration=Duration.days(expiry.days))
                for expiry in bucket_expiries((p.valid_days for p in config.prizes), config.retention_days)
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        keep_logical_id(self.bucket, "CouponBucket3EA33F23")
        assert self.bucket.policy is not None  # enforce_ssl's TLS-only policy
        keep_logical_id(self.bucket.policy, "CouponBucketPolicy5F73A833")
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="Only the stack's functions write to it (coupon images, report copies); guests and Meta read "
                "coupon images through presigned URLs that expire in 15 minutes. No other access to log.",
            )
        )

    def let_edge(self, principal_arn: str, actions: list[str]) -> None:
        """`actions` on the table for `principal_arn` (a role of another stack), in the table's resource-based policy.
        Its resource is `*`, which in a table's own policy means that table (and its indexes): the table's ARN would
        make the table depend on itself (CDK's and DynamoDB's examples do the same)."""
        self.table.add_to_resource_policy(
            iam.PolicyStatement(principals=[iam.ArnPrincipal(principal_arn)], actions=actions, resources=["*"])
        )

    def grant_objects(self, function: TagbackFunction, actions: list[str], prefix: str, why: str) -> None:
        """`actions` on the bucket's objects under `prefix`/ only; `why` that wildcard is as narrow as it can be."""
        function.function.add_to_role_policy(
            iam.PolicyStatement(actions=actions, resources=[self.bucket.arn_for_objects(f"{prefix}/*")])
        )
        bucket_id = Stack.of(self).resolve(cast(CfnElement, self.bucket.node.default_child).logical_id)
        function.acknowledge_scoped_wildcards([(f"Resource::<{bucket_id}.Arn>/{prefix}/*", why)])

    def stream_to(
        self, scope: Construct, construct_id: str, function: TagbackFunction, source: StreamSource, failures: sqs.IQueue
    ) -> lambda_.EventSourceMapping:
        """An event-source mapping of `function` on the table's stream, filtered, batched and retried as `source` says,
        then to `failures`, whose grant also lets the function send there itself. (Declared directly, not as a
        DynamoEventSource: the outbox's mapping moved from the prize function to owner_delivery under its logical
        id.)"""
        self.table.grant_stream_read(function.function)
        function.acknowledge_scoped_wildcards(
            [("Resource::*", "dynamodb:ListStreams, added by the stream's read grant, has no resource scope")]
        )
        return lambda_.EventSourceMapping(
            scope,
            construct_id,
            target=function.function,
            event_source_arn=self.table.table_stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=source.batch_size,
            bisect_batch_on_error=True,
            retry_attempts=source.retry_attempts,
            max_record_age=Duration.hours(source.max_record_age_hours),
            report_batch_item_failures=True,
            on_failure=event_sources.SqsDlq(failures),
            filters=[lambda_.FilterCriteria.filter(source.filter_pattern)],
        )


def tagback_table(scope: Construct, construct_id: str, *, stream: dynamodb.StreamViewType | None) -> dynamodb.Table:
    """A table of the key schema in tagback.store.schema: string keys PK/SK, on demand, items expiring on TTL_ATTRIBUTE,
    point-in-time recovery, retained when its stack goes."""
    return dynamodb.Table(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        stream=stream,
        time_to_live_attribute=TTL_ATTRIBUTE,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=RemovalPolicy.RETAIN,
    )
