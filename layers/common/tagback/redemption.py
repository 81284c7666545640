"""Redeeming a coupon at the counter: checked offline first (typos, made-up codes), then marked once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tagback.integrations import OutboxEvent
from tagback.prizes import code_is_genuine, normalise_code
from tagback.stats import count_event


class RedemptionStore(Protocol):
    def redeem_coupon(self, code: str, at: datetime) -> dict[str, Any] | None: ...
    def get_coupon(self, code: str) -> dict[str, Any] | None: ...
    def add_outbox(self, event: OutboxEvent, expires_at: datetime) -> bool: ...
    def add_to_month(self, month: str, counters: dict[str, int]) -> None: ...


def redeem(
    store: RedemptionStore, typed: str, signing_key: str, *, now: datetime, tz: ZoneInfo, retention_days: int
) -> str:
    """What to tell the staff member: "redeemed", or why not. Validity is judged on the venue's local date."""
    today = now.astimezone(tz).date()
    code = normalise_code(typed)
    if not code_is_genuine(code, signing_key):
        return "not a code of this venue (or a typo)"
    known = store.get_coupon(code)
    if known is None:
        return "unknown code"
    if known["valid_until"] < today.isoformat():
        return f"expired on {known['valid_until']}"
    coupon = store.redeem_coupon(code, now)  # conditional: two tills at once redeem it once
    if coupon is None:
        return f"already redeemed at {(store.get_coupon(code) or {}).get('redeemed_at')}"
    store.add_outbox(
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
    count_event(store, tz, now, "coupons_redeemed")
    return "redeemed"
