"""No duplicate DMs, no silent loss (issue 14.5), with faults injected into the sandbox's fake Graph API: the prize text
answered past the Graph client's read timeout (delivered all the same), the fake Graph API's port refusing
connections, a connection closed before anything is answered. Each time the guest has exactly one prize message."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sandbox.chat import Guest, Line
from sandbox.runtime import Sandbox
from tests.e2e.test_claim_conflicts import running
from tests.e2e.waiting import wait_for

pytestmark = pytest.mark.e2e
PRIZE = re.compile(r"Your prize: .+ Show this code to our staff: (\w{4}-\w{4}-\w{4})")


def prize_lines(guest: Guest) -> list[Line]:
    return [line for line in guest.transcript if line.speaker == "venue" and PRIZE.search(line.text)]


def award_of(sandbox: Sandbox, guest: Guest) -> dict[str, Any]:
    (award,) = [a for a in sandbox.store.awards.all_items() if a["guest_id"] == guest.guest_id]
    return award


def prize_message(sandbox: Sandbox, guest: Guest) -> dict[str, Any]:
    (message,) = [
        m
        for m in sandbox.graph.sent_messages()
        if m["json"]["recipient"]["id"] == guest.guest_id and PRIZE.search(m["json"]["message"].get("text", ""))
    ]
    return message


def test_a_prize_text_answered_past_the_read_timeout_reaches_the_guest_once(tmp_path: Path) -> None:
    with running(tmp_path) as sandbox:
        guest = Guest(sandbox, "6170000000000801")
        sandbox.graph.fail_next("send", "timeout")  # delivered, answered after 15 s: the client gives up at 10 s
        guest.mention()
        award = award_of(sandbox, guest)
        assert award["state"] == "dm_sent"
        assert award["text_mid"] == prize_message(sandbox, guest)["message_id"]  # found in the conversation
        assert len(prize_lines(guest)) == 1
        assert [line.image for line in guest.transcript if line.speaker == "venue"] == [False, True]
        looked_up = [r for r in sandbox.graph.requests if r["kind"] == "conversations"]
        assert looked_up and looked_up[0]["query"] == {"platform": "instagram", "user_id": guest.guest_id}


def test_a_refused_connection_is_tried_again_and_the_guest_gets_one_prize(tmp_path: Path) -> None:
    with running(tmp_path, languages=["en", "de"]) as sandbox:
        guest = Guest(sandbox, "6170000000000802")
        guest.mention()  # the language question: every Graph call before the prize text is made
        logged = sandbox.function_log.stat().st_size
        sandbox.refuse_graph_connections()
        guest.tap("English", wait=False)  # the sandbox's pump delivers the answer: the prize text is next

        def refused_send() -> bool:
            with sandbox.function_log.open(encoding="utf-8") as log:
                log.seek(logged)
                lines = [json.loads(line) for line in log if line.startswith("{")]
            return any(line.get("send") is True and "no connection made" in line.get("error", "") for line in lines)

        wait_for(refused_send, 30)  # the client was refused, and backs off before it tries again
        sandbox.accept_graph_connections()
        sandbox.settle()
        guest.collect()
        assert len(prize_lines(guest)) == 1
        assert award_of(sandbox, guest)["state"] == "dm_sent"
        assert not [r for r in sandbox.graph.requests if r["kind"] == "conversations"]  # nothing to look up


def test_a_connection_closed_before_the_answer_is_looked_up_then_sent_once(tmp_path: Path) -> None:
    with running(tmp_path) as sandbox:
        guest = Guest(sandbox, "6170000000000803")
        sandbox.graph.fail_next("send", "disconnect")  # nothing delivered, but the client cannot know it
        guest.mention()
        assert len(prize_lines(guest)) == 1
        award = award_of(sandbox, guest)
        assert award["state"] == "dm_sent" and award["text_mid"] == prize_message(sandbox, guest)["message_id"]
        assert [r["status"] for r in sandbox.graph.requests if r["kind"] == "send"][:2] == [None, 200]
