"""Any language CLDR knows: codes checked, each language's own name on its button, typed answers read however
written, dates from Babel."""

from __future__ import annotations

from datetime import date

import pytest

from tagback.conversation.language import named
from tagback.domain.languages import checked_language, language_name, regional_locale
from tagback.messages.render import format_date


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("en", "English"),
        ("de", "Deutsch"),
        ("es", "Español"),
        ("fr", "Français"),
        ("it", "Italiano"),
        ("pt", "Português"),
        ("nl", "Nederlands"),
        ("ja", "日本語"),
        ("pt-BR", "Português (Brasil)"),
    ],
)
def test_a_languages_button_shows_its_own_name_capitalised_as_a_menu_item(code: str, name: str) -> None:
    assert checked_language(code) == code
    assert language_name(code) == name


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("xx", "unknown language code 'xx': use one CLDR knows, e.g. nl, ja, pt-BR"),
        ("en-XX", "unknown language code 'en-XX'"),
        ("pt_BR", "unknown language code 'pt_BR'"),
        ("PT-br", "'PT-br': write it 'pt-BR'"),
        ("iw", "'iw': write it 'he-IL'"),
        ("en-US-posix", "'en-US-posix': no variants"),
    ],
)
def test_a_code_cldr_does_not_know_or_writes_otherwise_is_refused(code: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        checked_language(code)
    assert str(refused.value).startswith(reason)


DEMO = ("en", "de", "pt")
LUNA = ("es", "en")


@pytest.mark.parametrize(
    ("typed", "offered", "language"),
    [
        ("portugues", DEMO, "pt"),
        ("  Português! ", DEMO, "pt"),
        ("PORTUGUESE", DEMO, "pt"),
        ("Portugiesisch", DEMO, "pt"),  # its name in another offered language
        ("deutsch", DEMO, "de"),
        ("german", DEMO, "de"),
        ("EN", DEMO, "en"),
        ("Englisch", DEMO, "en"),
        ("Español", LUNA, "es"),
        ("espanol", LUNA, "es"),
        ("spanish", LUNA, "es"),
        ("inglés", LUNA, "en"),
        ("es", LUNA, "es"),
        ("Nederlands", ("nl", "en"), "nl"),
        ("dutch", ("nl", "en"), "nl"),
        ("日本語", ("ja", "en"), "ja"),
        ("portugues", ("pt-BR", "en"), "pt-BR"),  # a region's language by its language's name alone
        ("pt", ("pt-BR", "en"), "pt-BR"),
        ("portugues", ("pt", "pt-BR"), "pt"),  # unless another offered language is called exactly that
        ("português (Brasil)", ("pt", "pt-BR"), "pt-BR"),
        ("pt-br", ("pt", "pt-BR"), "pt-BR"),
        ("Español", DEMO, None),  # not offered
        ("hello", DEMO, None),
        ("english please", DEMO, None),
        ("", DEMO, None),
    ],
)
def test_a_typed_answer_names_an_offered_language(typed: str, offered: tuple[str, ...], language: str | None) -> None:
    assert named(typed, offered) == language


def test_dates_of_any_language_come_from_cldr() -> None:
    day = date(2026, 3, 9)
    assert [format_date(day, lang) for lang in ("nl", "ja", "pt-BR", "en-US")] == [
        "9 mrt 2026",
        "2026年3月9日",
        "9 de mar. de 2026",
        "Mar 9, 2026",
    ]


@pytest.mark.parametrize(
    ("language", "timezone", "locale"),
    [
        ("es", "America/Mexico_City", "es_MX"),  # "$18.00", as Mexico writes pesos
        ("en", "Europe/Lisbon", "en_PT"),
        ("en", "US/Eastern", "en_US"),  # an alias, by the zone it stands for
        ("de", "Europe/Lisbon", "de"),  # CLDR has no German of Portugal: German as such
        ("en", "UTC", "en"),  # no country
        ("pt-BR", "Europe/Lisbon", "pt_BR"),  # a language with its region keeps it
    ],
)
def test_numbers_are_written_in_the_language_as_the_venues_country_does(
    language: str, timezone: str, locale: str
) -> None:
    assert regional_locale(language, timezone) == locale
