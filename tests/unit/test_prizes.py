from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import pytest

from tagback.config.model import ClientConfig, Prize
from tagback.domain.prizes import (
    CODE_ALPHABET,
    code_is_genuine,
    draw,
    draw_within_caps,
    new_coupon_code,
    normalise_code,
)

KEY = "signing-key"
# Chi-square critical values at p = 0.001 (df = categories - 1): a seeded run above them means a biased draw.
CRITICAL_0_001 = {1: 10.83, 2: 13.82}


def chi_square(observed: Counter[str], expected: dict[str, float]) -> float:
    return sum((observed[name] - count) ** 2 / count for name, count in expected.items())


def test_weighted_draw_matches_the_weights_over_100000_draws(demo_config: ClientConfig) -> None:
    rng = random.Random(20261123)
    draws = 100_000
    observed = Counter(draw(demo_config.prizes, rng).id for _ in range(draws))
    expected = {p.id: draws * float(p.weight) / 100 for p in demo_config.prizes}
    assert chi_square(observed, expected) < CRITICAL_0_001[len(expected) - 1], observed


def test_a_capped_out_prize_is_excluded_and_the_rest_renormalised(demo_config: ClientConfig) -> None:
    rng = random.Random(7)
    capped = "pastel-de-nata"  # has a daily cap, so the reservation decides
    observed = Counter(
        prize.id
        for prize in (draw_within_caps(demo_config.prizes, rng, lambda p: p.id != capped) for _ in range(30_000))
        if prize is not None
    )
    assert capped not in observed
    rest = [p for p in demo_config.prizes if p.id != capped]
    total = sum(float(p.weight) for p in rest)
    expected = {p.id: 30_000 * float(p.weight) / total for p in rest}
    assert chi_square(observed, expected) < CRITICAL_0_001[1], observed


def test_all_capped_out_gives_none_and_uncapped_prizes_never_ask(demo_config: ClientConfig) -> None:
    capped_only = [p for p in demo_config.prizes if p.daily_cap is not None]
    assert draw_within_caps(capped_only, random.Random(1), lambda p: False) is None
    asked: list[str] = []

    def reserve(prize: Prize) -> bool:
        asked.append(prize.id)
        return False

    single = [Prize(id="coffee", name="Coffee", weight=Decimal(100))]
    assert draw_within_caps(single, random.Random(1), reserve) == single[0]
    assert asked == []  # no cap, no reservation needed


def test_codes_are_typable_unique_and_checkable_offline() -> None:
    rng = random.Random(3)
    codes = {new_coupon_code(rng, KEY) for _ in range(5_000)}
    assert len(codes) == 5_000
    for code in list(codes)[:200]:
        assert len(code) == 14 and code[4] == code[9] == "-"
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
        assert not set(code) & set("0O1I")
        assert code_is_genuine(code, KEY)
        assert code_is_genuine(code.lower().replace("-", " "), KEY)
        assert not code_is_genuine(code, "another-clients-key")
    code = next(iter(codes))
    typo = code[:-1] + next(ch for ch in CODE_ALPHABET if ch != code[-1])
    assert not code_is_genuine(typo, KEY)
    assert not code_is_genuine("ABC", KEY)
    assert normalise_code(" abcd efgh-jkmn ") == "ABCD-EFGH-JKMN"


@pytest.mark.parametrize("seed", range(3))
def test_code_characters_are_uniform(seed: int) -> None:
    rng = random.Random(seed)
    counts = Counter("".join(new_coupon_code(rng, KEY).replace("-", "")[:8] for _ in range(4_000)))
    expected = 4_000 * 8 / len(CODE_ALPHABET)
    assert all(abs(counts[ch] - expected) < expected * 0.2 for ch in CODE_ALPHABET)
