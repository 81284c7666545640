"""What the engine talks through: the repositories of the table it uses, Meta's messenger, coupon images, the step
scheduler, secrets and phone numbers. `tagback.store` and `tagback.adapters` implement them (picked by
`tagback.wiring`); the tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from tagback.domain.awards import Awaiting, Award, AwardKey, Coupon, CouponFace, Guest
from tagback.domain.events import InboundEvent, OutboxEvent
from tagback.domain.messaging import Profile, QuickReply, UrlButton
from tagback.domain.stats import StatsStore
from tagback.domain.steps import Step


class AwardStore(Protocol):
    def get(self, award: AwardKey) -> Award | None: ...
    def claim(
        self, award: Award, expires_at: datetime, cooldown_since: datetime | None = None
    ) -> tuple[Award, bool]: ...
    def claim_table(self, award: Award, table: str, expires_at: datetime) -> tuple[Award | None, str]: ...
    def update(self, award: AwardKey, *, only_if_no_prize: bool = False, **changes: Any) -> bool: ...
    def reserve_prize(self, prize_id: str, local_date: date, cap: int, expires_at: datetime) -> bool: ...


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


class Messenger(Protocol):
    def send_text(self, recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str: ...
    def send_image(self, recipient: str, url: str) -> str: ...
    def send_buttons(self, recipient: str, text: str, buttons: Sequence[UrlButton]) -> str: ...
    def profile(self, guest_id: str) -> Profile: ...


class CouponImages(Protocol):
    def publish(self, face: CouponFace) -> str:
        """Draw and store the coupon's image; a short-lived URL Meta can fetch it from."""
        ...


class StepScheduler(Protocol):
    def schedule(self, step: Step, key: AwardKey, due: datetime) -> None:
        """Run `step` for `key` at `due`; scheduling the same step again is a no-op."""
        ...


class SecretReader(Protocol):
    def __call__(self, name: str) -> str: ...


PhoneReader = Callable[[str, str | None], str | None]  # typed number, default region → E.164, or None if invalid
