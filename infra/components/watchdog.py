"""The edge's watchdog: a function run hourly (infra/event_sources.WATCHDOG) that reads each registered venue's
figures for what no metric shows (a venue gone quiet, a report not sent by noon on the 1st) and tells the agency
through the alerts topic, once per alert (marked in the edge's table); and run when the StreamLag alarm goes off, to
name the venues whose streams are read late (the alarm's metric, the account's, names none)."""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.components.function import Layers, TagbackFunction
from infra.event_sources import WATCHDOG
from infra.names import VENUE_TABLES
from tagback.app.watchdog import STREAM_LAG_CHECK


class Watchdog(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        layers: Layers,
        registry: dynamodb.ITable,
        topic: sns.ITopic,
        stream_lag: cloudwatch.IAlarm,
    ) -> None:
        super().__init__(scope, construct_id)
        self.watchdog = TagbackFunction(
            self,
            "Function",
            name=WATCHDOG.function,
            layers=layers,
            timeout=Duration.minutes(5),  # two reads or so per venue: a few hundred venues in seconds
            memory_mb=192,  # its peak with headroom (docs/cost.md, Memory)
            environment={"REGISTRY_TABLE": registry.table_name, "ALERTS_TOPIC_ARN": topic.topic_arn},
        )
        function = self.watchdog.function
        # Scan: every registered venue; PutItem: an alert's mark, claimed before it is sent, and a quiet venue's
        # silence; DeleteItem: a mark released when sending failed; GetItem: the silence, read back.
        registry.grant(function, "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem")
        topic.grant_publish(function)
        # Each venue's month figures (GetItem, nothing else), in every venue's table: by the name CloudFormation gives
        # a venue stack's table, so a new venue needs nothing of the edge.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem"],
                resources=[Stack.of(self).format_arn(service="dynamodb", resource="table", resource_name=VENUE_TABLES)],
            )
        )
        # Which functions read their streams late, when StreamLag goes off (CloudWatch's GetMetricData has no
        # resource to scope it to).
        function.add_to_role_policy(iam.PolicyStatement(actions=["cloudwatch:GetMetricData"], resources=["*"]))
        self.watchdog.acknowledge_scoped_wildcards(
            [
                (
                    f"Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/{VENUE_TABLES}",
                    "GetItem of the month's figures in every venue's table, named Tagback-<client-id>-… by "
                    "CloudFormation: a new venue is watched without a change to the edge",
                ),
                ("Resource::*", "cloudwatch:GetMetricData (the lagging functions' IteratorAge) has no resource scope"),
            ]
        )
        events.Rule(
            self,
            "StreamLagNamed",
            description="Tagback: the watchdog names the venues when StreamLag goes into ALARM",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"],
                detail_type=["CloudWatch Alarm State Change"],
                resources=[stream_lag.alarm_arn],
                detail={"state": {"value": ["ALARM"]}},
            ),
            targets=[targets.LambdaFunction(function, event=events.RuleTargetInput.from_object(STREAM_LAG_CHECK))],
        )
        events.Rule(
            self,
            "Schedule",
            description="Tagback: the watchdog, hourly",
            schedule=events.Schedule.expression(WATCHDOG.expression),
            targets=[
                targets.LambdaFunction(function, event=events.RuleTargetInput.from_object(json.loads(WATCHDOG.input)))
            ],
        )
