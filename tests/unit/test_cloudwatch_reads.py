"""What Tagback reads of CloudWatch: the failure queues' depths for `tagback status` (never from the queues: asking a
queue wakes its metrics for six hours, which the FailureQueues alarm is billed for), and the functions reading their
streams late for the watchdog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from botocore.stub import ANY, Stubber

from tagback.adapters.queue_metrics import DEPTH_METRICS, WINDOW, queue_depths
from tagback.adapters.stream_lag import LAGGING, CloudWatchStreamLags

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
URLS = {
    "PrizeDeadLetter": "https://sqs.us-east-1.amazonaws.com/123456789012/Tagback-demo-PrizeDeadLetter1A2B",
    "ReportFailure": "https://sqs.us-east-1.amazonaws.com/123456789012/Tagback-demo-ReportFailureC3D4",
}


def test_each_queues_latest_published_depth_and_none_published_is_empty() -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    # The stub answers GetMetricData once and refuses any other call (GetQueueAttributes is not even this client's).
    with Stubber(cloudwatch) as stub:
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {"Id": "q0m0", "Values": [], "Timestamps": [], "StatusCode": "Complete"},
                    {"Id": "q0m1", "Values": [], "Timestamps": [], "StatusCode": "Complete"},
                    # newest first: 3 waiting now (5 a minute before), 1 being received
                    {"Id": "q1m0", "Values": [3.0, 5.0], "Timestamps": [NOW, NOW], "StatusCode": "Complete"},
                    {"Id": "q1m1", "Values": [1.0], "Timestamps": [NOW], "StatusCode": "Complete"},
                ]
            },
            {"MetricDataQueries": ANY, "StartTime": NOW - WINDOW, "EndTime": NOW, "ScanBy": "TimestampDescending"},
        )
        assert queue_depths(cloudwatch, URLS, NOW) == {"PrizeDeadLetter": 0, "ReportFailure": 4}
        stub.assert_no_pending_responses()


def test_the_queries_name_each_queue_as_sqs_publishes_it() -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    asked: list[dict[str, object]] = []
    cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData", lambda params, **_: asked.append(params)
    )
    with Stubber(cloudwatch) as stub:
        stub.add_response("get_metric_data", {"MetricDataResults": []})
        queue_depths(cloudwatch, URLS, NOW)
    (params,) = asked
    metrics = [q["MetricStat"]["Metric"] for q in params["MetricDataQueries"]]  # type: ignore[index]
    assert {(m["Namespace"], m["MetricName"], m["Dimensions"][0]["Value"]) for m in metrics} == {
        ("AWS/SQS", metric, url.rsplit("/", 1)[1]) for url in URLS.values() for metric in DEPTH_METRICS
    }
    assert all(m["Dimensions"][0]["Name"] == "QueueName" and len(m["Dimensions"]) == 1 for m in metrics)


def test_the_lagging_functions_are_read_by_one_metrics_insights_query_labelled_by_function() -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    since = NOW - timedelta(minutes=15)
    with Stubber(cloudwatch) as stub:
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {"Id": "lag", "Label": "tagback-demo-prize", "Values": [2.0, 9.0], "StatusCode": "Complete"},
                    {"Id": "lag", "Label": "tagback-luna-prize", "Values": [], "StatusCode": "Complete"},
                ]
            },
            {
                "MetricDataQueries": [{"Id": "lag", "Expression": LAGGING, "Period": 300}],
                "StartTime": since,
                "EndTime": NOW,
            },
        )
        assert CloudWatchStreamLags(cloudwatch).lagging(since, NOW) == {"tagback-demo-prize": 9.0}
