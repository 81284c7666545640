"""The agency's alarms: one SNS topic that emails the addresses of agency.yaml (`alerts.emails`), and every alarm of
the edge and of all the venues, at the agency's level, each with the topic as its action.

CloudWatch bills an alarm by the metrics it watches, so an alarm per venue would cost per venue even while nothing
happens. Instead, one alarm per purpose watches every venue at once:

- Metrics Insights queries with GROUP BY alarm per contributor (each venue, queue or function: a time series of
  its own, in ALARM or OK on its own) and see only the time series that have data in their window. So they are
  written over what exists only when something is wrong: the functions' own FunctionErrors, TokenRefused and
  DmsUncertain (with the venue's `client_id`), a failure queue's visible messages (SQS publishes a queue's metrics
  while it is active: holding messages, or used in the last six hours; Tagback's queues are all failure queues);
- plain alarms on one metric each for what concerns the agency as a whole: the account's Lambda throttles (the
  account's concurrency), the account's stream iterator age (a grouped query would analyze every venue's prize
  function in every hour it reads its stream, busy or not: docs/cost.md), the edge API's 5xx, refused webhook
  deliveries.

CloudWatch documents the contributor's attributes (`client_id`, `QueueName`) in the event it sends
EventBridge for each contributor's change of state; a rule per grouped alarm turns that event into a line naming the
venue (or the queue, whose name starts with the venue's stack name) and what to do, to the same topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from tagback.config.agency import AgencyConfig
from tagback.domain.watchdog import STREAM_LAG_MINUTES
from tagback.observability import (
    DMS_UNCERTAIN_METRIC,
    FUNCTION_ERRORS_METRIC,
    METRICS_NAMESPACE,
    TOKEN_REFUSED_METRIC,
    WEBHOOK_REJECTED_METRIC,
)

_REPLAY = "python -m tagback.cli replay --stack Tagback-<client-id>"


@dataclass(frozen=True)
class GroupedAlarm:
    """An alarm over a Metrics Insights query with GROUP BY: one contributor per value of `contributor`."""

    name: str
    query: str
    contributor: tuple[str, ...]  # the GROUP BY dimensions, which the notification names
    period: Duration
    threshold: float
    what_to_do: str


_FIND_LAGGING_VENUE = (
    "Find the venue (its function is tagback-<client-id>-prize or -owner-delivery): SELECT MAX(IteratorAge) FROM "
    'SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName in CloudWatch\'s Metrics Insights; then look at its log.'
)

GROUPED_ALARMS = (
    GroupedAlarm(
        "FunctionErrors",
        f'SELECT SUM({FUNCTION_ERRORS_METRIC}) FROM "{METRICS_NAMESPACE}" GROUP BY client_id, service',  # noqa: S608 - a metric query
        ("client_id", "service"),
        Duration.minutes(5),
        1,
        "A function of this venue (client_id Other: the edge's) failed; its log says why. What failed is retried and "
        f"then waits in a failure queue: fix the cause, then {_REPLAY}.",
    ),
    GroupedAlarm(
        "TokenRefused",
        f'SELECT SUM({TOKEN_REFUSED_METRIC}) FROM "{METRICS_NAMESPACE}" GROUP BY client_id',  # noqa: S608 - a metric query
        ("client_id",),
        Duration.minutes(1),
        1,
        "Meta refused this venue's Instagram token; guests' messages wait for it (24 hours at most). The venue must "
        "reconnect: python -m tagback.cli connect --client <client-id>.",
    ),
    GroupedAlarm(
        "FailureQueues",
        'SELECT MAX(ApproximateNumberOfMessagesVisible) FROM SCHEMA("AWS/SQS", QueueName) GROUP BY QueueName',
        ("QueueName",),
        Duration.minutes(5),
        1,
        "This queue (its name starts with the venue's stack, Tagback-<client-id>) holds what failed after every "
        f"retry. Look at the messages and the function's log, fix the cause, then {_REPLAY}.",
    ),
    GroupedAlarm(
        "DmsUncertain",
        f'SELECT SUM({DMS_UNCERTAIN_METRIC}) FROM "{METRICS_NAMESPACE}" GROUP BY client_id',  # noqa: S608 - a metric query
        ("client_id",),
        Duration.minutes(5),
        1,
        "A message to a guest of this venue may or may not have reached them (Meta's answer was lost and the "
        "conversation could not be read): it is never sent again. The award shows dm_uncertain in the owner's sheet "
        "and `tagback status`; ask the guest, or send it by hand from the venue's Instagram inbox.",
    ),
)


class Alerts(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, agency: AgencyConfig, http_api: apigw.IHttpApi) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", display_name="Tagback alerts", enforce_ssl=True)
        for email in agency.alerts.emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        # The topic's policy (EventBridge's grant makes one) must let CloudWatch's alarms publish too.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        Validations.of(self.topic).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SNS2",
                reason="CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a key "
                "of our own costs a dollar a month; the messages name venues and queues, no guest.",
            )
        )
        self._action = actions.SnsAction(self.topic)
        for grouped in GROUPED_ALARMS:
            self._grouped(grouped)
        self._plain(
            "Throttles",
            cloudwatch.Metric(
                namespace="AWS/Lambda", metric_name="Throttles", statistic="Sum", period=Duration.minutes(5)
            ),
            1,
            "Lambda throttled a function: the account's concurrency is used up (all venues share it). Find the "
            'function: SELECT SUM(Throttles) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName in '
            "CloudWatch's Metrics Insights; ask AWS for a higher concurrency quota.",
        )
        self.stream_lag = self._plain(
            "StreamLag",
            # Lambda publishes IteratorAge without a dimension too: the account's, over every stream-read function
            # (one metric at $0.10 a month, where a query grouped by function is billed per function it analyzes).
            cloudwatch.Metric(
                namespace="AWS/Lambda", metric_name="IteratorAge", statistic="Maximum", period=Duration.minutes(5)
            ),
            STREAM_LAG_MINUTES * 60_000,  # milliseconds
            f"A venue's function reads its table's stream more than {STREAM_LAG_MINUTES} minutes late: its prize "
            "function (guests wait for their prize), or its owner_delivery (the owner's sheet or CRM is down and its "
            "events are being retried). The watchdog names the venues in a message of its own. " + _FIND_LAGGING_VENUE,
        )
        self._plain(
            "Api5xx",
            http_api.metric_server_error(statistic="Sum", period=Duration.minutes(5)),
            1,
            "The edge's API answered 5xx (Meta redelivers webhook deliveries it did not get a 200 for): look at the "
            "webhook function's log; the registry table or a venue's table may be unavailable.",
        )
        self._plain(
            "WebhookRejections",
            cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=WEBHOOK_REJECTED_METRIC,
                dimensions_map={"service": "webhook"},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            10,
            "The edge refused many webhook deliveries (bad signature or shape). If Meta's own deliveries are refused, "
            "the app secret in SSM is not the app's (rotated?): every venue is receiving nothing. Otherwise someone "
            "is sending forged requests.",
        )

    def _grouped(self, grouped: GroupedAlarm) -> None:
        alarm = cloudwatch.Alarm(
            self,
            grouped.name,
            metric=cloudwatch.MathExpression(
                expression=grouped.query, using_metrics={}, period=grouped.period, label=grouped.name
            ),
            threshold=grouped.threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=grouped.what_to_do,
        )
        alarm.add_alarm_action(self._action)
        # The contributor's state change, as CloudWatch sends it to EventBridge: its attributes name the venue.
        named = ", ".join(
            f"{name} {events.EventField.from_path(f'$.detail.alarmContributor.attributes.{name}')}"
            for name in grouped.contributor
        )
        events.Rule(
            self,
            f"{grouped.name}Contributors",
            description=f"Tagback: name the venue of each contributor of {grouped.name} going into ALARM",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"],
                detail_type=["CloudWatch Alarm Contributor State Change"],
                resources=[alarm.alarm_arn],
                detail={"state": {"value": ["ALARM"]}},
            ),
            targets=[
                targets.SnsTopic(
                    self.topic,
                    message=events.RuleTargetInput.from_multiline_text(
                        f"Tagback alarm {grouped.name}: {named}\n"
                        f"{events.EventField.from_path('$.detail.state.reason')}\n\n"
                        f"{events.EventField.from_path('$.detail.configuration.description')}"
                    ),
                )
            ],
        )

    def _plain(self, name: str, metric: cloudwatch.IMetric, threshold: float, what_to_do: str) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=what_to_do,
        )
        alarm.add_alarm_action(self._action)
        return alarm
