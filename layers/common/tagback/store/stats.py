"""The month's figures, in two items of the month's partition (`STATS#<yyyy-mm>`): `TOTALS`, the counters ADDed
atomically as events happen and when the month's report was sent; `SNAPSHOT`, the daily snapshot's values. A write is
billed per KB of the item it changes, and by the month's end the snapshot's values (a few per day) are several KB: on
the counters' item they would make each of a mention's counter ADDs cost several write units (docs/cost.md). A month
whose snapshot values were written to `TOTALS` (before the split) still reads whole: `month_totals` merges both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagback.domain.stats import REPORT_SENT_AT
from tagback.store.codec import to_dynamo
from tagback.store.schema import ITEM_TYPE, PARTITION_KEY, SORT_KEY, STATS, key
from tagback.store.table import Table


def _month_key(month: str) -> dict[str, str]:
    return key(f"STATS#{month}", "TOTALS")


def _snapshot_key(month: str) -> dict[str, str]:
    return key(f"STATS#{month}", "SNAPSHOT")


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
        """The daily snapshot's values, as `<name>_d<DD>` on the month's snapshot item."""
        if values:
            self.table.update(
                _snapshot_key(month),
                {ITEM_TYPE: STATS, **{f"{name}_d{day:02d}": value for name, value in values.items()}},
            )

    def report_sent(self, month: str, sent_at: datetime) -> None:
        """The month's report went out at `sent_at` (`report_sent_at`): the edge's watchdog (a report not sent by noon
        on the 1st) and `tagback status` (the last one sent) read it."""
        self.table.update(_month_key(month), {ITEM_TYPE: STATS, REPORT_SENT_AT: sent_at.isoformat()})

    def month_totals(self, month: str) -> dict[str, Any]:
        """The month's counters and daily snapshot values, as stored; {} when nothing happened that month."""
        items = [self.table.get(_month_key(month)) or {}, self.table.get(_snapshot_key(month)) or {}]
        return {
            name: value
            for item in items
            for name, value in item.items()
            if name not in (PARTITION_KEY, SORT_KEY, ITEM_TYPE)
        }
