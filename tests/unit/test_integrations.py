"""The owner's sinks over real HTTP, against the fake Google (OAuth + Sheets) and CRM servers on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server

from sandbox.fake_google import FakeCrm, FakeGoogle, Formula
from tagback.adapters.crm import CrmWebhookSink, webhook_signature
from tagback.adapters.google.sheets import HEADER, GoogleSheetsSink
from tagback.app.owner import deliver
from tagback.domain.events import OutboxEvent, Sink, SinkRefused, SinkUnavailable
from tagback.domain.retention import Purged
from tests.fakes import InMemoryStore

SHEET_ID = "1TestSheetId0123456789abcdef"
LISBON = ZoneInfo("Europe/Lisbon")
AT = datetime(2026, 7, 1, 11, 30, tzinfo=UTC)  # 12:30 in Lisbon (summer time)
LATER = AT + timedelta(days=90)


def served(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle(SHEET_ID)
    for url in served(fake):
        fake.url = url
        yield fake


@pytest.fixture
def crm() -> Iterator[tuple[FakeCrm, str]]:
    fake = FakeCrm("crm-secret")
    for url in served(fake):
        yield fake, f"{url}/hooks"


def sheet(google: FakeGoogle, **kwargs: Any) -> GoogleSheetsSink:
    options: dict[str, Any] = {
        "spreadsheet_id": SHEET_ID,
        "sheet": "Entries",
        "service_account": google.service_account(),
        "tz": LISBON,
        "base_url": google.url,
    } | kwargs
    return GoogleSheetsSink(**options)


def award(event_id: str = "award-1", name: str | None = "Ana Sousa") -> OutboxEvent:
    return OutboxEvent(
        event_id,
        "award",
        AT,
        "6170001",
        display_name=name,
        prize="Free espresso",
        coupon_code="7KQ4-M2XZ-9HJT",
        language="en",
    )


def test_the_first_row_brings_the_header_and_times_are_local(google: FakeGoogle) -> None:
    sink = sheet(google)
    sink.deliver(award("award-1"))
    sink.deliver(award("award-2", name="Ben Krüger"))
    rows = google.rows["Entries"]
    assert rows[0] == HEADER
    assert rows[1] == [
        "award-1",
        "award",
        "2026-07-01 12:30",
        "Ana Sousa",
        "Free espresso",
        "7KQ4-M2XZ-9HJT",
        "en",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]
    assert [r[3] for r in rows[1:]] == ["Ana Sousa", "Ben Krüger"]  # names, never @handles
    assert len(google.tokens) == 1  # one OAuth token (service-account JWT, verified by the fake) for both


def test_text_that_looks_like_a_formula_is_kept_as_text(google: FakeGoogle) -> None:
    sheet(google).deliver(award(name='=HYPERLINK("http://evil")'))
    cell = google.rows["Entries"][1][3]
    assert cell == '\'=HYPERLINK("http://evil")' and not isinstance(cell, Formula)


def test_values_go_in_raw_so_google_parses_nothing(google: FakeGoogle) -> None:
    """USER_ENTERED would drop a leading quote (and make "0042" a number, "1/2" a date): RAW keeps the text."""
    sink = sheet(google)
    sink.deliver(award("award-1", name="'Nana'"))
    sink.deliver(award("award-2", name="0042"))
    assert [row[3] for row in google.rows["Entries"][1:]] == ["'Nana'", "0042"]


# -- purging the rows past retention ----------------------------------------------------------------------------
def owners_sheet(google: FakeGoogle, dates: list[str]) -> GoogleSheetsSink:
    """The sheet with its header and a row dated by each of `dates` (its Row ID says which)."""
    sink = sheet(google)
    for number, day in enumerate(dates):
        sink.deliver(replace(award(f"row-{number}-{day[:10]}"), occurred_at=datetime.fromisoformat(day)))
    return sink


def row_ids(google: FakeGoogle, sheet_name: str = "Entries") -> list[str]:
    return [row[0] for row in google.rows[sheet_name]]


def test_rows_dated_before_the_cutoff_are_deleted_and_the_rest_kept(google: FakeGoogle) -> None:
    sink = owners_sheet(
        google,
        [
            "2026-01-10T10:00:00+00:00",
            "2026-01-11T10:00:00+00:00",
            "2026-04-02T22:59:00+00:00",  # 2026-04-02 23:59 in Lisbon: the last day before the cutoff
            "2026-05-01T10:00:00+00:00",
            "2026-01-12T10:00:00+00:00",  # a late delivery of an old event, below a newer row
            "2026-04-02T23:00:00+00:00",  # 2026-04-03 00:00 in Lisbon: the cutoff day is kept
        ],
    )
    google.rows["Entries"].append(["", "", "the owner's note, no date"])
    assert sink.purge_before(date(2026, 4, 3)) == Purged(deleted=4, kept=2)
    assert row_ids(google) == ["Row ID", "row-3-2026-05-01", "row-5-2026-04-02", ""]


def test_a_purge_deletes_from_the_configured_sheet_only(google: FakeGoogle) -> None:
    owners_sheet(google, ["2026-01-10T10:00:00+00:00"])
    other = sheet(google, sheet="Notes")
    other.deliver(award("note-1"))
    assert sheet(google, sheet="Notes").purge_before(date(2026, 8, 1)) == Purged(deleted=1, kept=0)
    assert row_ids(google, "Notes") == ["Row ID"] and row_ids(google) == ["Row ID", "row-0-2026-01-10"]


def test_nothing_past_retention_changes_nothing(google: FakeGoogle) -> None:
    sink = owners_sheet(google, ["2026-05-01T10:00:00+00:00"])
    google.fail_next("503")  # the purge makes one call only: the read
    with pytest.raises(SinkUnavailable):
        sink.purge_before(date(2026, 4, 3))
    assert sink.purge_before(date(2026, 4, 3)) == Purged(deleted=0, kept=1)
    assert row_ids(google) == ["Row ID", "row-0-2026-05-01"]


def test_a_sheet_gone_before_its_rows_are_deleted_is_refused_with_what_to_fix(google: FakeGoogle) -> None:
    owners_sheet(google, ["2026-01-10T10:00:00+00:00"])
    del google.sheet_ids["Entries"]  # the spreadsheet no longer lists it (renamed by the owner) after the read
    with pytest.raises(SinkRefused, match="no sheet named 'Entries'") as refused:
        sheet(google).purge_before(date(2026, 4, 3))
    assert "integrations.google_sheets.spreadsheet_id and .sheet ('Entries')" in refused.value.fix
    assert len(google.rows["Entries"]) == 2


def test_the_fake_applies_a_batch_update_all_or_nothing(google: FakeGoogle) -> None:
    owners_sheet(google, ["2026-01-10T10:00:00+00:00", "2026-01-11T10:00:00+00:00"])
    sheet_id = google.sheet_ids["Entries"]
    deletion = {
        "deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}
    }
    unknown_sheet = {"deleteDimension": {"range": {"sheetId": 7, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}}
    with pytest.raises(SinkRefused, match="No grid with id: 7"):
        sheet(google)._call(
            "POST", f"{google.url}/v4/spreadsheets/{SHEET_ID}:batchUpdate", json={"requests": [deletion, unknown_sheet]}
        )
    assert len(google.rows["Entries"]) == 3


@pytest.mark.parametrize("fault", ["503", "429"])
def test_unavailable_and_throttled_are_transient(google: FakeGoogle, fault: str) -> None:
    google.fail_next(fault)
    with pytest.raises(SinkUnavailable):
        sheet(google).deliver(award())
    assert "Entries" not in google.rows


@pytest.mark.parametrize("fault", ["403", "404"])
def test_no_access_or_no_sheet_is_refused_with_what_to_fix(google: FakeGoogle, fault: str) -> None:
    google.fail_next(fault)
    with pytest.raises(SinkRefused) as refused:
        sheet(google).deliver(award())
    assert (
        "share the spreadsheet 1TestSheetId0123456789abcdef with tagback@tagback-sandbox.iam.gserviceaccount.com"
        in refused.value.fix
    )


def test_a_wrong_spreadsheet_id_is_refused(google: FakeGoogle) -> None:
    with pytest.raises(SinkRefused, match="HTTP 404"):
        sheet(google, spreadsheet_id="1NotTheSheet0123456789abcdef").deliver(award())


def test_a_key_google_does_not_accept_is_refused(google: FakeGoogle) -> None:
    other = FakeGoogle(SHEET_ID)  # another key pair: its signatures do not verify against this fake
    other.url = google.url
    with pytest.raises(SinkRefused, match="cannot sign in"):
        sheet(google, service_account=other.service_account()).deliver(award())


def contact(event_id: str = "contact-1") -> OutboxEvent:
    return OutboxEvent(
        event_id,
        "contact",
        AT,
        "6170001",
        display_name="Ana Sousa",
        language="pt",
        email="ana@example.com",
        channel="email",
        consent_version="2026-11",
        consent_at=AT,
    )


def test_a_contact_row_carries_its_consent_in_the_last_columns(google: FakeGoogle) -> None:
    sink = sheet(google)
    sink.deliver(award("award-1"))
    sink.deliver(contact())
    header, _, row = google.rows["Entries"]
    assert header[:9] == [
        "Row ID",
        "Event",
        "Date and time",
        "Display name",
        "Prize",
        "Coupon code",
        "Language",
        "Email",
        "Phone",
    ]  # the columns existing sheets have, where they were
    consent = dict(zip(header, row, strict=True))
    assert (consent["Email"], consent["Language"]) == ("ana@example.com", "pt")
    assert (consent["Consent channel"], consent["Consent version"]) == ("email", "2026-11")
    assert consent["Consent time"] == "2026-07-01T12:30:00+01:00"  # to the second, with the venue's offset


def test_the_crm_gets_signed_json_with_a_delivery_id(crm: tuple[FakeCrm, str]) -> None:
    fake, url = crm
    CrmWebhookSink(url=url, secret="crm-secret", client_id="demo").deliver(contact())
    (received,) = fake.requests
    assert received["signature_valid"] and received["delivery"] == "contact-1" and received["event"] == "contact"
    assert received["json"] == {
        "client_id": "demo",
        "event_id": "contact-1",
        "event_type": "contact",
        "occurred_at": "2026-07-01T11:30:00+00:00",
        "guest_id": "6170001",
        "display_name": "Ana Sousa",
        "prize": None,
        "coupon_code": None,
        "language": "pt",
        "email": "ana@example.com",
        "phone": None,
        "channel": "email",
        "consent_version": "2026-11",
        "consent_at": "2026-07-01T11:30:00+00:00",
        "table": None,
        "question": None,
        "answer": None,
    }
    body = json.dumps(received["json"], ensure_ascii=False, separators=(",", ":")).encode()
    assert webhook_signature(body, "crm-secret") != webhook_signature(body, "another-secret")


def test_a_per_table_award_brings_its_table_to_the_sheet_and_the_crm(
    google: FakeGoogle, crm: tuple[FakeCrm, str]
) -> None:
    fake, url = crm
    at_table = replace(award("award-7"), table="12")
    sheet(google).deliver(at_table)
    CrmWebhookSink(url=url, secret="crm-secret", client_id="demo").deliver(at_table)
    header, row = google.rows["Entries"]
    assert dict(zip(header, row, strict=True))["Table"] == "12"
    (received,) = fake.requests
    assert received["json"]["table"] == "12"


def test_an_answer_brings_its_question_and_answer_to_the_sheet_and_the_crm(
    google: FakeGoogle, crm: tuple[FakeCrm, str]
) -> None:
    fake, url = crm
    answer = OutboxEvent("answer-6170001_2026-07-01-meal", "answer", AT, "6170001", question="meal", answer="lunch")
    sheet(google).deliver(answer)
    CrmWebhookSink(url=url, secret="crm-secret", client_id="demo").deliver(answer)
    header, row = google.rows["Entries"]
    assert header[-2:] == ["Question", "Answer"] and row[1] == "answer" and row[-2:] == ["meal", "lunch"]
    (received,) = fake.requests
    assert received["event"] == "answer"
    assert (received["json"]["question"], received["json"]["answer"]) == ("meal", "lunch")


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, SinkUnavailable), (503, SinkUnavailable), (429, SinkUnavailable), (400, SinkRefused), (404, SinkRefused)],
)
def test_crm_errors_are_transient_or_refused(crm: tuple[FakeCrm, str], status: int, error: type[Exception]) -> None:
    fake, url = crm
    fake.fail_next(status)
    with pytest.raises(error):
        CrmWebhookSink(url=url, secret="crm-secret", client_id="demo").deliver(award())


def test_a_redelivered_event_adds_no_second_row_or_delivery(google: FakeGoogle, crm: tuple[FakeCrm, str]) -> None:
    fake, url = crm
    store = InMemoryStore()
    sinks: list[Sink] = [sheet(google), CrmWebhookSink(url=url, secret="crm-secret", client_id="demo")]
    store.outbox.add(award(), LATER)
    fake.fail_next(503)  # the sheet works, the CRM is down
    with pytest.raises(SinkUnavailable):
        deliver(award(), sinks, store.outbox, AT)
    assert store.outbox.delivered("award-1") == {"google_sheets"}
    for _ in range(3):  # the stream's retries, and a redelivery
        assert deliver(award(), sinks, store.outbox, AT) == []
    assert len(google.rows["Entries"]) == 2  # header + one row
    assert [r["delivery"] for r in fake.requests if r["status"] == 200] == ["award-1"]


def test_a_refused_sink_does_not_stop_the_others(google: FakeGoogle, crm: tuple[FakeCrm, str]) -> None:
    _, url = crm
    store = InMemoryStore()
    store.outbox.add(award(), LATER)
    google.fail_next("403")
    refused = deliver(
        award(), [sheet(google), CrmWebhookSink(url=url, secret="crm-secret", client_id="demo")], store.outbox, AT
    )
    assert [e.sink for e in refused] == ["google_sheets"]
    assert store.outbox.delivered("award-1") == {"webhook"}


def test_the_places_api_gives_rating_and_review_count_with_a_key(google: FakeGoogle) -> None:
    from tagback.adapters.google.places import google_rating  # noqa: PLC0415

    assert google_rating("ChIJplace", google.places_key, google.url) == {"rating": "4.5", "rating_count": 203}
    assert google_rating("ChIJplace", "wrong-key", google.url) == {}  # a refused key: not available, not 0
