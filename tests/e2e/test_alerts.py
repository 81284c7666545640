"""The agency hears of a venue gone quiet: the edge's watchdog, run hourly by the sandbox clock, reads each venue's
figures under its own role and tells the alerts topic (a queue subscribed to it stands for the agency's inbox)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        yield running


def test_a_venue_without_a_mention_for_its_open_days_is_reported_once(sandbox: Sandbox) -> None:
    demo, luna = sandbox.venue("demo").config, sandbox.venue("luna").config
    assert demo.alerts.no_mention_days == luna.alerts.no_mention_days == 7 and not demo.alerts.closed
    Guest(sandbox, "6170000000000901").mention()  # the demo café's last mention: today
    today = sandbox.clock.now().astimezone(demo.tz).date()

    sandbox.advance(6 * 24 * 60)
    assert [a for a in sandbox.alerts() if "no story mention" in a["subject"]] == []  # six days: not yet

    sandbox.advance(3 * 24 * 60)  # the watchdog runs every hour, and tells each silence once
    quiet = {a["subject"]: a["message"] for a in sandbox.alerts() if "no story mention" in a["subject"]}
    assert sorted(quiet) == [
        "Tagback: no story mention at demo for 7 open days",
        "Tagback: no story mention at luna for 7 open days",  # registered today, not a mention since
    ]
    assert f"none since {today.isoformat()}" in quiet["Tagback: no story mention at demo for 7 open days"]
    assert "Taquería Luna (luna)" in quiet["Tagback: no story mention at luna for 7 open days"]
    assert "none since it was registered" in quiet["Tagback: no story mention at luna for 7 open days"]
