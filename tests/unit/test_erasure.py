"""Erasing a guest (app/erasure.py) and exporting what is held (app/guest_export.py), with fakes for the table's
scans (the moto tests cover GuestData itself), the bucket, the schedules and the edge; the owner's sinks' side:
the outbox delivery of `guest.erased` and the sheet's blanked rows (the fake Google over HTTP)."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from werkzeug.serving import make_server

from sandbox.fake_google import FakeGoogle
from tagback.adapters.google.sheets import GoogleSheetsSink, guest_rows
from tagback.app.erasure import ErasurePending, VenueErasure, describe, erase_guest, fulfil, request_erasure
from tagback.app.guest_export import guest_export
from tagback.app.owner import OwnerDelivery, deliver_to_owner
from tagback.app.stream import handle_stream_record
from tagback.domain.awards import Award, AwardKey, Coupon
from tagback.domain.clock import ManualClock
from tagback.domain.erasure import GUEST_ERASED, DeletionStatus, ErasureReport, ErasureRequest
from tagback.domain.events import EventKind, InboundEvent, OutboxEvent
from tagback.domain.steps import Step
from tagback.store.awards import award_item
from tagback.store.codec import to_dynamo
from tagback.store.coupons import coupon_item
from tagback.store.erasures import erasure_request_item
from tagback.store.guest_data import ANONYMIZED_KINDS
from tagback.store.inbound import inbound_event_items
from tagback.store.links import link_item
from tagback.store.outbox import outbox_item
from tagback.store.schema import GUEST, ITEM_TYPE, TTL_ATTRIBUTE, guest_key, key
from tests.fakes import InMemoryErasureRequests, InMemoryOutbox

NOW = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=90)
GUEST_ID = "6170000000000042"
OTHER = "6170000000000077"
CODE = "7KQ4-M2XZ-9HJT"
ACCOUNT = "17841400000000001"


def items_of(guest_id: str, *, code: str = CODE, email: str | None = "ana@example.com") -> list[dict[str, Any]]:
    """What the table holds about a guest who won a prize, left an email, got a tracked link and whose events went
    to the owner's sinks: the items as the repositories write them."""
    award = AwardKey(guest_id, "2026-11-20")
    profile = {
        **key(guest_key(guest_id), "PROFILE"),
        ITEM_TYPE: GUEST,
        "guest_id": guest_id,
        "display_name": "Ana Sousa",
        "language": "en",
        TTL_ATTRIBUTE: int(LATER.timestamp()),
    }
    if email:
        profile |= {"email": email, "email_consent_version": "2026-11", "email_consent_at": NOW.isoformat()}
    won = Award(award, "mid.story.1", NOW, NOW, date(2026, 11, 20), prize_id="espresso", prize_name="Free espresso")
    won.coupon_code, won.text_mid = code, "m_1"
    sent = OutboxEvent(f"award-{award.award_id}", "award", NOW, guest_id, display_name="Ana Sousa", email=email)
    return [
        *inbound_event_items(
            [InboundEvent(EventKind.STORY_MENTION, "mid.story.1", guest_id, "17841400000000001", NOW)], NOW, LATER
        ),
        award_item(won, LATER),
        profile,
        coupon_item(Coupon(code, award, "espresso", "Free espresso", NOW, date(2026, 12, 4)), LATER),
        link_item("T" * 22, "https://search.google.com/local/writereview?placeid=x", "google", award, LATER),
        outbox_item(sent, LATER) | {"delivered_google_sheets": NOW.isoformat()},
    ]


