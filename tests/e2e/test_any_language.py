"""Any language: a Dutch venue whose client file gives the whole Dutch catalog (tests/fixtures/clients/tulp.yaml),
played in the sandbox beside the demo venue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.store.schema import guest_key
from tests.conftest import ROOT
from tests.e2e.test_chat_transcript import CODE, expect

pytestmark = pytest.mark.e2e
DUTCH_VENUE = ROOT / "tests" / "fixtures" / "clients" / "tulp.yaml"
# How Dutch writes the months short (CLDR), written out here so the test does not ask Babel what Babel says.
DUTCH_MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0, more_config_paths=(DUTCH_VENUE,))) as sandbox:
        yield sandbox


def test_a_guest_of_a_dutch_venue_types_nederlands_and_gets_the_prize_in_dutch_with_the_dutch_date(
    sandbox: Sandbox,
) -> None:
    femke = Guest(sandbox, "6170000000000761", client_id="tulp")
    femke.mention()
    femke.say("nederlands")
    femke.say("Hoe werkt dit?")
    award = next(
        item
        for item in sandbox.venue("tulp").store.table.items_under(guest_key(femke.guest_id))
        if item["item_type"] == "award"
    )
    until = date.fromisoformat(award["valid_until"])
    expect(
        femke.transcript,
        [
            ("guest", re.escape("(posts a story that @mentions the venue)"), ()),
            (
                "venue",
                re.escape(
                    "Hoi van Café De Tulp! In welke taal wil je verder?\n\n"
                    "(Dit is de automatische assistent van Café De Tulp.)"
                ),
                ("Nederlands", "English"),
            ),
            ("guest", "nederlands", ()),
            (
                "venue",
                r"Bedankt dat je Café De Tulp in je story deelt! 🎉 Je prijs: (Gratis koffie|Gratis appeltaart)\. "
                rf"Laat deze code aan ons team zien: {CODE} "
                + re.escape(f"(geldig tot {until.day} {DUTCH_MONTHS[until.month - 1]} {until.year})."),
                (),
            ),
            ("venue", "[image]", ()),
            ("guest", re.escape("Hoe werkt dit?"), ()),
            (
                "venue",
                re.escape(  # she has today's prize: the client file's fallback_after_prize
                    "Bedankt voor je bericht! Deze chat gaat alleen over story-prijzen; voor al het andere kun je het "
                    "ons team bij Café De Tulp vragen."
                ),
                (),
            ),
        ],
    )
