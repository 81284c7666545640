"""bench/load.py's report: a lost mention is named with where it stopped, not only counted (issue 17: a 10,000 run
printed `lost 1` and nothing else)."""

from __future__ import annotations

import random

from bench.load import Delivery, Run, Sent, plan, report
from sandbox import meta_payloads
from sandbox.audit import Audit

ACCOUNT = "17841400000000001"


def mention(mid: str) -> dict[str, object]:
    return meta_payloads.story_mention("6170000000000001", ACCOUNT, mid)


def a_run(sent: Sent, found: Audit, traced: dict[str, list[str]] | None = None) -> Run:
    return Run(
        mentions=len(sent.first_sent),
        seconds=10.0,
        floor=100.0,
        sent=sent,
        found=found,
        latencies=[],
        unstored=sent.unstored(found.stored_mids),
        traced=traced or {},
    )


def test_a_sent_mid_no_table_holds_is_named_with_the_deliveries_that_carried_it() -> None:
    # The 10,000 run's signature: one more duplicate answered than items sent again, one mid fewer stored than sent.
    deliveries = [Delivery(ACCOUNT, [mention("m_kept"), mention("m_lost")]), Delivery(ACCOUNT, [mention("m_kept")])]
    sent = Sent(first_sent={"m_kept": 0.0, "m_lost": 0.0}, duplicates=2, deliveries=deliveries)
    found = Audit(stored_mids={"m_kept"})

    lines = report(a_run(sent, found), faults=False)

    assert "duplicates suppressed       2 of 1 items sent again (deliveries retried as Meta does: 0)" in lines
    assert "lost                        1" in lines
    assert f"  ! m_lost: sent in delivery #0 (2 items to {ACCOUNT}); in no venue's table" in lines


def test_a_stored_mention_lost_is_printed_with_its_state() -> None:
    sent = Sent(first_sent={"m_1": 0.0}, deliveries=[Delivery(ACCOUNT, [mention("m_1")])])
    found = Audit(stored_mids={"m_1"}, lost=["demo:m_1"])
    state = ["mention item: {...}", "award: none"]

    lines = report(a_run(sent, found, {"demo:m_1": state}), faults=False)

    at = lines.index("  ! demo:m_1")
    assert lines[at + 1 : at + 3] == [f"      {line}" for line in state]
    assert "lost                        1" in lines


def test_every_item_sent_again_is_counted_once_and_each_redelivery_names_its_first_delivery() -> None:
    deliveries = plan(500, 100, [ACCOUNT, "17841400000000002"], 1_764_000_000_000, random.Random(17))
    sent = Sent(first_sent=dict.fromkeys((mid for d in deliveries for mid in d.mids), 0.0), deliveries=deliveries)

    assert len(sent.first_sent) == 500
    assert sent.sent_again == 50  # REDELIVERED: a tenth
    again = next(d.mids[0] for n, d in enumerate(deliveries) if any(d.mids[0] in e.mids for e in deliveries[:n]))
    assert ", again in #" in sent.carrying(again)
