"""The languages guests can be served in: any language CLDR knows (through Babel), by its code as BCP 47 writes it —
`nl`, `ja`, or with a script or region, `zh-Hant`, `pt-BR`. Six have a built-in message catalog (`LANGUAGES`); a
client file gives the whole catalog of any other (checked by `tagback.config`)."""

from __future__ import annotations

from functools import cache
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.localedata import exists

Language = str  # a code as above, checked by `checked_language` when the client's config is loaded
LANGUAGES: Final[tuple[Language, ...]] = ("en", "de", "es", "fr", "it", "pt")  # those with a built-in catalog


@cache
def locale_of(language: Language) -> Locale:
    return Locale.parse(language, sep="-")


def checked_language(code: str) -> Language:
    """The code, if it is one CLDR knows and names, written as BCP 47 writes it; else a ValueError saying why."""
    try:
        known = locale_of(code)
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown language code {code!r}: use one CLDR knows, e.g. nl, ja, pt-BR") from None
    canonical = "-".join(part for part in (known.language, known.script, known.territory) if part)
    if known.variant or canonical != code:
        raise ValueError(f"{code!r}: write it {canonical!r}" if not known.variant else f"{code!r}: no variants")
    if known.get_display_name(known) is None:
        raise ValueError(f"{code!r}: CLDR has no name for it in its own language, which the language buttons show")
    return code


def language_name(language: Language) -> str:
    """The language's own name, as a language button shows it: "English", "Español", "Nederlands", "日本語",
    "Português (Brasil)". CLDR writes names lower case where the language does ("español"); at the start of a menu
    item it capitalises the first letter (CLDR's uiListOrMenu context), which Babel does not carry."""
    own = locale_of(language)
    name = own.get_display_name(own) or language
    return name[:1].upper() + name[1:]


def names_of(language: Language, in_languages: tuple[Language, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """What a guest may call `language`: its own name and its name in English and in each of `in_languages`, with
    its region or script ("português (brasil)"), then without ("português")."""
    own = locale_of(language)
    readers = [own, locale_of("en"), *(locale_of(other) for other in in_languages)]
    full = {own.get_display_name(reader) for reader in readers}
    bare = {own.get_language_name(reader) for reader in readers}
    return frozenset(n for n in full if n), frozenset(n for n in bare if n)


def regional_locale(language: Language, timezone: str) -> str:
    """The Babel locale that writes numbers, money and dates in `language` as the venue's country does, its country
    being CLDR's for the venue's timezone: es and America/Mexico_City → es_MX ("$18.00", not Spain's "18,00 MXN").
    The language alone where CLDR has no such locale (de in Portugal) or the zone no country (UTC)."""
    own = locale_of(language)
    if own.territory:  # pt-BR already says whose conventions it follows
        return str(own)
    territory = get_global("zone_territories").get(get_global("zone_aliases").get(timezone, timezone))
    regional = f"{own}_{territory}"
    return regional if territory and exists(regional) else str(own)


def locales_of_venue(offered: list[Language], report_language: Language, timezone: str) -> frozenset[str]:
    """The Babel locales a venue's functions format with: each offered language (its name in every other, its
    dates), English (the names guests may type, English's dates as en_001 writes them: messages.render) and the
    report's regional locale."""
    return frozenset(
        {str(locale_of(language)) for language in offered}
        | {"en", "en_001", regional_locale(report_language, timezone)}
    )
