"""The staff redemption page, the edge's `GET` and `POST /c/<client>/<code>`: the coupon's QR code opens it at the
counter. GET shows what the coupon is (CouponDesk.check); POST "Redeem" with a member of staff's PIN redeems it
(CouponDesk.redeem: the conditional update, the month's counter and the owner's outbox, as the CLI does).

Order of the checks, cheapest and most refusing first: the link's shape (no I/O), the venue's registration (the
edge's table, cached), the code's HMAC tag with the venue's signing key (SSM, cached) — a made-up code is UNKNOWN
before any read of the venue's table —; on POST, the form (size, fields, Origin, the signed form token), then the
code's lock, then the PIN. Bad input gets a 4xx page and a log line; nothing here answers 5xx for what a client sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qs

from tagback.app.redeem import CouponDesk, CouponStatus, RedemptionStore, Verdict
from tagback.app.redemption_page import PageView, render_page
from tagback.domain.clock import Clock
from tagback.domain.prizes import code_is_genuine, normalise_code
from tagback.domain.redemption import (
    PinAttempts,
    coupon_signing_key_parameter,
    form_token,
    form_token_valid,
    parse_staff_pins,
    staff_member,
    staff_pins_parameter,
)
from tagback.domain.registrations import Registration
from tagback.observability import count, for_venue, logger

MAX_FORM_BYTES = 1024  # a PIN and a token: anything bigger is not our form
_CLIENT_ID = re.compile(r"^[a-z0-9-]{1,32}$")
_CODE = re.compile(r"^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$")
_WRITE_TRIES = 5  # concurrent wrong PINs on one code: each write retried on a fresh read until it lands


class PinAttemptsStore(Protocol):
    def get(self, code: str) -> PinAttempts: ...
    def replace(self, code: str, attempts: PinAttempts, now: datetime) -> bool: ...


class VenueStore(RedemptionStore, Protocol):
    @property
    def pin_attempts(self) -> PinAttemptsStore: ...


class ClientRegistry(Protocol):
    def by_client(self, client_id: str) -> Registration | None: ...


class SecretReader(Protocol):
    def __call__(self, name: str) -> str: ...


@dataclass(frozen=True)
class Page:
    status: int
    html: str


@dataclass(frozen=True)
class PostedForm:
    body: bytes | None  # None: not even decodable
    origin: str | None  # the browser's Origin header, if any
    own_origin: str  # this edge as the request reached it: https://<domain>


@dataclass(frozen=True)
class _Venue:
    registration: Registration
    signing_key: str
    desk: CouponDesk
    store: VenueStore


@dataclass(frozen=True)
class RedemptionPage:
    registry: ClientRegistry
    store_of: Callable[[Registration], VenueStore]
    secret: SecretReader
    clock: Clock

    def show(self, client_id: str, code: str) -> Page:
        now = self.clock.now()
        venue = self._venue(client_id, code)
        if isinstance(venue, Page):
            return venue
        status = venue.desk.check(code, now)
        return self._status_page(venue, status, now, locked=self._locked(venue, status, now))

    def redeem(self, client_id: str, code: str, form: PostedForm) -> Page:
        now = self.clock.now()
        venue = self._venue(client_id, code)
        if isinstance(venue, Page):
            return venue
        language, canonical = venue.registration.language, normalise_code(code)
        if form.body is not None and len(form.body) > MAX_FORM_BYTES:
            return _refused(413, "form too large", "bad_form", language, venue.registration.venue_name)
        fields = _form_fields(form.body) if form.body is not None else None
        if fields is None:
            return _refused(
                400, "form without exactly one pin and one token", "bad_form", language, venue.registration.venue_name
            )
        if form.origin is not None and form.origin != form.own_origin:  # a page elsewhere posting here
            return _refused(403, "form posted from another origin", "bad_form", language, venue.registration.venue_name)
        pin, token = fields
        if not form_token_valid(venue.signing_key, client_id, canonical, token, now):
            logger.info("redemption form token stale or forged", extra={"client_id": client_id})
            status = venue.desk.check(code, now)
            return self._status_page(venue, status, now, notice="stale_page", http_status=403)
        attempts = venue.store.pin_attempts.get(canonical)
        if attempts.locked(now):
            count("redemption_locked")
            status = venue.desk.check(code, now)
            return self._status_page(venue, status, now, locked=attempts, http_status=429)
        pins = parse_staff_pins(self.secret(staff_pins_parameter(client_id)))
        staff = staff_member(pins, pin)
        if staff is None:
            count("staff_pin_wrong")
            attempts = self._wrong_pin(venue.store, canonical, attempts, now)
            status = venue.desk.check(code, now)
            if attempts.locked(now):
                logger.warning("coupon code locked after wrong staff PINs", extra={"client_id": client_id})
                return self._status_page(venue, status, now, locked=attempts, http_status=429)
            return self._status_page(
                venue, status, now, notice="wrong_pin", tries_left=attempts.tries_left(now), http_status=403
            )
        status = venue.desk.redeem(code, now, by=staff)
        count("coupon_redeemed_by_staff" if status.verdict is Verdict.REDEEMED else "coupon_redeem_refused")
        return self._status_page(venue, status, now, http_status=200 if status.verdict is Verdict.REDEEMED else 409)

    def _venue(self, client_id: str, code: str) -> _Venue | Page:
        if not _CLIENT_ID.match(client_id) or not _CODE.match(code):
            return _refused(400, "not a coupon link", "bad_link", "en", None)
        registration = self.registry.by_client(client_id)
        if registration is None:
            return _refused(404, "no such client", "unknown", "en", None)
        for_venue(client_id)
        signing_key = self.secret(coupon_signing_key_parameter(client_id))
        if not code_is_genuine(code, signing_key):  # guessing codes costs no read of the venue's table
            count("coupon_code_forged")
            unknown = CouponStatus(Verdict.UNKNOWN, normalise_code(code))
            view = PageView("unknown", registration.language, registration.venue_name, unknown, registration.tz)
            return Page(404, render_page(view))
        store = self.store_of(registration)
        desk = CouponDesk(
            store, signing_key, registration.tz, registration.retention_days, dict(registration.prize_names)
        )
        return _Venue(registration, signing_key, desk, store)

    def _locked(self, venue: _Venue, status: CouponStatus, now: datetime) -> PinAttempts | None:
        """The code's lock, read only for a coupon that could be redeemed (a forged code never gets this far)."""
        if status.verdict is not Verdict.VALID:
            return None
        attempts = venue.store.pin_attempts.get(status.code)
        return attempts if attempts.locked(now) else None

    @staticmethod
    def _wrong_pin(store: VenueStore, code: str, attempts: PinAttempts, now: datetime) -> PinAttempts:
        for _ in range(_WRITE_TRIES):
            after = attempts.after_wrong_pin(now)
            if store.pin_attempts.replace(code, after, now):
                return after
            attempts = store.pin_attempts.get(code)  # another post wrote first: count on top of it
        return attempts

    def _status_page(
        self,
        venue: _Venue,
        status: CouponStatus,
        now: datetime,
        *,
        locked: PinAttempts | None = None,
        notice: str | None = None,
        tries_left: int | None = None,
        http_status: int | None = None,
    ) -> Page:
        registration = venue.registration
        redeemable = status.verdict is Verdict.VALID and locked is None
        token = form_token(venue.signing_key, registration.client_id, status.code, now) if redeemable else None
        view = PageView(
            "locked" if locked is not None and status.verdict is Verdict.VALID else status.verdict.value,
            registration.language,
            registration.venue_name,
            status,
            registration.tz,
            locked_until=locked.locked_until if locked is not None else None,
            notice=notice,
            tries_left=tries_left,
            form_token=token,
        )
        default = 404 if status.verdict is Verdict.UNKNOWN else 200
        return Page(http_status or default, render_page(view))


def _form_fields(body: bytes) -> tuple[str, str] | None:
    try:
        form = parse_qs(body.decode("ascii"), keep_blank_values=True, max_num_fields=4)
    except (UnicodeDecodeError, ValueError):
        return None
    pins, tokens = form.get("pin", []), form.get("token", [])
    if len(pins) != 1 or len(tokens) != 1 or len(pins[0]) > 16 or len(tokens[0]) > 64:
        return None
    return pins[0].strip(), tokens[0]


def _refused(status: int, reason: str, state: str, language: str, venue_name: str | None) -> Page:
    logger.warning("redemption request refused", extra={"status": status, "reason": reason})
    count("redemption_refused")
    return Page(status, render_page(PageView(state, language, venue_name)))
