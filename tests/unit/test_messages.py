"""The catalog: complete in six languages, renders for the demo client, and keeps the review rules."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from tagback.config.checks import text_problems
from tagback.config.loading import parse_client_config
from tagback.domain.languages import LANGUAGES, Language
from tagback.messages.catalog import DEFAULT_TEXTS, PLACEHOLDERS
from tagback.messages.render import format_date, placeholders_in, render
from tests.conftest import DEMO_CONFIG

DEMO = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
ALL_LANGUAGES = DEMO | {
    "languages": list(LANGUAGES),
    "questions": [],  # the demo's own questions are in its three languages
    "prizes": [prize | {"names": dict.fromkeys(LANGUAGES, prize["name"])} for prize in DEMO["prizes"]],
    "contact_capture": {
        "channels": "both",
        "consent_version": "1",
        "consent_text": {lang: "Offers twice a month at most; stop any time." for lang in LANGUAGES},
    },
}


def test_every_language_has_every_text_with_only_its_placeholders() -> None:
    for language in LANGUAGES:
        assert set(DEFAULT_TEXTS[language]) == set(PLACEHOLDERS), language
        for key, text in DEFAULT_TEXTS[language].items():
            assert placeholders_in(text) <= PLACEHOLDERS[key], (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_renders_for_the_demo_client_in_every_language(language: Language) -> None:
    config = parse_client_config(ALL_LANGUAGES, "all languages", DEMO_CONFIG.parent)
    values = {
        "venue": config.venue_name,
        "instagram_username": config.instagram_username,
        "prize": "Free espresso",
        "code": "7KQ4-M2XZ-9HJT",
        "channels": "Email",
        "valid_until": format_date(date(2026, 12, 4), language),
        "link": "https://x.example/l/t",
        "terms_url": "https://x.example/terms",
        "consent": "ok",
        "tables": "1–20, 30",
    }
    for key in PLACEHOLDERS:
        text = render(config, key, language, **values)
        assert text and "{" not in text, (language, key)
    assert text_problems(config) == []


REWARD_WORDS = (
    "prize",
    "reward",
    "coupon",
    "gift",
    "preis",
    "belohnung",
    "gutschein",
    "premio",
    "regalo",
    "cadeau",
    "récompense",
    "prémio",
    "recompensa",
    "cupom",
    "cupão",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_review_texts_never_tie_the_review_to_a_reward(language: Language) -> None:
    for key in ("review_question", "review_link", "review_links", "review_declined", "answer_yes", "answer_no"):
        text = DEFAULT_TEXTS[language][key].casefold()
        assert not any(word in text for word in REWARD_WORDS), (language, key)


def test_dates_are_written_the_languages_way() -> None:
    day = date(2026, 12, 4)
    assert [format_date(day, lang) for lang in LANGUAGES] == [
        "4 Dec 2026",
        "4. Dez. 2026",
        "4 dic 2026",
        "4 déc. 2026",
        "4 dic 2026",
        "4 de dez. de 2026",
    ]
