"""Redeeming a coupon at the counter: checked offline first (typos, made-up codes), then marked once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tagback.domain.events import OutboxEvent
from tagback.domain.prizes import code_is_genuine, normalise_code
from tagback.domain.stats import StatsStore, count_event


class CouponCounter(Protocol):
    def get(self, code: str) -> dict[str, Any] | None: ...
    def redeem(self, code: str, at: datetime) -> dict[str, Any] | None: ...


class OutboxWriter(Protocol):
    def add(self, event: OutboxEvent, expires_at: datetime) -> bool: ...


class RedemptionStore(Protocol):
    @property
    def coupons(self) -> CouponCounter: ...
    @property
    def outbox(self) -> OutboxWriter: ...
    @property
    def stats(self) -> StatsStore: ...


def redeem(
    store: RedemptionStore, typed: str, signing_key: str, *, now: datetime, tz: ZoneInfo, retention_days: int
) -> str:
    """What to tell the staff member: "redeemed", or why not. Validity is judged on the venue's local date."""
    today = now.astimezone(tz).date()
    code = normalise_code(typed)
    if not code_is_genuine(code, signing_key):
        return "not a code of this venue (or a typo)"
    known = store.coupons.get(code)
    if known is None:
        return "unknown code"
    if known["valid_until"] < today.isoformat():
        return f"expired on {known['valid_until']}"
    coupon = store.coupons.redeem(code, now)  # conditional: two tills at once redeem it once
    if coupon is None:
        return f"already redeemed at {(store.coupons.get(code) or {}).get('redeemed_at')}"
    store.outbox.add(
        OutboxEvent(
            event_id=f"redemption-{code}",
            event_type="redemption",
            occurred_at=now,
            guest_id=coupon["guest_id"],
            prize=coupon["prize_name"],
            coupon_code=code,
        ),
        now + timedelta(days=retention_days),
    )
    count_event(store.stats, tz, now, "coupons_redeemed")
    return "redeemed"
