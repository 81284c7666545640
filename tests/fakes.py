"""In-memory stand-ins for the domain's small interfaces. They keep the same guarantees the real adapters give
(conditional writes are atomic under a lock), so concurrency tests mean something."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tagback.awards import Awaiting, Award, AwardKey, Coupon, Guest
from tagback.integrations import OutboxEvent
from tagback.meta.graph import ErrorKind, GraphError, Profile, QuickReply, UrlButton
from tagback.meta.webhook import InboundEvent
from tagback.scheduling import Step
from tagback.store import inbound_event_item, inbound_key


class InMemoryStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, object]] = {}
        self.quarantined: list[tuple[object, str]] = []
        self.awards: dict[AwardKey, Award] = {}
        self.last_claim: dict[str, tuple[datetime, AwardKey]] = {}
        self.coupons: dict[str, Coupon] = {}
        self.caps: dict[tuple[str, date], int] = {}
        self.guests: dict[str, Guest] = {}
        self.handled_events: dict[tuple[str, str], dict[str, str | None]] = {}
        self.tables: dict[tuple[str, date], str] = {}
        self.links: dict[str, dict[str, Any]] = {}
        self.months: dict[str, dict[str, int]] = {}
        self.outbox: dict[str, OutboxEvent] = {}
        self.outbox_done: dict[str, set[str]] = {}
        self.counted: set[tuple[str, str]] = set()
        self._lock = threading.RLock()

    def add_inbound_events(
        self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime
    ) -> list[bool]:
        results = []
        with self._lock:
            for event in events:
                key = tuple(inbound_key(event).values())
                results.append(key not in self.items)
                self.items.setdefault(key, inbound_event_item(event, received_at, expires_at))  # type: ignore[arg-type]
        return results

    def quarantine(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None:
        self.quarantined.append((raw, reason))

    def claim_award(
        self, award: Award, expires_at: datetime, cooldown_since: datetime | None = None
    ) -> tuple[Award, bool]:
        with self._lock:
            if award.key in self.awards:
                return dataclasses.replace(self.awards[award.key]), False
            last = self.last_claim.get(award.key.guest_id)
            if cooldown_since is not None and last is not None and last[0] > cooldown_since:
                return dataclasses.replace(self.awards[last[1]]), False
            self.awards[award.key] = dataclasses.replace(award)
            self.last_claim[award.key.guest_id] = (award.mentioned_at, award.key)
            return award, True

    def get_award(self, key: AwardKey) -> Award | None:
        with self._lock:
            award = self.awards.get(key)
            return dataclasses.replace(award) if award else None

    def update_award(self, key: AwardKey, *, only_if_no_prize: bool = False, **changes: Any) -> bool:
        with self._lock:
            if only_if_no_prize and self.awards[key].prize_id is not None:
                return False
            self.awards[key] = dataclasses.replace(self.awards[key], **changes)
            return True

    def reserve_prize(self, prize_id: str, local_date: date, cap: int, expires_at: datetime) -> bool:
        with self._lock:
            given = self.caps.get((prize_id, local_date), 0)
            if given >= cap:
                return False
            self.caps[(prize_id, local_date)] = given + 1
            return True

    def add_coupon(self, coupon: Coupon, expires_at: datetime) -> bool:
        with self._lock:
            if coupon.code in self.coupons:
                return False
            self.coupons[coupon.code] = coupon
            return True

    def claim_table_award(self, award: Award, table: str, expires_at: datetime) -> tuple[Award | None, str]:
        with self._lock:
            if award.key in self.awards:
                return dataclasses.replace(self.awards[award.key]), "guest_repeat"
            if (table, award.local_date) in self.tables:
                return None, "table_taken"
            self.tables[(table, award.local_date)] = award.key.guest_id
            self.awards[award.key] = dataclasses.replace(award)
            return award, "new"

    def get_guest(self, guest_id: str) -> Guest | None:
        with self._lock:
            guest = self.guests.get(guest_id)
            return dataclasses.replace(guest) if guest else None

    def update_guest(self, guest_id: str, expires_at: datetime, **changes: Any) -> None:
        with self._lock:
            self.guests[guest_id] = dataclasses.replace(self.guests.get(guest_id) or Guest(guest_id), **changes)

    def hold_mention(
        self, guest_id: str, mid: str, *, at: datetime, period: str, awaiting: Awaiting, expires_at: datetime
    ) -> bool:
        with self._lock:
            guest = self.guests.get(guest_id) or Guest(guest_id)
            if guest.pending_mid not in (None, mid):
                return False
            self.update_guest(
                guest_id, expires_at, pending_mid=mid, pending_at=at, pending_period=period, awaiting=awaiting, tries=0
            )
            return True

    def handled(self, event: InboundEvent) -> bool:
        return (event.guest_id, event.mid) in self.handled_events

    def mark_handled(
        self, event: InboundEvent, at: datetime, *, reply_mid: str | None = None, error: str | None = None
    ) -> None:
        self.handled_events[(event.guest_id, event.mid)] = {"reply_mid": reply_mid, "error": error}

    def create_link(self, token: str, target: str, platform: str, award: AwardKey, expires_at: datetime) -> None:
        self.links[token] = {"target": target, "platform": platform, "award": award, "clicks": 0}

    def click_link(self, token: str, at: datetime) -> dict[str, Any] | None:
        link = self.links.get(token)
        if link is not None:
            link["clicks"] += 1
        return link

    def add_outbox(self, event: OutboxEvent, expires_at: datetime) -> bool:
        with self._lock:
            if event.event_id in self.outbox:
                return False
            self.outbox[event.event_id] = event
            return True

    def outbox_delivered(self, event_id: str) -> set[str]:
        return set(self.outbox_done.get(event_id, set()))

    def mark_outbox_delivered(self, event_id: str, sink: str, at: datetime) -> None:
        self.outbox_done.setdefault(event_id, set()).add(sink)

    def first_award_of_month(self, guest_id: str, month: str) -> bool:
        with self._lock:
            if (guest_id, month) in self.counted:
                return False
            self.counted.add((guest_id, month))
            return True

    def add_to_month(self, month: str, counters: dict[str, int]) -> None:
        with self._lock:
            totals = self.months.setdefault(month, {})
            for name, value in counters.items():
                totals[name] = totals.get(name, 0) + value


class FakeMessenger:
    """Records what would be sent; `fail` queues GraphErrors of the given kinds for the next sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.failures: list[ErrorKind] = []
        self.profile_calls = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _next(self, kind: str, recipient: str, body: str) -> str:
        with self._lock:
            if self.failures:
                failure = self.failures.pop(0)
                raise GraphError(failure, 400, 0, None, f"fake {failure}")
            mid = f"m_{next(self._ids)}"
            self.sent.append({"kind": kind, "to": recipient, "body": body, "mid": mid})
            return mid

    def send_text(self, recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str:
        mid = self._next("text", recipient, text)
        self.sent[-1]["quick_replies"] = ",".join(q.payload or q.content_type for q in quick_replies)
        return mid

    def send_image(self, recipient: str, url: str) -> str:
        return self._next("image", recipient, url)

    def send_buttons(self, recipient: str, text: str, buttons: Sequence[UrlButton]) -> str:
        mid = self._next("buttons", recipient, text)
        self.sent[-1]["buttons"] = " | ".join(f"{b.title} {b.url}" for b in buttons)
        return mid

    def profile(self, guest_id: str) -> Profile:
        self.profile_calls += 1
        return Profile(name=f"Guest {guest_id}", username=f"handle_{guest_id}")


class FakeImages:
    def __init__(self) -> None:
        self.published: dict[str, bytes] = {}

    def publish(self, code: str, png: bytes) -> str:
        self.published[code] = png
        return f"https://images.example/{code}.png"


class FakeScheduler:
    def __init__(self) -> None:
        self.scheduled: dict[tuple[Step, AwardKey], datetime] = {}

    def schedule(self, step: Step, key: AwardKey, due: datetime) -> None:
        self.scheduled.setdefault((step, key), due)

    def followups(self) -> dict[AwardKey, datetime]:
        return {key: due for (step, key), due in self.scheduled.items() if step is Step.FOLLOW_UP}


class Secrets(dict[str, str]):
    def __call__(self, name: str) -> str:
        return self[name]
