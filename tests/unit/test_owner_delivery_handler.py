"""The owner_delivery Lambda through its entry point: outbox records of the table's stream delivered to the owner's
sinks (fakes here), each record failing alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.owner_delivery import handler as owner_delivery
from sandbox.apigw import LambdaContext
from tagback.app.owner import OwnerDelivery
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent, OutboxEvent, SinkRefused, SinkUnavailable
from tagback.store.codec import to_dynamo
from tagback.store.inbound import inbound_event_items
from tagback.store.outbox import outbox_item
from tests.fakes import InMemoryOutbox
from tests.unit.test_prize_handlers import record

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass
class FakeSink:
    name: str
    delivered: list[str] = field(default_factory=list)
    failing: dict[str, Exception] = field(default_factory=dict)  # event id → what delivering it raises

    def deliver(self, event: OutboxEvent) -> None:
        if event.event_id in self.failing:
            raise self.failing[event.event_id]
        self.delivered.append(event.event_id)


@dataclass
class FakeDeadLetters:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


@pytest.fixture
def delivery() -> Iterator[OwnerDelivery]:
    sinks = [FakeSink("google_sheets"), FakeSink("webhook")]
    wired = OwnerDelivery("demo", list(sinks), InMemoryOutbox(), ManualClock(NOON), FakeDeadLetters())
    owner_delivery.delivery.override(wired)
    yield wired
    owner_delivery.delivery.override(None)


def queued(delivery: OwnerDelivery, event_id: str) -> dict[str, Any]:
    """An award's outbox item as the engine stores it, and as the stream's NewImage brings it."""
    event = OutboxEvent(event_id, "award", NOON, "g1", "Ana Sousa", prize="Free espresso")
    delivery.store.add(event, NOON + timedelta(days=90))  # type: ignore[attr-defined]
    return to_dynamo(outbox_item(event, NOON + timedelta(days=90)))


def test_each_outbox_record_reaches_every_sink_and_a_failing_one_is_reported_alone(
    delivery: OwnerDelivery,
) -> None:
    sheet, crm = delivery.sinks
    assert isinstance(crm, FakeSink)
    crm.failing["award-2"] = SinkUnavailable("webhook: HTTP 503")
    batch = {"Records": [record(f"{i}00", queued(delivery, f"award-{i}")) for i in (1, 2, 3)]}
    response = owner_delivery.lambda_handler(batch, LambdaContext("owner_delivery"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    assert delivery.store.delivered("award-2") == {"google_sheets"}  # the retry goes to the CRM only
    del crm.failing["award-2"]
    assert owner_delivery.lambda_handler(batch, LambdaContext("owner_delivery")) == {"batchItemFailures": []}
    assert (sheet.delivered, crm.delivered) == (["award-1", "award-2", "award-3"], ["award-1", "award-3", "award-2"])


def test_what_a_sink_refuses_goes_to_the_dead_letter_queue_at_once(delivery: OwnerDelivery) -> None:
    sheet = delivery.sinks[0]
    assert isinstance(sheet, FakeSink)
    sheet.failing["award-1"] = SinkRefused("google_sheets", "HTTP 403", "share the sheet with the service account")
    response = owner_delivery.lambda_handler(
        {"Records": [record("100", queued(delivery, "award-1"))]}, LambdaContext("owner_delivery")
    )
    assert response == {"batchItemFailures": []}
    assert delivery.dead_letters.sent == [  # type: ignore[attr-defined]
        {"outbox_event_id": "award-1", "errors": ["google_sheets: HTTP 403"]}
    ]


def test_a_record_that_is_no_outbox_item_fails_alone(delivery: OwnerDelivery) -> None:
    (inbound,) = inbound_event_items([InboundEvent(EventKind.DELETED, "m1", "g1", "1", NOON)], NOON, NOON)
    batch = {"Records": [record("100", to_dynamo(inbound)), record("200", queued(delivery, "award-1"))]}
    assert owner_delivery.lambda_handler(batch, LambdaContext("owner_delivery")) == {
        "batchItemFailures": [{"itemIdentifier": "100"}]
    }
    assert delivery.store.delivered("award-1") == {"google_sheets", "webhook"}
