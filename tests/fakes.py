"""In-memory stand-ins for the domain's small interfaces. They keep the same guarantees the real adapters give
(conditional writes are atomic under a lock), so concurrency tests mean something."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tagback.adapters.coupon_image import render_coupon
from tagback.adapters.meta.account import IssuedToken
from tagback.adapters.ssm import StoredSecret
from tagback.config.environment import EdgeSettings
from tagback.config.model import ClientConfig
from tagback.conversation.ports import SecretReader
from tagback.domain.awards import (
    Awaiting,
    Award,
    AwardKey,
    AwardMessage,
    Coupon,
    CouponFace,
    Guest,
    WaitingForToken,
)
from tagback.domain.clock import Clock
from tagback.domain.erasure import DataDeletion, DeletionStatus, ErasureReport, ErasureRequest
from tagback.domain.events import InboundEvent, OutboxEvent
from tagback.domain.messaging import ErrorKind, GraphError, Profile, QuickReply, SentMessage, UrlButton
from tagback.domain.redemption import PinAttempts
from tagback.domain.registrations import AccountTaken, Registration
from tagback.domain.stats import REPORT_SENT_AT
from tagback.domain.steps import Step
from tagback.domain.tokens import TokenRecord
from tagback.store.coupons import coupon_item
from tagback.store.inbound import inbound_event_items, inbound_key
from tagback.store.links import link_item
from tagback.store.outbox import outbox_item
from tagback.store.schema import PARTITION_KEY, SORT_KEY
from tagback.wiring import Edge


class InMemoryInbound:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.RLock()

    def add(self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime) -> list[bool]:
        results = []
        with self._lock:
            for item in inbound_event_items(events, received_at, expires_at):
                key = _key(item)
                results.append(key not in self.items)
                self.items.setdefault(key, item)
        return results

    def handled(self, event: InboundEvent) -> bool:
        return "handled_at" in self.items.get(_key(inbound_key(event)), {})

    def mark_handled(
        self, event: InboundEvent, at: datetime, *, reply_mid: str | None = None, error: str | None = None
    ) -> None:
        with self._lock:
            item = self.items.setdefault(_key(inbound_key(event)), dict(inbound_key(event)))
            _set(item, {"handled_at": at.isoformat(), "reply_mid": reply_mid, "reply_error": error})


class InMemoryAwards:
    def __init__(self) -> None:
        self.by_key: dict[AwardKey, Award] = {}
        self.last_claim: dict[str, tuple[datetime, AwardKey]] = {}
        self.caps: dict[tuple[str, date], int] = {}
        self.tables: dict[tuple[str, date], str] = {}
        self.waiting: dict[str, WaitingForToken] = {}  # by the marker's sort key, as store/awards.py writes it
        self.held_until: dict[AwardKey, datetime] = {}  # each award's delivery hold
        self._lock = threading.RLock()

    def get(self, award: AwardKey) -> Award | None:
        with self._lock:
            found = self.by_key.get(award)
            return dataclasses.replace(found) if found else None

    def latest(self, guest_id: str) -> Award | None:
        with self._lock:
            periods = [key for key in self.by_key if key.guest_id == guest_id]
            return self.get(max(periods, key=lambda key: key.period)) if periods else None

    def claim(self, award: Award, expires_at: datetime, cooldown_since: datetime | None = None) -> tuple[Award, bool]:
        with self._lock:
            if award.key in self.by_key:
                return dataclasses.replace(self.by_key[award.key]), False
            last = self.last_claim.get(award.key.guest_id)
            if cooldown_since is not None and last is not None and last[0] > cooldown_since:
                return dataclasses.replace(self.by_key[last[1]]), False
            self.by_key[award.key] = dataclasses.replace(award)
            if cooldown_since is not None:
                self.last_claim[award.key.guest_id] = (award.mentioned_at, award.key)
            return award, True

    def claim_table(self, award: Award, table: str, expires_at: datetime) -> tuple[Award | None, str]:
        with self._lock:
            if award.key in self.by_key:
                return dataclasses.replace(self.by_key[award.key]), "guest_repeat"
            if (table, award.local_date) in self.tables:
                return None, "table_taken"
            self.tables[(table, award.local_date)] = award.key.guest_id
            self.by_key[award.key] = dataclasses.replace(award)
            return award, "new"

    def update(self, award: AwardKey, *, only_if_no_prize: bool = False, **changes: Any) -> bool:
        with self._lock:
            if only_if_no_prize and self.by_key[award].prize_id is not None:
                return False
            self.by_key[award] = dataclasses.replace(self.by_key[award], **changes)
            return True

    def begin_send(self, award: AwardKey, message: AwardMessage, *, at: datetime, digest: str | None) -> bool:
        with self._lock:
            found = self.by_key.get(award)
            if found is None or getattr(found, f"{message}_sending_at") is not None:
                return False
            changes: dict[str, Any] = {f"{message}_sending_at": at}
            if digest is not None:
                changes[f"{message}_digest"] = digest
            self.by_key[award] = dataclasses.replace(found, **changes)
            return True

    def hold_delivery(self, award: AwardKey, *, now: datetime, until: datetime) -> Award | None:
        with self._lock:
            held = self.held_until.get(award)
            if award not in self.by_key or (held is not None and int(held.timestamp()) > int(now.timestamp())):
                return None
            self.held_until[award] = until
            return dataclasses.replace(self.by_key[award])

    def release_delivery(self, award: AwardKey) -> None:
        with self._lock:
            self.held_until.pop(award, None)

    def reserve_prize(self, prize_id: str, local_date: date, cap: int, expires_at: datetime) -> bool:
        with self._lock:
            given = self.caps.get((prize_id, local_date), 0)
            if given >= cap:
                return False
            self.caps[(prize_id, local_date)] = given + 1
            return True

    def wait_for_token(self, waiting: WaitingForToken, expires_at: datetime) -> None:
        with self._lock:
            self.waiting[_waiting_key(waiting)] = waiting

    def waiting_for_token(self) -> list[WaitingForToken]:
        with self._lock:
            return [self.waiting[key] for key in sorted(self.waiting)]

    def done_waiting(self, waiting: WaitingForToken) -> None:
        with self._lock:
            self.waiting.pop(_waiting_key(waiting), None)


def _waiting_key(waiting: WaitingForToken) -> str:
    """The marker's sort key in the table: the oldest mention first."""
    return f"{waiting.mentioned_at.isoformat()}#{waiting.message}#{waiting.key.award_id}"


