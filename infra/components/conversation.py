"""The guest's chat: the prize function on the table's stream (inbound events), review_followup on the follow-up
schedules the engine creates, the scheduler role those schedules invoke it with, and what the engine may do."""

from __future__ import annotations

import functools

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.components.deployed import keep_logical_id
from infra.components.function import TagbackFunction, VenueFunction, VenueLayers
from infra.components.queues import FailureQueue
from infra.components.scheduled import retry_then_queue, scheduler_role
from infra.components.storage import Storage
from infra.event_sources import PRIZE_STREAM
from infra.names import function_name, schedule_group_name
from tagback.config.model import ClientConfig


class Conversation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClientConfig,
        layers: VenueLayers,
        storage: Storage,
        link_prefix: str,
        coupon_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedule_group = schedule_group_name(config.client_id)
        self.prize_dead_letters = FailureQueue(
            self,
            "PrizeDeadLetters",
            purpose="stream records the prize function gave up on",
            logical_ids=("PrizeDeadLettersB344552F", "PrizeDeadLettersPolicy8CFF8D69"),
        )
        self.followup_dead_letters = followup_dead_letters = FailureQueue(
            self,
            "FollowUpDeadLetters",
            purpose="follow-ups the scheduler could not deliver",
            logical_ids=("FollowUpDeadLetters99660499", "FollowUpDeadLettersPolicy6B9E7AE9"),
        )
        # The client's schedules, one-shot follow-ups and the report's recurring ones: deleting the group deletes all.
        self.schedule_group_resource = scheduler.CfnScheduleGroup(self, "FollowUpSchedules", name=self.schedule_group)
        keep_logical_id(self.schedule_group_resource, "FollowUpSchedules")
        self.scheduler_role = scheduler_role(
            self,
            "SchedulerRole",
            description="EventBridge Scheduler: invoke review_followup, and dead-letter what it cannot deliver",
        )
        keep_logical_id(self.scheduler_role, "SchedulerRole59E73443")  # the pending follow-ups name it
        followup_dead_letters.grant_send_messages(self.scheduler_role)

        followup_name = function_name(config.client_id, "review_followup")
        # Both functions build the same engine, so they share its environment. The follow-up's ARN from its name,
        # not from the function: the function's own environment names it.
        environment = {
            "COUPON_BUCKET": storage.bucket.bucket_name,
            "SCHEDULE_GROUP": self.schedule_group,
            "FOLLOWUP_FUNCTION_ARN": Stack.of(self).format_arn(
                service="lambda",
                resource="function",
                resource_name=followup_name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
            "SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
            "FOLLOWUP_DLQ_ARN": followup_dead_letters.queue_arn,
            "TAGBACK_LINK_PREFIX": link_prefix,  # tracked links: the edge's /l/<client-id>/<token>
            "TAGBACK_COUPON_PREFIX": coupon_prefix,  # the coupon's QR code: the edge's /c/<client-id>/<code>
        }
        engine_function = functools.partial(
            VenueFunction,
            self,
            layers=layers,
            table=storage.table,
            timeout=Duration.minutes(2),
            environment=environment,
        )
        # A mention peaks near 120 MB (the coupon image, its fonts, the clients): 256 MB with headroom. The prize
        # function has 512 for the CPU: the guest waits for its answers, cold ones too (docs/cost.md, Memory).
        self.prize = engine_function("Prize", name="prize", memory_mb=512)
        self.review_followup = engine_function("ReviewFollowup", name="review_followup", memory_mb=256)
        keep_logical_id(self.review_followup.function, "ReviewFollowupFunction7FFF792C")  # it has a fixed name
        # review_followup's language-timeout step delivers the prize (coupon, image, follow-up schedule, outbox) as the
        # prize function does, so both are granted what the engine does.
        for function in (self.prize, self.review_followup):
            self._grant_engine(function, config, storage)
        keep_logical_id(
            storage.stream_to(self, "InboundEvents", self.prize, PRIZE_STREAM, self.prize_dead_letters),
            "PrizeFunctionInboundEventsFA9F5B64",
        )

        self.followup_failures = FailureQueue(
            self,
            "FollowUpFailures",
            purpose="follow-ups that failed inside the function after Lambda's retries",
            logical_ids=("FollowUpFailuresF5142176", "FollowUpFailuresPolicy98906A96"),
        )
        retry_then_queue(self.review_followup, self.followup_failures)
        keep_logical_id(
            self.review_followup.function.node.find_child("EventInvokeConfig"),
            "ReviewFollowupFunctionEventInvokeConfig330120A2",
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.review_followup.function.function_arn]
            )
        )

    def _grant_engine(self, function: TagbackFunction, config: ClientConfig, storage: Storage) -> None:
        """What the conversation engine does: the guest's items (their latest award found by a Query), claims
        (transactions of Put and Update), coupons, stats and outbox in the table; the token and the coupon signing
        key; coupon images; follow-up schedules."""
        storage.table.grant(
            function.function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"
        )
        function.read_secrets([config.secrets.meta_access_token, config.secrets.coupon_signing_key])
        # GetObject too: a presigned URL acts with the rights of whoever signed it.
        storage.grant_objects(
            function,
            ["s3:PutObject", "s3:GetObject"],
            "coupons",
            "one object per coupon code, under the coupons/ prefix",
        )
        function.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule"],
                resources=[
                    Stack.of(self).format_arn(
                        service="scheduler", resource="schedule", resource_name=f"{self.schedule_group}/*"
                    )
                ],
            )
        )
        function.function.add_to_role_policy(
            iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn])
        )
        function.acknowledge_scoped_wildcards(
            [
                (
                    "Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/"
                    f"{self.schedule_group}/*",
                    "one schedule per award, only in this client's schedule group",
                )
            ]
        )
