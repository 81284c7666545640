"""A guest's erasure and export against the moto server: the table's scans, the anonymizing transaction, the coupon
image in S3, the schedules by name; the erasure requests (against the in-memory fake too); and the edge's side —
the venues listed, the quarantine erased, the data deletion requests each venue reports to."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tagback.adapters.phones import valid_phone
from tagback.adapters.s3_coupons import S3CouponImages
from tagback.adapters.scheduler import EventBridgeSteps
from tagback.app.erasure import VenueErasure, erase_guest
from tagback.app.guest_export import guest_export
from tagback.config.model import ClientConfig
from tagback.conversation.engine import Engine
from tagback.domain.awards import AwardKey, WaitingForToken
from tagback.domain.clock import ManualClock
from tagback.domain.erasure import GUEST_ERASED, DataDeletion, DeletionStatus, ErasureReport, ErasureRequest
from tagback.domain.events import EventKind, InboundEvent, OutboxEvent
from tagback.store.registry import DataDeletions, Quarantine, Registry
from tagback.store.repositories import Repositories
from tagback.store.schema import key
from tagback.store.table import Table
from tests.conftest import DEMO_ACCOUNT, registration
from tests.fakes import FakeMessenger, InMemoryErasureRequests, InMemoryQuarantine, InMemoryRegistry, Secrets
from tests.integration.conftest import REGION, client

pytestmark = pytest.mark.integration
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LATER = NOON + timedelta(days=90)
GUEST, OTHER = "6170000000000042", "6170000000000077"
NAME, EMAIL = "Ana Sousa", "Ana.Sousa@example.com"


@pytest.fixture
def venue(moto_endpoint: str, table: str, english_only: ClientConfig) -> dict[str, Any]:
    """The demo venue on moto after two guests won a prize (the engine's own writes: award, coupon and its image, the
    follow-up schedule, the owner's event), the first also leaving an email, getting a tracked link and a message
    waiting for the token."""
    s3, scheduler = client("s3", moto_endpoint), client("scheduler", moto_endpoint)
    bucket = f"coupons-{table}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    scheduler.create_schedule_group(Name=table)
    store = Repositories.on(table, client=client("dynamodb", moto_endpoint))
    steps = EventBridgeSteps(
        group=table,
        target_arn="arn:aws:lambda:eu-west-1:123456789012:function:tagback-followup",
        role_arn="arn:aws:iam::123456789012:role/scheduler",
        dead_letter_arn="arn:aws:sqs:eu-west-1:123456789012:dlq",
        client=scheduler,
    )
    images = S3CouponImages(bucket, english_only, client=s3)
    messenger = FakeMessenger()
    engine = Engine(
        english_only,
        store,
        messenger,
        images,
        steps,
        ManualClock(NOON + timedelta(seconds=1)),
        random.Random(1),
        Secrets({english_only.secrets.coupon_signing_key: "k"}),
        link_prefix="https://edge.example/l/demo",
        valid_phone=valid_phone,
    )
    for guest in (GUEST, OTHER):
        mentioned = InboundEvent(EventKind.STORY_MENTION, f"mid.{guest}", guest, DEMO_ACCOUNT, NOON)
        store.inbound.add([mentioned], NOON, LATER)  # as the edge's webhook stores it
        engine.handle(mentioned)
    award = AwardKey(GUEST, "2026-11-20")
    store.guests.update(
        GUEST, LATER, display_name=NAME, email=EMAIL, email_consent_version="2026-11", email_consent_at=NOON
    )
    store.links.create("T" * 22, "https://search.google.com/local/writereview?placeid=x", "google", award, LATER)
    store.outbox.add(OutboxEvent(f"contact-{GUEST}-email-1", "contact", NOON, GUEST, NAME, email=EMAIL), LATER)
    store.outbox.mark_delivered(f"contact-{GUEST}-email-1", "webhook", NOON)
    store.awards.wait_for_token(WaitingForToken(award, "followup", NOON), LATER)
    erasure = VenueErasure(
        client_id="demo",
        guest_data=store.guest_data,
        images=images,
        steps=steps,
        outbox=store.outbox,
        requests=store.erasures,
        tell_edge=lambda *_: None,
        clock=ManualClock(NOON + timedelta(days=1)),
        retention_days=90,
    )
    return {"store": store, "s3": s3, "bucket": bucket, "scheduler": scheduler, "group": table, "erasure": erasure}


def everything(store: Repositories) -> str:
    """Every item of the table, as text."""
    return json.dumps(store.table.scan(), ensure_ascii=False)


def test_the_guests_items_are_found_in_their_partition_and_wherever_they_are_named(venue: dict[str, Any]) -> None:
    kinds = sorted(item["item_type"] for item in venue["store"].guest_data.of(GUEST))
    assert kinds == [
        "award",
        "coupon",
        "guest",
        "inbound_event",
        "link",
        "outbox",  # the award's event
        "outbox",  # the contact's
        "waiting_for_token",
    ]
    assert all(item.get("guest_id") in (GUEST, None) for item in venue["store"].guest_data.of(GUEST))


def test_a_contact_leads_to_its_guest_in_any_case(venue: dict[str, Any]) -> None:
    data = venue["store"].guest_data
    assert data.guests_with_contact(email="ana.sousa@EXAMPLE.com") == [GUEST]
    assert data.guests_with_contact(email="nobody@example.com") == []
    assert data.guests_with_contact(phone="+351912345678") == []


def test_erasing_leaves_no_trace_of_the_guest_and_keeps_the_months_figures(venue: dict[str, Any]) -> None:
    store: Repositories = venue["store"]
    code = store.awards.get(AwardKey(GUEST, "2026-11-20")).coupon_code  # type: ignore[union-attr]
    month = store.stats.month_totals("2026-11")
    report = erase_guest(GUEST, venue["erasure"])
    assert report.deleted == {"guest": 1, "inbound_event": 1, "link": 1, "outbox": 2, "waiting_for_token": 1}
    assert report.anonymized == {"award": 1, "coupon": 1} and report.coupon_images == 1 and report.schedules == 1
    # Only the sinks' guest.erased event still names them, until every sink has it.
    (notice,) = [i for i in store.table.scan() if GUEST in json.dumps(i)]
    assert notice["event_type"] == GUEST_ERASED and notice["email"] == EMAIL
    store.outbox.forget_guest(notice["event_id"])
    text = everything(store)
    assert GUEST not in text and NAME not in text and EMAIL not in text
    assert OTHER in text  # the other guest is untouched
    assert store.stats.month_totals("2026-11") == month
    anonymous = [i for i in store.table.items_of_type("award") if i["guest_id"] != OTHER]
    (award,) = anonymous
    assert award["guest_id"].startswith("erased-") and award["PK"] == f"GUEST#{award['guest_id']}"
    assert award["coupon_code"] == code and not {"mention_mid", "text_mid", "image_mid"} & set(award)
    coupon = store.coupons.get(code)
    assert coupon is not None and coupon["guest_id"] == award["guest_id"]  # still redeemable, by no one's id
    objects = venue["s3"].list_objects_v2(Bucket=venue["bucket"]).get("Contents", [])
    keys = [o["Key"] for o in objects]
    assert keys != [] and not any(key.endswith(f"/{code}.png") for key in keys)  # the other guest's image stays
    names = [s["Name"] for s in venue["scheduler"].list_schedules(GroupName=venue["group"])["Schedules"]]
    assert names == [f"followup-{OTHER}_2026-11-20"]
    assert erase_guest(GUEST, venue["erasure"]) == ErasureReport()  # again: nothing held


def test_the_export_holds_what_the_table_holds(venue: dict[str, Any]) -> None:
    held = guest_export(GUEST, venue["store"].guest_data, client_id="demo", now=NOON)
    assert held is not None
    assert held["contacts"][0]["value"] == EMAIL and held["profile"]["display_name"] == NAME
    delivered = {e["event_id"]: e["delivered"] for e in held["outbox_events"]}
    assert delivered[f"contact-{GUEST}-email-1"] == {"webhook": NOON.isoformat()}
    assert [o["item_type"] for o in held["other"]] == ["waiting_for_token"]


# -- erasure requests: the DynamoDB repository and the in-memory fake ------------------------------------------------
@pytest.fixture(params=["dynamodb", "in_memory"])
def requests(request: pytest.FixtureRequest) -> Any:
    if request.param == "in_memory":
        return InMemoryErasureRequests()
    endpoint, table = request.getfixturevalue("moto_endpoint"), request.getfixturevalue("table")
    return Repositories.on(table, client=client("dynamodb", endpoint)).erasures


def test_an_erasure_request_is_added_once_and_kept_without_the_guest_once_fulfilled(requests: Any) -> None:
    asked = ErasureRequest(code="c1", guest_id=GUEST, requested_at=NOON, edge_table="tagback-edge")
    assert requests.add(asked) and not requests.add(asked)
    assert requests.get("c1") == asked and requests.get("c2") is None
    requests.mark_held("c1")
    report = ErasureReport({"guest": 1}, {"award": 1}, 1, 2, "erasure-1")
    requests.finish("c1", report, NOON)
    assert requests.get("c1") == ErasureRequest("c1", None, NOON, "tagback-edge", held=True, report=report)


# -- the edge --------------------------------------------------------------------------------------------------------
@pytest.fixture(params=["dynamodb", "in_memory"])
def edge(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    if request.param == "in_memory":
        return InMemoryRegistry(), InMemoryQuarantine()
    endpoint, name = request.getfixturevalue("moto_endpoint"), request.getfixturevalue("edge_table")
    table = Table(name, client("dynamodb", endpoint))
    return Registry(table, cache_seconds=0), Quarantine(table)


def test_every_registered_venue_is_listed_and_the_quarantine_forgets_a_person(edge: tuple[Any, Any]) -> None:
    registry, quarantine = edge
    assert registry.clients() == []
    luna, demo = registration("luna", "17841400000000002"), registration("demo", DEMO_ACCOUNT)
    registry.register(luna)
    registry.register(demo)
    assert registry.clients() == [demo, luna]
    for sender in (GUEST, f"{GUEST}9", OTHER):
        quarantine.add({"sender": {"id": sender}, "recipient": {"id": "555"}}, "no venue", NOON, LATER)
    assert quarantine.erase(GUEST) == 1 and quarantine.erase(GUEST) == 0  # not the id it is a prefix of


def test_a_data_deletion_request_takes_each_venues_outcome(moto_endpoint: str, edge_table: str) -> None:
    table = Table(edge_table, client("dynamodb", moto_endpoint))
    deletions = DataDeletions(table)
    deletions.add(DataDeletion("c1", NOON, {"demo": DeletionStatus.PENDING, "luna": DeletionStatus.PENDING}), LATER)
    deletions.report("c1", "demo", DeletionStatus.DONE)
    deletions.report("c2", "demo", DeletionStatus.DONE)  # no such request: nothing is made up
    found = deletions.get("c1")
    assert found is not None and found.venues == {"demo": "done", "luna": "pending"} and found.status == "pending"
    deletions.report("c1", "luna", DeletionStatus.NOTHING_HELD)
    assert deletions.get("c1").status == DeletionStatus.DONE  # type: ignore[union-attr]
    assert deletions.get("c2") is None and table.get(key("DELETION#c2", "STATUS")) is None
    assert GUEST not in json.dumps(table.scan())
