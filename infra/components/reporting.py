"""The monthly report and the daily snapshot: the monthly_report function on two recurring schedules in the client's
timezone (infra/event_sources.REPORT_SCHEDULES), emailing through SES with a copy in the bucket."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.components.function import VenueFunction, VenueLayers
from infra.components.queues import FailureQueue
from infra.components.scheduled import recurring_schedule, retry_then_queue, scheduler_role
from infra.components.storage import Storage
from infra.event_sources import REPORT_SCHEDULES
from tagback.config.model import ClientConfig


class Reporting(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClientConfig,
        agency_name: str,
        layers: VenueLayers,
        storage: Storage,
        schedule_group: scheduler.CfnScheduleGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self.monthly_report = report = VenueFunction(
            self,
            "MonthlyReport",
            name="monthly_report",
            layers=layers,
            table=storage.table,
            timeout=Duration.minutes(2),
            memory_mb=192,  # its peak with headroom; nobody waits for a report (docs/cost.md, Memory)
            # The agency's name heads the venue's report: from agency.yaml at synth (a rename redeploys the venues).
            environment={"REPORT_BUCKET": storage.bucket.bucket_name, "AGENCY_NAME": agency_name},
        )
        # The month's item; the awards CSV (a scan); the daily snapshot's values on the month's item.
        storage.table.grant(report.function, "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem")
        storage.grant_objects(
            report, ["s3:PutObject"], "reports", "one object per month's report, under the reports/ prefix"
        )
        sender_domain = config.report.sender.split("@", 1)[1]
        report.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendRawEmail"],
                resources=[
                    Stack.of(self).format_arn(service="ses", resource="identity", resource_name=identity)
                    for identity in (config.report.sender, sender_domain, *config.report.recipients)
                ],
            )
        )
        secrets = [config.secrets.meta_access_token]  # the snapshot reads Meta's insights
        if config.report.places_api_key_param:
            secrets.append(config.report.places_api_key_param)
        report.read_secrets(secrets)

        self.failures = FailureQueue(
            self,
            "Failures",
            purpose="reports and snapshots that failed inside the function after Lambda's retries",
            logical_ids=("ReportFailuresE9AC0EB9", "ReportFailuresPolicyD9A6217E"),
        )
        retry_then_queue(report, self.failures)
        role = scheduler_role(
            self, "SchedulerRole", description="EventBridge Scheduler: invoke monthly_report, nothing else"
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[report.function.function_arn])
        )
        for schedule in REPORT_SCHEDULES:
            recurring_schedule(self, schedule, config=config, group=schedule_group, function=report, role=role)
