"""What the engine talks through: the repositories of the table it uses, Meta's messenger, coupon images, the step
scheduler, secrets and phone numbers. `tagback.store` and `tagback.adapters` implement them (picked by
`tagback.wiring`); the tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

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
from tagback.domain.events import InboundEvent, OutboxEvent
from tagback.domain.messaging import Profile, QuickReply, SentMessage, UrlButton
from tagback.domain.stats import StatsStore
from tagback.domain.steps import Step


class AwardStore(Protocol):
    def get(self, award: AwardKey) -> Award | None: ...
    def claim(
        self, award: Award, expires_at: datetime, cooldown_since: datetime | None = None
    ) -> tuple[Award, bool]: ...
    def claim_table(self, award: Award, table: str, expires_at: datetime) -> tuple[Award | None, str]: ...
    def update(self, award: AwardKey, *, only_if_no_prize: bool = False, **changes: Any) -> bool: ...
    def begin_send(self, award: AwardKey, message: AwardMessage, *, at: datetime, digest: str | None) -> bool:
        """Record that `message` is being sent (since `at`, with the fingerprint of its text) unless a send of it was
        recorded already (or the award is gone): False then."""
        ...

    def hold_delivery(self, award: AwardKey, *, now: datetime, until: datetime) -> Award | None: ...
    def release_delivery(self, award: AwardKey) -> None: ...
    def reserve_prize(self, prize_id: str, local_date: date, cap: int, expires_at: datetime) -> bool: ...
    def wait_for_token(self, waiting: WaitingForToken, expires_at: datetime) -> None: ...
    def waiting_for_token(self) -> list[WaitingForToken]: ...
    def done_waiting(self, waiting: WaitingForToken) -> None: ...


class GuestStore(Protocol):
    def get(self, guest_id: str) -> Guest | None: ...
    def update(self, guest_id: str, expires_at: datetime, **changes: Any) -> None: ...
    def hold_mention(
        self, guest_id: str, mid: str, *, at: datetime, period: str, awaiting: Awaiting, expires_at: datetime
    ) -> bool: ...
    def first_award_of_month(self, guest_id: str, month: str) -> bool: ...


class CouponStore(Protocol):
    def add(self, coupon: Coupon, expires_at: datetime) -> bool: ...


class HandledMarks(Protocol):
    def handled(self, event: InboundEvent) -> bool: ...
    def mark_handled(
        self, event: InboundEvent, at: datetime, *, reply_mid: str | None = None, error: str | None = None
    ) -> None: ...


class LinkStore(Protocol):
    def create(self, token: str, target: str, platform: str, award: AwardKey, expires_at: datetime) -> None: ...


class OutboxWriter(Protocol):
    def add(self, event: OutboxEvent, expires_at: datetime) -> bool: ...


class SuppressionStore(Protocol):
    """The guests who said STOP, by the keyed hash of their id (domain/suppression.py)."""

    def holds(self, hashed_guest: str) -> bool: ...
    def add(self, hashed_guest: str, at: datetime) -> None: ...
    def remove(self, hashed_guest: str) -> None: ...


class ConversationStore(Protocol):
    @property
    def awards(self) -> AwardStore: ...
    @property
    def guests(self) -> GuestStore: ...
    @property
    def coupons(self) -> CouponStore: ...
    @property
    def inbound(self) -> HandledMarks: ...
    @property
    def links(self) -> LinkStore: ...
    @property
    def outbox(self) -> OutboxWriter: ...
    @property
    def stats(self) -> StatsStore: ...
    @property
    def suppressions(self) -> SuppressionStore: ...


class Messenger(Protocol):
    def send_text(self, recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str: ...
    def send_image(self, recipient: str, url: str) -> str: ...
    def send_buttons(self, recipient: str, text: str, buttons: Sequence[UrlButton]) -> str: ...
    def profile(self, guest_id: str) -> Profile: ...
    def sent_since(self, recipient: str, since: datetime) -> list[SentMessage]:
        """What the venue sent `recipient` at or after `since`, as the guest's conversation lists it; raises
        GraphError when it cannot be read."""
        ...


class CouponImages(Protocol):
    def publish(self, face: CouponFace, valid_days: int) -> str:
        """Draw and store the image of a coupon valid `valid_days` days (kept as long); a short-lived URL Meta can
        fetch it from."""
        ...


class StepScheduler(Protocol):
    def schedule(self, step: Step, key: AwardKey, due: datetime) -> None:
        """Run `step` for `key` at `due`; scheduling the same step again is a no-op."""
        ...


class SecretReader(Protocol):
    def __call__(self, name: str) -> str: ...


PhoneReader = Callable[[str, str | None], str | None]  # typed number, default region → E.164, or None if invalid