class FakeGuestData:
    """The table's items about each guest, as GuestData finds them; `erase` drops them and counts as it does."""

    def __init__(self, *guests: str) -> None:
        self.items = {guest: items_of(guest) for guest in guests}
        self.anonymous_ids: list[str] = []

    def of(self, guest_id: str) -> list[dict[str, Any]]:
        return list(self.items.get(guest_id, []))

    def erase(
        self, items: list[dict[str, Any]], anonymous_id: str, at: datetime
    ) -> tuple[dict[str, int], dict[str, int]]:
        self.anonymous_ids.append(anonymous_id)
        for guest, held in self.items.items():
            self.items[guest] = [i for i in held if i not in items]
        kinds = Counter(str(i[ITEM_TYPE]) for i in items)
        return (
            {k: n for k, n in kinds.items() if k not in ANONYMIZED_KINDS},
            {k: n for k, n in kinds.items() if k in ANONYMIZED_KINDS},
        )


class FakeImages:
    def __init__(self, *codes: str) -> None:
        self.stored = set(codes)

    def erase(self, code: str) -> bool:
        found = code in self.stored
        self.stored.discard(code)
        return found


class FakeSteps:
    def __init__(self, *pending: tuple[Step, AwardKey]) -> None:
        self.pending = set(pending)

    def cancel(self, step: Step, key: AwardKey) -> bool:
        found = (step, key) in self.pending
        self.pending.discard((step, key))
        return found


class EdgeOutcomes(list[tuple[str, str, DeletionStatus]]):
    def __call__(self, edge_table: str, code: str, status: DeletionStatus) -> None:
        self.append((edge_table, code, status))


@pytest.fixture
def venue() -> VenueErasure:
    tokens = iter(f"{n:016x}" for n in range(1, 100))
    followup = (Step.FOLLOW_UP, AwardKey(GUEST_ID, "2026-11-20"))
    return VenueErasure(
        client_id="demo",
        guest_data=FakeGuestData(GUEST_ID, OTHER),
        images=FakeImages(CODE),
        steps=FakeSteps(followup, (Step.FOLLOW_UP, AwardKey(OTHER, "2026-11-20"))),
        outbox=InMemoryOutbox(),
        requests=InMemoryErasureRequests(),
        tell_edge=EdgeOutcomes(),
        clock=ManualClock(NOW),
        retention_days=90,
        token=lambda: next(tokens),
    )


def test_erasing_a_guest_clears_every_place_and_queues_guest_erased_for_the_sinks(venue: VenueErasure) -> None:
    report = erase_guest(GUEST_ID, venue)
    assert report == ErasureReport(
        deleted={"inbound_event": 1, "guest": 1, "link": 1, "outbox": 1},
        anonymized={"award": 1, "coupon": 1},
        coupon_images=1,
        schedules=1,
        owner_event="erasure-0000000000000001",
    )
    assert venue.guest_data.of(GUEST_ID) == []  # type: ignore[attr-defined]
    assert venue.guest_data.of(OTHER)  # type: ignore[attr-defined]  # another guest untouched
    assert venue.steps.pending == {(Step.FOLLOW_UP, AwardKey(OTHER, "2026-11-20"))}  # type: ignore[attr-defined]
    # The sinks' event names the guest and the contact they match on; its id and the anonymous id lead to no one.
    (event,) = venue.outbox.events.values()  # type: ignore[attr-defined]
    assert (event.event_type, event.guest_id, event.email) == (GUEST_ERASED, GUEST_ID, "ana@example.com")
    assert venue.guest_data.anonymous_ids == ["erased-0000000000000002"]  # type: ignore[attr-defined]
    assert GUEST_ID not in event.event_id


def test_erasing_again_or_an_unknown_guest_finds_nothing_held(venue: VenueErasure) -> None:
    erase_guest(GUEST_ID, venue)
    for guest in (GUEST_ID, "6170000000000999"):
        report = erase_guest(guest, venue)
        assert report == ErasureReport() and not report.held
    assert len(venue.outbox.events) == 1  # type: ignore[attr-defined]  # nothing more for the sinks


