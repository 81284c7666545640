"""How many messages each failure queue holds, as SQS last told CloudWatch — read without touching the queues.

Asking a queue itself (GetQueueAttributes) counts as activity: SQS then publishes the queue's metrics for six hours,
and the agency's FailureQueues alarm is billed for each queue it analyzes in those hours (docs/cost.md). SQS
publishes a queue's metrics while it is active, which a queue holding messages always is; a queue with no data in
the window is empty and untouched."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

# The messages waiting, and those received but not yet deleted (SQS's approximate counts).
DEPTH_METRICS = ("ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible")
WINDOW = timedelta(minutes=15)  # SQS publishes an active queue's metrics every minute: the latest is in there
PERIOD_SECONDS = 60


def queue_depths(client: Any, queue_urls: Mapping[str, str], now: datetime) -> dict[str, int]:
    """Each queue's messages by the key it is given under (`queue_urls`: key → queue URL), from a CloudWatch client:
    the latest value SQS published in the last WINDOW; 0 where it published none."""
    queries = [
        {
            "Id": f"q{index}m{metric_index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "QueueName", "Value": url.rstrip("/").rsplit("/", 1)[-1]}],
                },
                "Period": PERIOD_SECONDS,
                "Stat": "Maximum",
            },
        }
        for index, url in enumerate(queue_urls.values())
        for metric_index, metric in enumerate(DEPTH_METRICS)
    ]
    latest: dict[str, float] = {}
    pages = client.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries, StartTime=now - WINDOW, EndTime=now, ScanBy="TimestampDescending"
    )
    for page in pages:
        for result in page["MetricDataResults"]:
            if result["Values"] and result["Id"] not in latest:
                latest[result["Id"]] = result["Values"][0]  # newest first
    return {
        key: sum(int(latest.get(f"q{index}m{metric_index}", 0)) for metric_index in range(len(DEPTH_METRICS)))
        for index, key in enumerate(queue_urls)
    }
