"""Drawing a prize by weight (respecting daily caps) and minting coupon codes.

Codes are 12 characters from an alphabet without 0/O/1/I, shown as XXXX-XXXX-XXXX: 8 random characters
(40 bits, from a CSPRNG in production) and a 4-character tag, an HMAC of them with the client's signing key, so
a code can be checked offline — a typo or a made-up code fails the check without asking the table.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each
_BODY_LENGTH = 8
_TAG_LENGTH = 4

T = TypeVar("T")


class RandomSource(Protocol):
    def random(self) -> float: ...

    def choice(self, seq: Sequence[T]) -> T: ...


class Weighted(Protocol):
    """What a draw reads of a prize (the client config's `Prize` has it)."""

    @property
    def weight(self) -> Decimal: ...

    @property
    def daily_cap(self) -> int | None: ...


P = TypeVar("P", bound=Weighted)


def draw(prizes: Sequence[P], rng: RandomSource) -> P:
    """One prize, each with probability weight / sum of weights (so excluding some renormalises the rest)."""
    total = float(sum(p.weight for p in prizes))
    point = rng.random() * total
    for prize in prizes:
        point -= float(prize.weight)
        if point < 0:
            return prize
    return prizes[-1]  # float rounding at the very top of the range


def draw_within_caps(prizes: Sequence[P], rng: RandomSource, reserve: Callable[[P], bool]) -> P | None:
    """Draw, and take one unit of the prize's daily cap with `reserve`; a capped-out prize is dropped and the draw
    repeated over the rest. None when every prize is capped out."""
    candidates = list(prizes)
    while candidates:
        prize = draw(candidates, rng)
        if prize.daily_cap is None or reserve(prize):
            return prize
        candidates.remove(prize)
    return None


def _tag(body: str, signing_key: str) -> str:
    digest = hmac.new(signing_key.encode(), body.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:4], "big")
    return "".join(CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(_TAG_LENGTH))


def new_coupon_code(rng: RandomSource, signing_key: str) -> str:
    body = "".join(rng.choice(CODE_ALPHABET) for _ in range(_BODY_LENGTH))
    raw = body + _tag(body, signing_key)
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_code(typed: str) -> str:
    """What a guest or staff member typed → the canonical XXXX-XXXX-XXXX form (case and separators ignored)."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -_")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def code_is_genuine(typed: str, signing_key: str) -> bool:
    raw = normalise_code(typed).replace("-", "")
    if len(raw) != _BODY_LENGTH + _TAG_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return False
    body, tag = raw[:_BODY_LENGTH], raw[_BODY_LENGTH:]
    return hmac.compare_digest(tag, _tag(body, signing_key))
