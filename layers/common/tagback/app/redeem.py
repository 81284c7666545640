"""Coupons at the counter: a look-up (is it good, for what, for whom) and the redemption, checked offline first
(typos, made-up codes cost no table read), then marked once. Each answer is a `CouponStatus` — a small value that the
CLI (and a staff page) formats — with the prize in the venue's language, the guest's display name and local times."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tagback.config.model import ClientConfig
from tagback.domain.awards import Guest
from tagback.domain.erasure import ERASED_GUEST_PREFIX
from tagback.domain.events import OutboxEvent
from tagback.domain.prizes import code_is_genuine, normalise_code
from tagback.domain.stats import StatsStore, count_event


class CouponCounter(Protocol):
    def get(self, code: str) -> dict[str, Any] | None: ...
    def redeem(self, code: str, at: datetime, by: str | None = None) -> dict[str, Any] | None: ...


class GuestProfiles(Protocol):
    def get(self, guest_id: str) -> Guest | None: ...


class OutboxWriter(Protocol):
    def add(self, event: OutboxEvent, expires_at: datetime) -> bool: ...


class RedemptionStore(Protocol):
    @property
    def coupons(self) -> CouponCounter: ...
    @property
    def guests(self) -> GuestProfiles: ...
    @property
    def outbox(self) -> OutboxWriter: ...
    @property
    def stats(self) -> StatsStore: ...


class Verdict(StrEnum):
    VALID = "valid"  # may be redeemed now
    REDEEMED = "redeemed"  # just now, by this call
    ALREADY_USED = "already_used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CouponStatus:
    verdict: Verdict
    code: str  # as normalised: XXXX-XXXX-XXXX
    prize: str | None = None  # in the venue's language
    guest: str | None = None  # the guest's display name; None when Meta gave none, their profile expired or was erased
    guest_erased: bool = False  # the guest had their data erased: the coupon still counts, for no one by name
    issued_at: datetime | None = None  # local times, in the venue's timezone
    valid_until: date | None = None  # the last day it is good for
    used_at: datetime | None = None
    used_by: str | None = None  # the member of staff whose PIN redeemed it on the staff page (the CLI names no one)


@dataclass(frozen=True)
class CouponDesk:
    """A venue's coupons as staff meet them."""

    store: RedemptionStore
    signing_key: str
    tz: ZoneInfo
    retention_days: int
    prize_names: Mapping[str, str]  # prize id → its name in the venue's language

    @classmethod
    def of(cls, config: ClientConfig, store: RedemptionStore, signing_key: str) -> CouponDesk:
        names = {prize.id: prize.name_in(config.default_language) for prize in config.prizes}
        return cls(store, signing_key, config.tz, config.retention_days, names)

    def check(self, typed: str, now: datetime) -> CouponStatus:
        """What the coupon is, without redeeming it. Validity is judged on the venue's local date."""
        code = normalise_code(typed)
        if not code_is_genuine(code, self.signing_key):
            return CouponStatus(Verdict.UNKNOWN, code)
        coupon = self.store.coupons.get(code)
        if coupon is None:
            return CouponStatus(Verdict.UNKNOWN, code)
        status = self._described(code, coupon)
        if status.used_at is not None:
            return replace(status, verdict=Verdict.ALREADY_USED)
        assert status.valid_until is not None  # every coupon is stored with its validity
        if status.valid_until < now.astimezone(self.tz).date():
            return replace(status, verdict=Verdict.EXPIRED)
        return status

    def redeem(self, typed: str, now: datetime, by: str | None = None) -> CouponStatus:
        """Redeem a valid coupon once (two tills at once: one wins, the other hears it was used), count it for the
        report and tell the owner's sheet and CRM; anything else is answered as `check` finds it. `by`: the member
        of staff, when the staff page knows who."""
        status = self.check(typed, now)
        if status.verdict is not Verdict.VALID:
            return status
        coupon = self.store.coupons.redeem(status.code, now, by)  # conditional: not redeemed before
        if coupon is None:
            return self.check(typed, now)
        self.store.outbox.add(
            OutboxEvent(
                event_id=f"redemption-{status.code}",
                event_type="redemption",
                occurred_at=now,
                guest_id=coupon["guest_id"],
                prize=coupon["prize_name"],
                coupon_code=status.code,
            ),
            now + timedelta(days=self.retention_days),
        )
        count_event(self.store.stats, self.tz, now, "coupons_redeemed")
        return replace(status, verdict=Verdict.REDEEMED, used_at=now.astimezone(self.tz), used_by=by)

    def _described(self, code: str, coupon: dict[str, Any]) -> CouponStatus:
        guest_id = str(coupon["guest_id"])
        erased = guest_id.startswith(ERASED_GUEST_PREFIX)
        profile = None if erased else self.store.guests.get(guest_id)
        return CouponStatus(
            Verdict.VALID,
            code,
            prize=self.prize_names.get(coupon["prize_id"], coupon["prize_name"]),  # a prize since removed: as issued
            guest=profile.display_name if profile else None,
            guest_erased=erased,
            issued_at=self._local(coupon.get("issued_at")),
            valid_until=date.fromisoformat(coupon["valid_until"]),
            used_at=self._local(coupon.get("redeemed_at")),
            used_by=coupon.get("redeemed_by"),
        )

    def _local(self, stamp: str | None) -> datetime | None:
        return datetime.fromisoformat(stamp).astimezone(self.tz) if stamp else None