def test_the_report_reads_as_one_line_per_place(venue: VenueErasure) -> None:
    lines = describe(erase_guest(GUEST_ID, venue))
    assert lines[0] == "table: deleted guest 1, inbound_event 1, link 1, outbox 1; kept anonymous award 1, coupon 1"
    assert lines[1:3] == ["coupon images: 1 deleted", "schedules: 1 deleted"]
    assert "guest.erased queued (erasure-0000000000000001)" in lines[3]
    assert GUEST_ID not in "\n".join(lines)


def meta_request(code: str = "c0ffee00c0ffee00c0ff", guest_id: str = GUEST_ID) -> ErasureRequest:
    return ErasureRequest(code=code, guest_id=guest_id, requested_at=NOW, edge_table="tagback-edge")


def test_a_request_from_the_edge_is_fulfilled_reported_and_kept_without_the_guest(venue: VenueErasure) -> None:
    request = meta_request()
    venue.requests.add(request)
    report = fulfil(request, venue)
    assert report is not None and report.held
    assert venue.tell_edge == [("tagback-edge", request.code, DeletionStatus.DONE)]
    kept = venue.requests.get(request.code)
    assert kept is not None and kept.guest_id is None and kept.report == report
    # The stream redelivers the record, or the dead-letter queue replays it: nothing happens twice.
    assert fulfil(request, venue) is None
    assert len(venue.tell_edge) == 1  # type: ignore[arg-type]


def test_a_request_for_a_guest_the_venue_never_saw_reports_nothing_held(venue: VenueErasure) -> None:
    request = meta_request(guest_id="6170000000000999")
    venue.requests.add(request)
    assert fulfil(request, venue) == ErasureReport()
    assert venue.tell_edge == [("tagback-edge", request.code, DeletionStatus.NOTHING_HELD)]


def test_a_retry_after_a_failure_half_way_still_reports_done(venue: VenueErasure) -> None:
    request = meta_request()
    venue.requests.add(request)
    venue.requests.mark_held(request.code)  # the first attempt found the guest, erased them, then failed
    venue.guest_data.items[GUEST_ID] = []  # type: ignore[attr-defined]
    fulfil(request, venue)
    assert venue.tell_edge == [("tagback-edge", request.code, DeletionStatus.DONE)]


def test_a_failure_half_way_leaves_the_table_for_the_retry_to_finish(venue: VenueErasure) -> None:
    class S3Down(FakeImages):
        def erase(self, code: str) -> bool:
            raise ConnectionError("S3 is not answering")

    request = meta_request()
    venue.requests.add(request)
    with pytest.raises(ConnectionError):
        fulfil(request, dataclasses.replace(venue, images=S3Down(CODE)))
    assert venue.guest_data.of(GUEST_ID)  # type: ignore[attr-defined]  # the items that name the image are kept
    report = fulfil(request, venue)  # the stream retries the record
    assert report is not None and report.coupon_images == 1 and report.anonymized == {"award": 1, "coupon": 1}
    assert venue.tell_edge == [("tagback-edge", request.code, DeletionStatus.DONE)]


def test_an_operators_request_tells_no_edge_and_returns_the_report_once_fulfilled(venue: VenueErasure) -> None:
    class FulfilledByTheStream(InMemoryErasureRequests):
        def add(self, request: ErasureRequest) -> bool:
            added = super().add(request)
            fulfil(request, dataclasses.replace(venue, requests=self))  # what the prize function does with the INSERT
            return added

    requests = FulfilledByTheStream()
    report = request_erasure(GUEST_ID, requests, venue.clock, sleep=lambda _: None)
    assert report.held and report.anonymized == {"award": 1, "coupon": 1}
    assert venue.tell_edge == []
    (kept,) = requests.by_code.values()
    assert kept.code.startswith("operator-") and kept.guest_id is None and kept.report == report


def test_an_operators_request_not_fulfilled_in_time_says_so(venue: VenueErasure) -> None:
    slept: list[float] = []
    with pytest.raises(ErasurePending, match=r"erasure request operator-\w+ is not fulfilled after 1 s"):
        request_erasure(GUEST_ID, InMemoryErasureRequests(), venue.clock, wait_seconds=1, sleep=slept.append)
    assert sum(slept) == 1


