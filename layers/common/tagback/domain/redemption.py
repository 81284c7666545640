"""The staff redemption page's rules: the venue's staff PINs, the wrong-PIN lockout of a code, and the form token that
ties a "Redeem" post to the page that showed it. Plain values only: the page (app/redemption.py) does the I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# Five wrong PINs within ten minutes lock the code for ten minutes: a 4-digit PIN then takes weeks to guess for one
# code, while a member of staff who mistypes twice is not held up.
WRONG_PINS_ALLOWED: int = 5
WRONG_PIN_WINDOW = timedelta(minutes=10)
LOCKED_FOR = timedelta(minutes=10)
FORM_TOKEN_LIFETIME = timedelta(minutes=15)  # the page may stay open at the till a while before "Redeem"

_PIN = re.compile(r"^[0-9]{4,8}$")
_STAFF_NAME = re.compile(r"^\S(?:.{0,38}\S)?$")
_FORM_LABEL = "redemption-form:"  # the signing key's use here, kept apart from the coupon tags and suppression keys


def staff_pins_parameter(client_id: str) -> str:
    """The SSM SecureString of a venue's staff PINs: under the venue's own /tagback/<client-id>/ path, which the
    redemption function's read is scoped to."""
    return f"/tagback/{client_id}/staff-pins"


def coupon_signing_key_parameter(client_id: str) -> str:
    """Where the redemption page reads a venue's coupon signing key (README: the name every venue's file uses)."""
    return f"/tagback/{client_id}/coupon-signing-key"


def parse_staff_pins(text: str) -> dict[str, str]:
    """`{"Ana": "4821", "Rui": "0937"}`: each member of staff by name, with a PIN of 4 to 8 digits, no two alike
    (a PIN names who redeemed). ValueError says what is wrong, never echoing a PIN."""
    try:
        pins = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError('staff PINs are not JSON: expected {"name": "PIN", …}') from None
    if not isinstance(pins, dict) or not pins:
        raise ValueError("staff PINs must be a JSON object of at least one name and PIN")
    for name, pin in pins.items():
        if not _STAFF_NAME.match(name):
            raise ValueError(f"staff name {name!r} must be 1 to 40 characters, not starting or ending with a space")
        if not isinstance(pin, str) or not _PIN.match(pin):
            raise ValueError(f"the PIN of {name!r} must be a string of 4 to 8 digits")
    if len(set(pins.values())) != len(pins):
        raise ValueError("two members of staff have the same PIN: each PIN must name one person")
    return dict(pins)


def staff_member(pins: Mapping[str, str], typed: str) -> str | None:
    """Whose PIN was typed, if anyone's. Every PIN is compared, in constant time, whatever matched: the answer's
    timing tells nothing of how close a guess was, nor which entry it matched."""
    found = None
    for name, pin in pins.items():
        if hmac.compare_digest(pin.encode(), typed.encode()):
            found = name
    return found


@dataclass(frozen=True)
class PinAttempts:
    """A code's recent wrong PINs (at most the last few) and the lock they earned; `version` orders the writes."""

    failed_at: tuple[datetime, ...] = ()
    locked_until: datetime | None = None
    version: int = 0

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def tries_left(self, now: datetime) -> int:
        """Wrong PINs still allowed before the code locks (staff are told after each wrong one)."""
        return WRONG_PINS_ALLOWED - sum(1 for t in self.failed_at if now - t < WRONG_PIN_WINDOW)

    def after_wrong_pin(self, now: datetime) -> PinAttempts:
        """With one more wrong PIN at `now`: locked for LOCKED_FOR when it makes WRONG_PINS_ALLOWED within the
        window (the count starts again after the lock)."""
        recent = (*(t for t in self.failed_at if now - t < WRONG_PIN_WINDOW), now)
        if len(recent) >= WRONG_PINS_ALLOWED:
            return PinAttempts((), now + LOCKED_FOR, self.version + 1)
        return PinAttempts(recent, self.locked_until, self.version + 1)


def _form_mac(signing_key: str, client_id: str, code: str, issued: int) -> str:
    message = f"{_FORM_LABEL}{client_id}/{code}/{issued}".encode()
    return hmac.new(signing_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def form_token(signing_key: str, client_id: str, code: str, now: datetime) -> str:
    """The token the page's form carries: when it was issued and a MAC of that with the venue and code."""
    issued = int(now.timestamp())
    return f"{issued}.{_form_mac(signing_key, client_id, code, issued)}"


def form_token_valid(signing_key: str, client_id: str, code: str, token: str, now: datetime) -> bool:
    """The token was made by this edge for this venue's code, at most FORM_TOKEN_LIFETIME ago."""
    issued, _, mac = token.partition(".")
    if not issued.isdigit() or len(issued) > 12:
        return False
    age = now.timestamp() - int(issued)
    if not 0 <= age <= FORM_TOKEN_LIFETIME.total_seconds():
        return False
    return hmac.compare_digest(mac.encode(), _form_mac(signing_key, client_id, code, int(issued)).encode())
