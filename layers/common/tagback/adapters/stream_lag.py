"""How late each stream-read function of the account reads its stream, from CloudWatch: the watchdog names the
venues when the StreamLag alarm (on the account's own IteratorAge, no dimension) goes off."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from tagback.adapters.aws import boto3_client

# Billed per metric it analyzes ($0.01 per 1,000 with GetMetricData), and asked only when the alarm goes off.
LAGGING = 'SELECT MAX(IteratorAge) FROM SCHEMA("AWS/Lambda", FunctionName) GROUP BY FunctionName ORDER BY MAX() DESC'
PERIOD_SECONDS = 300  # the alarm's


class CloudWatchStreamLags:
    def __init__(self, client: Any = None) -> None:
        self._given_client = client

    @cached_property
    def client(self) -> Any:
        return self._given_client or boto3_client("cloudwatch")

    def lagging(self, since: datetime, until: datetime) -> dict[str, float]:
        """Each function's greatest IteratorAge (milliseconds) between `since` and `until`, by its name."""
        ages: dict[str, float] = {}
        pages = self.client.get_paginator("get_metric_data").paginate(
            MetricDataQueries=[{"Id": "lag", "Expression": LAGGING, "Period": PERIOD_SECONDS}],
            StartTime=since,
            EndTime=until,
        )
        for page in pages:
            for series in page["MetricDataResults"]:  # one per function, labelled with its name
                if series["Values"]:
                    ages[series["Label"]] = max(ages.get(series["Label"], 0.0), *series["Values"])
        return ages
