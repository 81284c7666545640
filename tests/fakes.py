"""In-memory stand-ins for the domain's small interfaces. They keep the same guarantees the real adapters give
(conditional writes are atomic under a lock), so concurrency tests mean something."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tagback.awards import Award, AwardKey, Coupon, Guest
from tagback.meta.graph import ErrorKind, GraphError, Profile, QuickReply
from tagback.meta.webhook import InboundEvent
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
        self.replies: dict[tuple[str, str], dict[str, str | None]] = {}
        self._lock = threading.Lock()

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

    def get_guest(self, guest_id: str) -> Guest | None:
        return self.guests.get(guest_id)

    def save_guest(self, guest: Guest, expires_at: datetime) -> None:
        self.guests[guest.guest_id] = guest

    def replied(self, event: InboundEvent) -> bool:
        return (event.guest_id, event.mid) in self.replies

    def record_reply(self, event: InboundEvent, *, reply_mid: str | None = None, error: str | None = None) -> None:
        self.replies[(event.guest_id, event.mid)] = {"reply_mid": reply_mid, "error": error}


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
        self.sent[-1]["quick_replies"] = ",".join(q.payload for q in quick_replies)
        return mid

    def send_image(self, recipient: str, url: str) -> str:
        return self._next("image", recipient, url)

    def profile(self, guest_id: str) -> Profile:
        self.profile_calls += 1
        return Profile(name=f"Guest {guest_id}", username=f"handle_{guest_id}")


class FakeImages:
    def __init__(self) -> None:
        self.published: dict[str, bytes] = {}

    def publish(self, code: str, png: bytes) -> str:
        self.published[code] = png
        return f"https://images.example/{code}.png"


class FakeFollowUps:
    def __init__(self) -> None:
        self.scheduled: dict[AwardKey, datetime] = {}

    def schedule_followup(self, key: AwardKey, due: datetime) -> None:
        self.scheduled.setdefault(key, due)


class Secrets(dict[str, str]):
    def __call__(self, name: str) -> str:
        return self[name]
