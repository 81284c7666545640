"""The month's figures: one item per month (`STATS#<yyyy-mm>`), counters ADDed atomically as events happen and the
daily snapshot's values, so the monthly report reads the month in one get."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagback.domain.stats import REPORT_SENT_AT
from tagback.store.codec import to_dynamo
from tagback.store.schema import ITEM_TYPE, PARTITION_KEY, SORT_KEY, STATS, key
from tagback.store.table import Table


def _month_key(month: str) -> dict[str, str]:
    return key(f"STATS#{month}", "TOTALS")


class Stats:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add_to_month(self, month: str, counters: dict[str, int]) -> None:
        """Atomic ADDs on the month's totals."""
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        self.table.client.update_item(
            TableName=self.table.name,
            Key=to_dynamo(_month_key(month)),
            UpdateExpression="SET #t = :type ADD " + ", ".join(f"#c{i} :n{i}" for i in range(len(counters))),
            ExpressionAttributeNames={"#t": ITEM_TYPE, **names},
            ExpressionAttributeValues=to_dynamo(
                {":type": STATS, **{f":n{i}": n for i, n in enumerate(counters.values())}}
            ),
        )

    def set_day_values(self, month: str, day: int, values: dict[str, Any]) -> None:
        """The daily snapshot's values, as `<name>_d<DD>` on the month's item."""
        if values:
            self.table.update(
                _month_key(month), {ITEM_TYPE: STATS, **{f"{name}_d{day:02d}": value for name, value in values.items()}}
            )

    def report_sent(self, month: str, at: datetime) -> None:
        """The month's report went out (`report_sent_at`): the edge's watchdog and `tagback status` read it."""
        self.table.update(_month_key(month), {ITEM_TYPE: STATS, REPORT_SENT_AT: at.isoformat()})

    def month_totals(self, month: str) -> dict[str, Any]:
        """The month's counters and daily snapshot values, as stored; {} when nothing happened that month."""
        item = self.table.get(_month_key(month)) or {}
        return {name: value for name, value in item.items() if name not in (PARTITION_KEY, SORT_KEY, ITEM_TYPE)}
