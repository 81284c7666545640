"""STOP means stop, through the running sandbox (issue 12): the owner's sheet and CRM hear of the withdrawal, the CSV
export drops the contact, nothing else is sent; past the retention period the guest is still stopped (a text gets no
answer, a story its prize only); START restores the follow-up and the contact question."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sandbox.chat import Guest, Line
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.cli import main as cli
from tagback.domain.stats import month_of
from tagback.store.schema import TTL_ATTRIBUTE
from tests.e2e.test_chat_transcript import CODE, FOOTER, PRIZE_EN

pytestmark = pytest.mark.e2e
EMAIL = "zoe@example.com"
LANGUAGES = ("English", "Deutsch", "Português")
CONTACT_QUESTION = (
    "Would you like to hear about Café Aurora's offers by email? We'll email you our news and offers, at most twice "
    "a month; unsubscribe any time."
)
REVIEW_QUESTION = "How was your visit to Café Aurora? Would you like to leave us a review on Google?"
STOPPED = (
    "Done: Café Aurora won't message you any more, except to answer a story you tag us in. Reply START to undo this."
)
STARTED = "Done: Café Aurora can message you here again. Reply STOP at any time to stop."


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        yield running


def texts(lines: list[Line]) -> list[str]:
    return ["[image]" if line.image else line.text for line in lines]


def prize_only(lines: list[Line]) -> bool:
    """The prize text and the coupon image, nothing else."""
    prize = rf"Thanks for sharing Café Aurora in your story! 🎉 Your prize: {PRIZE_EN}\. Show this code to our staff: "
    prize += rf"{CODE} \(valid until \d{{1,2}} \w{{3}} 20\d\d\)\."
    return len(lines) == 2 and re.fullmatch(prize, lines[0].text) is not None and lines[1].image


def expire_as_ttl_does(sandbox: Sandbox) -> int:
    """DynamoDB deletes items once their TTL attribute has passed (moto does not): what retention leaves. Returns
    how many went."""
    table, client = sandbox.resources.table_name, sandbox.store.table.client
    now = int(sandbox.clock.now().timestamp())
    gone = 0
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if TTL_ATTRIBUTE in item and int(item[TTL_ATTRIBUTE]["N"]) <= now:
                client.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})
                gone += 1
    return gone


def rows_of(sandbox: Sandbox, guest: Guest) -> list[dict[str, str]]:
    header, *rows = sandbox.google.rows["Entries"]
    return [dict(zip(header, row, strict=True)) for row in rows if guest.guest_id in row[0]]


def crm_events(sandbox: Sandbox, guest: Guest) -> list[dict[str, Any]]:
    return [r for r in sandbox.crm.requests if r["status"] == 200 and r["json"]["guest_id"] == guest.guest_id]


def exported_emails(sandbox: Sandbox, out: Path) -> list[str]:
    month = month_of(sandbox.clock.now(), sandbox.config.tz)
    arguments = ["export", "--client", "demo", "--month", month, "--sandbox", sandbox.url, "--out", str(out)]
    assert cli(arguments) == 0
    (contacts,) = out.glob("*-contacts.csv")
    return [row["email"] for row in csv.DictReader(contacts.open(encoding="utf-8"))]


def followups_of(sandbox: Sandbox, guest: Guest) -> list[dict[str, Any]]:
    return [s for s in sandbox.schedules() if s["Input"].get("guest_id") == guest.guest_id]


def test_stop_withdraws_consent_outlives_retention_and_start_restores(sandbox: Sandbox, tmp_path: Path) -> None:
    zoe = Guest(sandbox, "6170000000000811")
    sandbox.graph.profiles[zoe.guest_id] = {"name": "Zoe Ferreira", "username": "zoe.f"}
    zoe.mention()
    zoe.tap("English")
    zoe.tap("Yes")
    zoe.say(EMAIL)
    sandbox.settle()
    (contact,) = [row for row in rows_of(sandbox, zoe) if row["Event"] == "contact"]
    assert (contact["Email"], contact["Language"], contact["Consent channel"]) == (EMAIL, "en", "email")
    assert contact["Consent version"] == "2026-11" and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", contact["Consent time"]
    )
    assert exported_emails(sandbox, tmp_path / "before") == [EMAIL]

    # STOP: one confirmation; the sheet and the CRM hear of the withdrawal; the export has no contact.
    zoe.say("Please stop messaging me")
    assert texts(zoe.transcript[-1:]) == [STOPPED]
    sandbox.settle()
    (withdrawn,) = [row for row in rows_of(sandbox, zoe) if row["Event"] == "contact.withdrawn"]
    assert (withdrawn["Display name"], withdrawn["Email"], withdrawn["Consent channel"]) == (
        "Zoe Ferreira",
        EMAIL,
        "all",
    )
    assert withdrawn["Consent version"] == "2026-11" and withdrawn["Consent time"]
    (crm,) = [r for r in crm_events(sandbox, zoe) if r["event"] == "contact.withdrawn"]
    assert crm["signature_valid"] and crm["json"]["channel"] == "all" and crm["json"]["email"] == EMAIL
    assert crm["json"]["language"] == "en" and crm["json"]["consent_at"] is not None
    assert exported_emails(sandbox, tmp_path / "after") == []

    # Nothing else is sent: not the review question an hour on, not an answer to a text.
    seen = len(zoe.transcript)
    sandbox.advance(sandbox.config.followup_delay_minutes)
    zoe.collect()
    zoe.say("hello?")
    assert len(zoe.transcript) == seen + 1  # only Zoe's own line
    sheet_rows, crm_deliveries = len(rows_of(sandbox, zoe)), len(crm_events(sandbox, zoe))

    # Past the retention period, with everything TTL removes removed: still stopped.
    sandbox.advance((sandbox.config.retention_days + 1) * 24 * 60)
    assert expire_as_ttl_does(sandbox) > 0
    assert sandbox.store.guests.get(zoe.guest_id) is None  # the profile, and its opted_out_at, are gone
    zoe.collect()
    zoe.say("hi, remember me?")
    assert texts(zoe.transcript[-1:]) == ["hi, remember me?"]  # no answer
    zoe.mention()  # her own new request: its prize reply, and nothing else
    assert texts(zoe.transcript[-1:]) == ["Hi from Café Aurora! Which language would you like?" + FOOTER]
    assert zoe.transcript[-1].buttons == LANGUAGES
    zoe.tap("English")
    assert prize_only(zoe.transcript[-2:])
    sandbox.advance(sandbox.config.followup_delay_minutes)
    assert zoe.collect() == [] and followups_of(sandbox, zoe) == []  # no review question, none scheduled
    sandbox.settle()
    assert [row["Event"] for row in rows_of(sandbox, zoe)[sheet_rows:]] == ["award"]  # the prize, for the staff
    assert [r["event"] for r in crm_events(sandbox, zoe)[crm_deliveries:]] == ["award"]

    # START: one confirmation; the next day's prize brings the contact question and the review question again.
    zoe.say("START")
    assert texts(zoe.transcript[-1:]) == [STARTED]
    sandbox.advance(24 * 60)
    zoe.mention()
    assert texts(zoe.transcript[-3:])[1:] == ["[image]", CONTACT_QUESTION] and prize_only(zoe.transcript[-3:-1])
    sandbox.advance(sandbox.config.followup_delay_minutes)
    assert texts(zoe.collect()) == [REVIEW_QUESTION]
