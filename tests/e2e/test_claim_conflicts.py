"""Claims refused by the table's transaction, played through an in-process sandbox: the refused guest gets the right
reply and the guests after them are still served (moto puts back a copy of the table when a transaction fails); and a
per-table venue's tables, from the answer to the owner's sheet and CRM."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.domain.stats import month_of
from tests.conftest import DEMO_CONFIG, ENGLISH_ONLY, ROOT
from tests.e2e.test_chat_transcript import CODE, FOOTER, PRIZE_EN, expect

pytestmark = pytest.mark.e2e
MENTION = ("guest", re.escape("(posts a story that @mentions the venue)"), ())
PRIZE = (
    rf"Thanks for sharing Café Aurora in your story! 🎉 Your prize: {PRIZE_EN}\. Show this code to our staff: "
    rf"{CODE} \(valid until \d{{1,2}} \w{{3}} \d{{4}}\)\."
)
IMAGE = ("venue", "[image]", ())
TABLE_QUESTION = (
    "venue",
    re.escape("Which table are you at? Please reply with the number on the table sign." + FOOTER),
    (),
)


@contextmanager
def running(tmp_path: Path, **changes: Any) -> Iterator[Sandbox]:
    """A sandbox of its own for the demo client in English only, with `changes` to its file."""
    shutil.copytree(ROOT / "clients" / "assets", tmp_path / "assets")  # the coupon's logo, relative to the file
    config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8")) | ENGLISH_ONLY | changes
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with Sandbox(SandboxOptions(config_path=path, port=0)) as sandbox:
        yield sandbox


def test_a_repeat_within_the_cooldown_is_answered_and_the_next_guest_gets_a_prize(tmp_path: Path) -> None:
    with running(tmp_path, claim_policy={"kind": "cooldown", "cooldown_hours": 24}) as sandbox:
        ana, ben = Guest(sandbox, "6170000000000601"), Guest(sandbox, "6170000000000602")
        ana.mention()
        ana.mention()  # the cooldown's transaction is refused
        ben.mention()
    repeat = re.escape("Thanks for sharing Café Aurora again! It's one prize per day, see you tomorrow.")
    expect(ana.transcript, [MENTION, ("venue", PRIZE + re.escape(FOOTER), ()), IMAGE, MENTION, ("venue", repeat, ())])
    expect(ben.transcript, [MENTION, ("venue", PRIZE + re.escape(FOOTER), ()), IMAGE])


def test_a_table_taken_for_the_day_is_answered_and_the_next_table_gets_a_prize(tmp_path: Path) -> None:
    with running(tmp_path, per_table=True, tables=["1-20"]) as sandbox:
        ana, ben, cleo = (Guest(sandbox, f"617000000000070{i}") for i in (1, 2, 3))
        for guest, table in ((ana, "12"), (ben, "12"), (cleo, "7")):  # ben's claim of table 12 is refused
            guest.mention()
            guest.say(table)
    expect(ana.transcript, [MENTION, TABLE_QUESTION, ("guest", "12", ()), ("venue", PRIZE, ()), IMAGE])
    taken = re.escape("Thanks for sharing Café Aurora! Your table already has today's prize. Enjoy your visit!")
    expect(ben.transcript, [MENTION, TABLE_QUESTION, ("guest", "12", ()), ("venue", taken, ())])
    expect(cleo.transcript, [MENTION, TABLE_QUESTION, ("guest", "7", ()), ("venue", PRIZE, ()), IMAGE])


def test_a_per_table_venues_table_reaches_the_sheet_the_crm_and_the_months_figures(tmp_path: Path) -> None:
    with running(tmp_path, per_table=True, tables=["1-20", 30]) as venue:
        nia = Guest(venue, "6170000000000801")
        nia.mention()
        nia.say("99")  # no such table here: asked again, with the tables there are
        nia.say("30")
        venue.settle()
        assert nia.transcript[3].text == "Please reply with just the table number from the sign (our tables: 1–20, 30)."
        assert "Your prize" in nia.transcript[5].text
        header, *rows = venue.google.rows["Entries"]
        (row,) = [dict(zip(header, row, strict=False)) for row in rows if row[1] == "award"]
        assert row["Table"] == "30"
        (event,) = [r["json"] for r in venue.crm.requests if r["status"] == 200 and r["event"] == "award"]
        assert event["table"] == "30" and event["guest_id"] == nia.guest_id
        totals = venue.store.stats.month_totals(month_of(venue.clock.now(), venue.config.tz))
        assert totals["awards_table_30"] == 1


def test_a_guest_at_a_table_is_heard_until_they_name_one_of_the_venues_tables(tmp_path: Path) -> None:
    with running(tmp_path, per_table=True, tables=["1-20", 30, 31]) as venue:
        ola = Guest(venue, "6170000000000802")
        ola.mention()
        for typed in ("99999", "25", "hm?", "Table 7"):  # asked again twice, then silence, still listening
            ola.say(typed)
    tables = "1–20, 30, 31"
    again = ("venue", re.escape(f"Please reply with just the table number from the sign (our tables: {tables})."), ())
    said = [("guest", re.escape(typed), ()) for typed in ("99999", "25", "hm?", "Table 7")]
    expect(
        ola.transcript,
        [MENTION, TABLE_QUESTION, said[0], again, said[1], again, said[2], said[3], ("venue", PRIZE, ()), IMAGE],
    )