class InMemoryGuests:
    def __init__(self) -> None:
        self.by_id: dict[str, Guest] = {}
        self.counted: set[tuple[str, str]] = set()
        self._lock = threading.RLock()

    def get(self, guest_id: str) -> Guest | None:
        with self._lock:
            guest = self.by_id.get(guest_id)
            return dataclasses.replace(guest) if guest else None

    def update(self, guest_id: str, expires_at: datetime, **changes: Any) -> None:
        with self._lock:
            self.by_id[guest_id] = dataclasses.replace(self.by_id.get(guest_id) or Guest(guest_id), **changes)

    def hold_mention(
        self, guest_id: str, mid: str, *, at: datetime, period: str, awaiting: Awaiting, expires_at: datetime
    ) -> bool:
        with self._lock:
            guest = self.by_id.get(guest_id) or Guest(guest_id)
            if guest.pending_mid not in (None, mid) and (guest.pending_period or "") >= period:
                return False
            self.update(
                guest_id, expires_at, pending_mid=mid, pending_at=at, pending_period=period, awaiting=awaiting, tries=0
            )
            return True

    def first_award_of_month(self, guest_id: str, month: str) -> bool:
        with self._lock:
            if (guest_id, month) in self.counted:
                return False
            self.counted.add((guest_id, month))
            return True


