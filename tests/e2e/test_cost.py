"""The cost model's DynamoDB figures are counted, not guessed: the metering hook over mentions in the sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bench.measure_cost import journey
from bench.metering import AwsMeter
from sandbox.runtime import Sandbox, SandboxOptions

pytestmark = pytest.mark.e2e


def test_a_mention_costs_the_same_request_units_each_time() -> None:
    meter = AwsMeter()
    units: list[tuple[float, float, float]] = []
    with meter.installed(), Sandbox(replace(SandboxOptions(), port=0)) as running:
        venue, edge = running.resources.table_name, running.edge.table_name
        local = running.clock.now().astimezone(running.config.tz)
        ten = local.replace(hour=10, minute=0, second=0) + timedelta(days=1 if local.hour >= 10 else 0)
        running.advance((ten - local).total_seconds() / 60)  # hours from the venue's own schedules (04:15, 23:30)
        journey(running, "6170000000020000")  # the first: the month's items are new, the caches empty
        for guest in ("6170000000020001", "6170000000020002"):
            before = meter.usage.snapshot()
            journey(running, guest)
            used = meter.usage.since(before)
            units.append((used.read_units[venue], used.write_units[venue], used.write_units[edge]))
    (reads, writes, edge_writes), again = units
    assert reads > 0 and writes > 0 and edge_writes == 0  # the edge writes only into the venue's table
    assert again[0] == reads
    assert abs(again[1] - writes) <= 1  # only a drawn prize with a daily cap takes one unit of it (an update)