def test_the_stream_brings_an_erasure_requests_insert_to_the_erasure(venue: VenueErasure) -> None:
    request = meta_request()
    venue.requests.add(request)
    image = to_dynamo(erasure_request_item(request))
    record = DynamoDBRecord({"eventName": "INSERT", "dynamodb": {"NewImage": image, "SequenceNumber": "1"}})
    handle_stream_record(record, not_needed, lambda: venue)
    assert venue.tell_edge == [("tagback-edge", request.code, DeletionStatus.DONE)]


def not_needed() -> Any:
    raise AssertionError("an erasure request does not need the engine")


# -- the owner's sinks -----------------------------------------------------------------------------------------------
class RecordingSink:
    name = "webhook"

    def __init__(self) -> None:
        self.delivered: list[OutboxEvent] = []

    def deliver(self, event: OutboxEvent) -> None:
        self.delivered.append(event)


class NoDeadLetters:
    def send(self, message: dict[str, Any]) -> None:
        raise AssertionError(f"nothing is refused here: {message}")


def test_guest_erased_keeps_the_guest_only_until_every_sink_has_it() -> None:
    outbox, sink = InMemoryOutbox(), RecordingSink()
    erased = OutboxEvent("erasure-1", GUEST_ERASED, NOW, GUEST_ID, email="ana@example.com")
    outbox.add(erased, LATER)
    deliver_to_owner(erased, OwnerDelivery("demo", [sink], outbox, ManualClock(NOW), NoDeadLetters()))
    assert sink.delivered == [erased]
    kept = outbox.get("erasure-1")
    assert kept is not None and "guest_id" not in kept and "email" not in kept and "delivered_webhook" in kept


def test_an_event_whose_guest_was_erased_meanwhile_goes_to_no_sink() -> None:
    outbox, sink = InMemoryOutbox(), RecordingSink()  # its item is gone: the erasure deleted it
    award = OutboxEvent("award-x", "award", NOW, GUEST_ID, display_name="Ana Sousa")
    deliver_to_owner(award, OwnerDelivery("demo", [sink], outbox, ManualClock(NOW), NoDeadLetters()))
    assert sink.delivered == []


def test_an_event_whose_guest_is_erased_while_its_sinks_are_called_goes_to_no_more_of_them() -> None:
    outbox = InMemoryOutbox()
    award = OutboxEvent("award-x", "award", NOW, GUEST_ID, display_name="Ana Sousa")
    outbox.add(award, LATER)

    class ErasedMeanwhile(RecordingSink):
        name = "google_sheets"

        def deliver(self, event: OutboxEvent) -> None:
            super().deliver(event)
            del outbox._items[event.event_id]  # the erasure deletes the guest's outbox items

    first, second = ErasedMeanwhile(), RecordingSink()
    deliver_to_owner(award, OwnerDelivery("demo", [first, second], outbox, ManualClock(NOW), NoDeadLetters()))
    assert (first.delivered, second.delivered) == ([award], [])
    assert outbox.get("award-x") is None  # not recreated by the mark: it would never expire


def sheet_rows(guest: str, other: str) -> list[list[str]]:
    return [
        ["Row ID", "Event", "Date and time", "Display name", "Prize", "Coupon code", "Language", "Email", "Phone"],
        [f"award-{guest}_2026-11-20", "award", "2026-11-20 21:30", "Ana Sousa", "Free espresso", CODE, "en", "", ""],
        [f"award-{other}_2026-11-20", "award", "2026-11-20 21:40", "Ana Sousa", "Free espresso", "AAAA", "en"],
        [f"contact-{guest}-email-1763674200", "contact", "2026-11-20 21:31", "Ana Sousa", "", "", "en", "'Ana@x.io"],
        [f"award-{guest}1_2026-11-20", "award", "2026-11-20 21:50", "Bo", "Free espresso", "BBBB", "en"],
        [],  # a row blanked before
        [f"redemption-{CODE}", "redemption", "2026-11-21 10:00", "", "Free espresso", CODE],
        ["contact-9-email-1", "contact", "2026-11-21 10:00", "Cy", "", "", "en", "", "+351912345678"],
        [f"answer-{guest}_2026-11-20-meal", "answer", "2026-11-20 21:32", "Ana Sousa", *[""] * 9, "meal", "lunch"],
    ]


