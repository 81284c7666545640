"""Faults at volume (issue 17): hundreds of mentions delivered as Meta does (repeats, redeliveries, batches of 50,
concurrent senders) while Meta, Google, the CRM or AWS fail; after each, the invariants the product's own records
show (sandbox/audit.py): nothing lost, nothing awarded or sent twice, nothing left in a failure queue that should have
succeeded, and what is there replays to success."""

from __future__ import annotations

import random

import pytest
import requests

from bench.load import drive, graph_faults, replay_failures
from sandbox.audit import Audit, audit
from sandbox.runtime import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MENTIONS, GUESTS = 250, 70


def control(sandbox: Sandbox, faults: dict[str, int]) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()


def held(found: Audit) -> None:
    assert found.mentions_in == MENTIONS
    assert (found.lost, found.double_awards, found.duplicate_dms, found.followups_missing) == ([], [], [], [])
    assert found.awards == GUESTS


def test_meta_failing_at_volume_loses_nothing_and_sends_nothing_twice(sandbox: Sandbox) -> None:
    faults = {
        0.1: graph_faults(*["5xx"] * 6),
        0.3: graph_faults(*["throttle", "rate_limit"] * 4),
        0.5: graph_faults("timeout", "gateway_timeout", "disconnect"),  # answers lost: looked up, never resent
        0.7: graph_faults(*["outside_window"] * 3),
    }
    drive(sandbox, MENTIONS, GUESTS, faults, random.Random(1))
    found = audit(sandbox)
    held(found)
    assert found.dead_letters == {}  # retried until Meta took them: none needed the operator
    refused = [r for r in sandbox.graph.requests if r["kind"] == "send" and r["status"] == 400]
    assert len(refused) >= 3 + 8  # every queued refusal was answered: outside the window and throttling


def test_sheets_and_crm_down_for_a_while_every_award_reaches_both(sandbox: Sandbox) -> None:
    faults = {
        0.2: lambda s: s.google.unavailable_for(60),
        0.3: lambda s: s.crm.fail_next(*[503] * 20),
    }
    drive(sandbox, MENTIONS, GUESTS, faults, random.Random(2))
    found = audit(sandbox)
    held(found)
    assert found.dead_letters == {}  # the outbox's retries (minutes) outlast a minute's outage
    demo_awards = len(sandbox.venue("demo").store.awards.all_items())  # the demo café has the sheet and the CRM
    _header, *rows = sandbox.google.rows["Entries"]
    assert len([row for row in rows if row[1] == "award"]) == demo_awards
    delivered = {r["delivery"] for r in sandbox.crm.requests if r["status"] == 200 and r["event"] == "award"}
    assert len(delivered) == demo_awards and any(r["status"] == 503 for r in sandbox.crm.requests)


def test_aws_throttling_and_scheduler_failures_at_volume_every_award_gets_its_follow_up(sandbox: Sandbox) -> None:
    faults = {  # as an operator queues them: through the sandbox's control API
        0.2: lambda s: control(s, {"create_schedule_failures": 8}),
        0.4: lambda s: control(s, {"dynamodb_throttled_writes": 40}),
    }
    drive(sandbox, MENTIONS, GUESTS, faults, random.Random(3))
    assert sandbox.aws_faults.answered == {"failed_schedule_creations": 8, "throttled_writes": 40}
    found = audit(sandbox)
    if found.dead_letters:
        replay_failures(sandbox)
        found = audit(sandbox)
    held(found)
    assert found.dead_letters == {}
    schedules = [s["Name"] for venue in sandbox.venues for s in sandbox.schedules(venue.client_id)]
    assert len([name for name in schedules if name.startswith("followup-")]) == GUESTS  # none lost to the failures


def test_the_prize_function_killed_mid_batch_its_batch_redelivered_and_replayed_to_success(sandbox: Sandbox) -> None:
    kill = {0.5: lambda s: s.aws_faults.kill(s.venue().role("prize"), 25)}  # mid-batch: 25 requests into it
    drive(sandbox, MENTIONS, GUESTS, kill, random.Random(4))
    assert sandbox.aws_faults.answered == {"killed": 1}
    found = audit(sandbox)
    assert (found.double_awards, found.duplicate_dms) == ([], [])  # before the replay too
    replayed = replay_failures(sandbox) if found.dead_letters else {}
    found = audit(sandbox)
    held(found)
    assert found.dead_letters == {}
    assert all(not report["still_failing"] for report in replayed.values())


def test_the_audit_sees_a_lost_mention_a_double_award_a_duplicate_dm_and_a_missing_follow_up(sandbox: Sandbox) -> None:
    drive(sandbox, 20, 10, {}, random.Random(5))
    assert audit(sandbox).holds
    store = sandbox.venue().store
    award = store.awards.all_items()[0]
    store.awards.table.update(
        {"PK": f"GUEST#{award['guest_id']}", "SK": f"IN#{award['mention_mid']}"}, {"handled_at": None}
    )
    store.awards.table.update({"PK": award["PK"], "SK": award["SK"]}, {"state": "claimed"})
    prize = next(m for m in sandbox.graph.delivered if m["message_id"] == award["text_mid"])
    sandbox.graph.delivered.append({**prize, "message_id": "m_sandbox_copy"})
    found = audit(sandbox)
    assert found.lost == [f"demo:{award['mention_mid']}"]
    assert len(found.double_awards) == 1 and "delivered 2 times" in found.double_awards[0]
    assert len(found.duplicate_dms) == 1
    venue = sandbox.venue()
    venue.pumps()[1].scheduler.delete_schedule(
        Name=f"followup-{award['guest_id']}_{award['local_date']}", GroupName=venue.resources.schedule_group
    )
    store.awards.table.update({"PK": award["PK"], "SK": award["SK"]}, {"state": "dm_sent"})
    assert audit(sandbox).followups_missing == [f"demo: award {award['PK']}/{award['SK']} (dm_sent) has no follow-up"]