class InMemoryCoupons:
    def __init__(self) -> None:
        self.by_code: dict[str, Coupon] = {}
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    def add(self, coupon: Coupon, expires_at: datetime) -> bool:
        with self._lock:
            if coupon.code in self.by_code:
                return False
            self.by_code[coupon.code] = coupon
            self._items[coupon.code] = coupon_item(coupon, expires_at)
            return True

    def get(self, code: str) -> dict[str, Any] | None:
        item = self._items.get(code)
        return dict(item) if item else None

    def redeem(self, code: str, at: datetime, by: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(code)
            if item is None or "redeemed_at" in item:
                return None
            item["redeemed_at"] = at.isoformat()
            if by is not None:
                item["redeemed_by"] = by
            return dict(item)


class InMemoryPinAttempts:
    """A coupon's wrong staff PINs, as `tagback.store.pin_attempts.PinAttemptsStore` keeps them (by version)."""

    def __init__(self) -> None:
        self.by_code: dict[str, PinAttempts] = {}
        self._lock = threading.Lock()

    def get(self, code: str) -> PinAttempts:
        return self.by_code.get(code, PinAttempts())

    def replace(self, code: str, attempts: PinAttempts, now: datetime) -> bool:
        with self._lock:
            if self.get(code).version != attempts.version - 1:
                return False
            self.by_code[code] = attempts
            return True


class InMemoryLinks:
    def __init__(self) -> None:
        self.by_token: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    def create(
        self,
        token: str,
        target: str,
        platform: str,
        award: AwardKey,
        expires_at: datetime,
        *,
        language: str | None = None,
    ) -> None:
        with self._lock:
            self.by_token.setdefault(token, link_item(token, target, platform, award, expires_at, language=language))

    def preview(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            link = self.by_token.get(token)
            if link is None:
                return None
            link["previews"] = link.get("previews", 0) + 1
            return dict(link)

    def click(self, token: str, at: datetime) -> dict[str, Any] | None:
        with self._lock:
            link = self.by_token.get(token)
            if link is None:
                return None
            link["clicks"] += 1
            link["last_clicked_at"] = at.isoformat()
            return dict(link)


class InMemoryStats:
    def __init__(self) -> None:
        self.months: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    def add_to_month(self, month: str, counters: dict[str, int]) -> None:
        with self._lock:
            totals = self.months.setdefault(month, {})
            for name, value in counters.items():
                totals[name] = totals.get(name, 0) + value

    def set_day_values(self, month: str, day: int, values: dict[str, Any]) -> None:
        with self._lock:
            if values:
                self.months.setdefault(month, {}).update({f"{name}_d{day:02d}": v for name, v in values.items()})

    def report_sent(self, month: str, sent_at: datetime) -> None:
        with self._lock:
            self.months.setdefault(month, {})[REPORT_SENT_AT] = sent_at.isoformat()

    def month_totals(self, month: str) -> dict[str, Any]:
        return dict(self.months.get(month, {}))


class InMemoryOutbox:
    def __init__(self) -> None:
        self.events: dict[str, OutboxEvent] = {}
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    def add(self, event: OutboxEvent, expires_at: datetime) -> bool:
        with self._lock:
            if event.event_id in self.events:
                return False
            self.events[event.event_id] = event
            self._items[event.event_id] = outbox_item(event, expires_at)
            return True

    def delivered(self, event_id: str) -> set[str]:
        item = self._items.get(event_id, {})
        return {name.removeprefix("delivered_") for name in item if name.startswith("delivered_")}

    def mark_delivered(self, event_id: str, sink: str, at: datetime) -> bool:
        with self._lock:
            item = self._items.get(event_id)
            if item is None:
                return False
            item[f"delivered_{sink}"] = at.isoformat()
            return True

    def get(self, event_id: str) -> dict[str, Any] | None:
        item = self._items.get(event_id)
        return dict(item) if item else None

    def forget_guest(self, event_id: str) -> None:
        with self._lock:
            item = self._items.get(event_id)
            if item is not None:
                _set(item, dict.fromkeys(("guest_id", "display_name", "email", "phone")))


class InMemoryTokens:
    """What is known of the venue's token (one item), never the token."""

    def __init__(self) -> None:
        self.record: TokenRecord | None = None
        self._lock = threading.RLock()

    def get(self) -> TokenRecord | None:
        with self._lock:
            return self.record

    def put(self, record: TokenRecord) -> None:
        with self._lock:
            self.record = record


class InMemorySuppressions:
    """The suppression list: the time of each entry, by the keyed hash of the guest id."""

    def __init__(self) -> None:
        self.entries: dict[str, datetime] = {}
        self._lock = threading.RLock()

    def holds(self, hashed_guest: str) -> bool:
        return hashed_guest in self.entries

    def add(self, hashed_guest: str, at: datetime) -> None:
        with self._lock:
            self.entries[hashed_guest] = at

    def remove(self, hashed_guest: str) -> None:
        with self._lock:
            self.entries.pop(hashed_guest, None)


class InMemoryErasureRequests:
    """Erasure requests by code (`tagback.store.erasures.ErasureRequests`): added once, fulfilled without the guest."""

    def __init__(self) -> None:
        self.by_code: dict[str, ErasureRequest] = {}
        self._lock = threading.RLock()

    def add(self, request: ErasureRequest) -> bool:
        with self._lock:
            if request.code in self.by_code:
                return False
            self.by_code[request.code] = request
            return True

    def get(self, code: str) -> ErasureRequest | None:
        return self.by_code.get(code)

    def mark_held(self, code: str) -> None:
        with self._lock:
            self.by_code[code] = dataclasses.replace(self.by_code[code], held=True)

    def finish(self, code: str, report: ErasureReport, at: datetime) -> None:
        with self._lock:
            self.by_code[code] = dataclasses.replace(self.by_code[code], guest_id=None, report=report)


class InMemoryStore:
    """The table's repositories in memory, composed as `tagback.store.repositories.Repositories` composes them
    (but `guest_data`, whose scans the moto tests cover)."""

    def __init__(self) -> None:
        self.inbound = InMemoryInbound()
        self.awards = InMemoryAwards()
        self.guests = InMemoryGuests()
        self.coupons = InMemoryCoupons()
        self.pin_attempts = InMemoryPinAttempts()
        self.links = InMemoryLinks()
        self.stats = InMemoryStats()
        self.outbox = InMemoryOutbox()
        self.tokens = InMemoryTokens()
        self.suppressions = InMemorySuppressions()
        self.erasures = InMemoryErasureRequests()


class InMemoryRegistry:
    """The edge's registry of venues, as `tagback.store.registry.Registry` keeps it: by account and by client, one
    account one client (AccountTaken), a client's change of account releasing the old one. `failure`, when set, is
    raised by every call (the registry's table unavailable)."""

    def __init__(self, *registrations: Registration) -> None:
        self.accounts: dict[str, Registration] = {}
        self.registered: dict[str, Registration] = {}  # by client id
        self.failure: Exception | None = None
        self.lookups = 0
        self._lock = threading.RLock()
        for registration in registrations:
            self.register(registration)

    def by_account(self, account_id: str) -> Registration | None:
        with self._lock:
            self._fail()
            self.lookups += 1
            return self.accounts.get(account_id)

    def by_client(self, client_id: str) -> Registration | None:
        with self._lock:
            self._fail()
            self.lookups += 1
            return self.registered.get(client_id)

    def clients(self) -> list[Registration]:
        with self._lock:
            self._fail()
            return [self.registered[c] for c in sorted(self.registered)]

    def register(self, registration: Registration) -> None:
        with self._lock:
            self._fail()
            me = registration.client_id
            owner = self.accounts.get(registration.account_id)
            if owner is not None and owner.client_id != me:
                raise AccountTaken(registration.account_id, owner, me)
            previous = self.registered.get(me)
            if previous is not None and previous.account_id != registration.account_id:
                self._release(previous.account_id, me)
            self.accounts[registration.account_id] = self.registered[me] = registration

    def unregister(self, client_id: str) -> Registration | None:
        with self._lock:
            self._fail()
            previous = self.registered.pop(client_id, None)
            if previous is not None:
                self._release(previous.account_id, client_id)
            return previous

    def _release(self, account_id: str, client_id: str) -> None:
        held = self.accounts.get(account_id)
        if held is not None and held.client_id == client_id:
            del self.accounts[account_id]

    def _fail(self) -> None:
        if self.failure is not None:
            raise self.failure


class InMemoryQuarantine:
    """Deliveries the edge keeps instead of losing (`tagback.store.registry.Quarantine`): one item per raw item and
    time received (a conditional put), in the order kept."""

    def __init__(self) -> None:
        self.items: list[tuple[object, str]] = []
        self.expiries: list[datetime] = []
        self._keys: set[tuple[str, str]] = set()
        self._lock = threading.RLock()

    def add(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None:
        key = (received_at.isoformat(), json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str))
        with self._lock:
            if key in self._keys:
                return
            self._keys.add(key)
            self.items.append((raw, reason))
            self.expiries.append(expires_at)

    def erase(self, user_id: str) -> int:
        """Drop the items whose raw JSON names the user (as a string), as the table's `contains` finds them."""
        quoted = json.dumps(user_id)
        with self._lock:
            kept = [
                (item, expiry)
                for item, expiry in zip(self.items, self.expiries, strict=True)
                if quoted not in json.dumps(item[0], ensure_ascii=False, sort_keys=True, default=str)
            ]
            erased = len(self.items) - len(kept)
            self.items, self.expiries = [i for i, _ in kept], [e for _, e in kept]
            return erased


class InMemoryDataDeletions:
    """Meta's data deletion requests at the edge (`tagback.store.registry.DataDeletions`), each venue's outcome."""

    def __init__(self) -> None:
        self.by_code: dict[str, DataDeletion] = {}
        self.expiries: dict[str, datetime] = {}
        self._lock = threading.RLock()

    def add(self, deletion: DataDeletion, expires_at: datetime) -> None:
        with self._lock:
            self.by_code.setdefault(deletion.code, deletion)
            self.expiries.setdefault(deletion.code, expires_at)

    def get(self, code: str) -> DataDeletion | None:
        return self.by_code.get(code)

    def report(self, code: str, client_id: str, status: DeletionStatus) -> None:
        with self._lock:
            found = self.by_code.get(code)
            if found is not None:
                self.by_code[code] = dataclasses.replace(found, venues=found.venues | {client_id: status})


class InMemoryVenues:
    """Each registered venue's table (`tagback.store.registry.VenueTables`): one store per region and table."""

    def __init__(self) -> None:
        self.stores: dict[tuple[str, str], InMemoryStore] = {}
        self._lock = threading.RLock()

    def of(self, venue: Registration) -> InMemoryStore:
        key = (venue.region, venue.table)
        with self._lock:
            if key not in self.stores:  # not setdefault: a store is a dozen repositories to build
                self.stores[key] = InMemoryStore()
            return self.stores[key]

    def written(self) -> dict[str, int]:
        """How many inbound items each table holds, by table name (tables with none left out)."""
        with self._lock:
            return {table: len(store.inbound.items) for (_, table), store in self.stores.items() if store.inbound.items}


def _key(key: dict[str, str]) -> tuple[str, str]:
    return key[PARTITION_KEY], key[SORT_KEY]


def _set(item: dict[str, Any], changes: dict[str, Any]) -> None:
    """As an UpdateItem sets them: None removes the attribute."""
    for name, value in changes.items():
        if value is None:
            item.pop(name, None)
        else:
            item[name] = value


def token_refused() -> GraphError:
    """Meta's answer to a dead or revoked token (code 190): an AUTH error."""
    return GraphError(ErrorKind.AUTH, 400, 190, None, "Error validating access token: the session is invalid")


class InMemoryEdge:
    """The edge's stores in memory: the registry, each venue's table, the quarantine, the data deletion requests."""

    def __init__(self, *registrations: Registration) -> None:
        self.registry = InMemoryRegistry(*registrations)
        self.venues = InMemoryVenues()
        self.quarantine = InMemoryQuarantine()
        self.deletions = InMemoryDataDeletions()

    def store_of(self, client_id: str) -> InMemoryStore:
        return self.venues.of(self.registry.registered[client_id])

    def edge(self, settings: EdgeSettings, secret: SecretReader, clock: Clock) -> Edge:
        """The webhook function's dependencies (`tagback.wiring.Edge`) on these stores."""
        return Edge(
            settings,
            self.registry,  # type: ignore[arg-type]  # the fakes keep Registry's, VenueTables' and Quarantine's guarantees
            self.venues,  # type: ignore[arg-type]
            self.quarantine,  # type: ignore[arg-type]
            self.deletions,  # type: ignore[arg-type]
            secret,
            clock,
        )


@dataclass(frozen=True)
class AnswerLost:
    """A send whose answer never comes back (a read timeout): Meta `delivered` it, or not."""

    delivered: bool


class FakeMessenger:
    """Records what would be sent; `failures` queues GraphErrors (or errors of the given kinds, or lost answers) for
    the next sends, `lookup_failures` for the next reads of a conversation. Meta refuses every send as it does a dead
    token (code 190) while `refusing_token` is set, or while `token` (read per send, as the Graph client reads it)
    gives one of `dead_tokens`. The conversation lists what was sent (time is not kept: every message counts)."""

    def __init__(self, token: Callable[[], str] | None = None) -> None:
        self.sent: list[dict[str, str]] = []
        self.failures: list[ErrorKind | GraphError | AnswerLost] = []
        self.lookup_failures: list[GraphError] = []
        self.lookups = 0
        self.token = token
        self.dead_tokens: set[str] = set()
        self.refusing_token = False
        self.refused = 0
        self.profile_calls = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _next(self, kind: str, recipient: str, body: str, **extra: str) -> str:
        with self._lock:
            if self._token_is_refused():
                self.refused += 1
                raise token_refused()
            failure = self.failures.pop(0) if self.failures else None
            if isinstance(failure, GraphError):
                raise failure
            if isinstance(failure, ErrorKind):
                raise GraphError(failure, 400, 0, None, f"fake {failure}")
            mid = f"m_{next(self._ids)}"
            if failure is None or failure.delivered:
                self.sent.append({"kind": kind, "to": recipient, "body": body, "mid": mid, **extra})
            if failure is not None:
                raise GraphError(ErrorKind.UNCERTAIN, None, None, None, "ReadTimeout")
            return mid

    def _token_is_refused(self) -> bool:
        return self.refusing_token or (self.token is not None and self.token() in self.dead_tokens)

    def send_text(self, recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str:
        replies = ",".join(q.payload or q.content_type for q in quick_replies)
        return self._next("text", recipient, text, quick_replies=replies)

    def send_image(self, recipient: str, url: str) -> str:
        return self._next("image", recipient, url)

    def send_buttons(self, recipient: str, text: str, buttons: Sequence[UrlButton]) -> str:
        return self._next("buttons", recipient, text, buttons=" | ".join(f"{b.title} {b.url}" for b in buttons))

    def sent_since(self, recipient: str, since: datetime) -> list[SentMessage]:
        with self._lock:
            self.lookups += 1
            if self.lookup_failures:
                raise self.lookup_failures.pop(0)
            mine = [m for m in self.sent if m["to"] == recipient]
            return [SentMessage(m["mid"], m["body"] if m["kind"] != "image" else "") for m in mine]

    def profile(self, guest_id: str) -> Profile:
        with self._lock:
            self.profile_calls += 1
            if self._token_is_refused():
                raise token_refused()
        return Profile(name=f"Guest {guest_id}", username=f"handle_{guest_id}")


class FakeImages:
    """Draws the coupon as the S3 adapter does; keeps the PNG instead of storing it."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.published: dict[str, bytes] = {}
        self.faces: dict[str, CouponFace] = {}
        self.valid_days: dict[str, int] = {}

    def publish(self, face: CouponFace, valid_days: int) -> str:
        self.published[face.code] = render_coupon(face, self.config).png
        self.faces[face.code] = face
        self.valid_days[face.code] = valid_days
        return f"https://images.example/{face.code}.png"


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


class FakeVault:
    """SSM as the token keeper and the engine see it (`tagback.adapters.ssm.SsmSecrets`): a call reads through a
    cache that `forget` drops, `read` is fresh and refills it, `store` writes the parameter's next version. SSM stamps
    a write with its own clock, `write_lag` after the writer's (negative: SSM's clock is behind)."""

    def __init__(self, clock: Clock, write_lag: timedelta = timedelta(0)) -> None:
        self.clock = clock
        self.write_lag = write_lag
        self.values: dict[str, StoredSecret] = {}
        self.stores: list[str] = []  # the names written, in order (never the values)
        self.forgotten: list[str] = []
        self._cache: dict[str, str] = {}
        self._lock = threading.RLock()

    def put(self, name: str, value: str, stored_at: datetime) -> None:
        """A value written before the test (by `tagback connect`, or by hand)."""
        with self._lock:
            self.values[name] = StoredSecret(value, stored_at, self._next_version(name))

    def __call__(self, name: str) -> str:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self.read(name).value
            return self._cache[name]

    def read(self, name: str) -> StoredSecret:
        with self._lock:
            if name not in self.values:
                raise LookupError(f"SSM parameter {name} not found")
            stored = self.values[name]
            self._cache[name] = stored.value
            return stored

    def store(self, name: str, value: str) -> int:
        with self._lock:
            version = self._next_version(name)
            self.values[name] = StoredSecret(value, self.clock.now() + self.write_lag, version)
            self._cache[name] = value
            self.stores.append(name)
            return version

    def _next_version(self, name: str) -> int:
        return self.values[name].version + 1 if name in self.values else 1

    def forget(self, name: str) -> None:
        with self._lock:
            self._cache.pop(name, None)
            self.forgotten.append(name)


class FakeRefresher:
    """Instagram's token refresh: each call answers the next of `answers` (an issued token, or a GraphError)."""

    def __init__(self, *answers: IssuedToken | GraphError) -> None:
        self.answers = list(answers)
        self.calls = 0

    def refresh(self, token: str) -> IssuedToken:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, GraphError):
            raise answer
        return answer