def test_the_guests_rows_are_found_by_row_id_contact_and_coupon_never_by_name() -> None:
    erased = OutboxEvent("erasure-1", GUEST_ERASED, NOW, GUEST_ID, email="ana@x.io", phone="+351912345678")
    # Theirs: the award, the contact (email in any case, kept as text), the redemption of their coupon, the row
    # holding their phone, and their answer to the venue's question. Not: the other Ana Sousa, nor the guest whose id
    # begins with theirs.
    assert guest_rows(sheet_rows(GUEST_ID, OTHER), erased) == [2, 4, 7, 8, 9]


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle("1TestSheetId0123456789abcdef")
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.port}"
    yield fake
    server.shutdown()


def test_the_sheet_blanks_the_guests_rows_and_later_rows_follow_the_last_one(google: FakeGoogle) -> None:
    sink = GoogleSheetsSink(
        spreadsheet_id=google.spreadsheet_id,
        sheet="Entries",
        service_account=google.service_account(),
        tz=ZoneInfo("Europe/Lisbon"),
        base_url=google.url,
    )
    sink.deliver(OutboxEvent(f"award-{OTHER}_2026-11-20", "award", NOW, OTHER, display_name="Ben"))
    sink.deliver(
        OutboxEvent(f"award-{GUEST_ID}_2026-11-20", "award", NOW, GUEST_ID, display_name="Ana", email="a@x.io")
    )
    erased = OutboxEvent("erasure-1", GUEST_ERASED, NOW, GUEST_ID, email="a@x.io")
    sink.deliver(erased)
    sink.deliver(erased)  # a retry: nothing left to clear
    assert [row[:1] for row in google.rows["Entries"]] == [["Row ID"], [f"award-{OTHER}_2026-11-20"], []]
    sink.deliver(OutboxEvent("award-3_2026-11-21", "award", NOW, "3", display_name="Cy"))
    assert [row[:1] for row in google.rows["Entries"]][2:] == [["award-3_2026-11-21"], []]  # after the table's end


# -- the export (Art. 15) --------------------------------------------------------------------------------------------
def test_the_export_holds_everything_by_kind_with_consents_and_deliveries() -> None:
    held = guest_export(GUEST_ID, FakeGuestData(GUEST_ID), client_id="demo", now=NOW)
    assert held is not None
    assert (held["client_id"], held["guest_id"], held["exported_at"]) == ("demo", GUEST_ID, NOW.isoformat())
    assert held["profile"]["display_name"] == "Ana Sousa" and "PK" not in held["profile"]
    assert held["profile"]["kept_until"] == LATER.isoformat()
    assert held["contacts"] == [
        {"channel": "email", "value": "ana@example.com", "consent_version": "2026-11", "consent_at": NOW.isoformat()}
    ]
    assert [len(held[s]) for s in ("awards", "coupons", "inbound_events", "links")] == [1, 1, 1, 1]
    assert held["awards"][0]["coupon_code"] == CODE and held["links"][0]["platform"] == "google"
    (sent,) = held["outbox_events"]
    assert sent["delivered"] == {"google_sheets": NOW.isoformat()} and "delivered_google_sheets" not in sent
    assert held["other"] == []


def test_the_export_of_a_guest_held_nowhere_is_none() -> None:
    assert guest_export("6170000000000999", FakeGuestData(GUEST_ID), client_id="demo", now=NOW) is None
