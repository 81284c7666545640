"""Rendering a client's texts: its override of a text in the guest's language, else the catalog's, with the
`{placeholders}` filled; dates as people of that language write them; the lines a guest's first DM carries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final, Protocol

from babel.dates import format_skeleton

from tagback.domain.languages import Language
from tagback.messages.catalog import DEFAULT_TEXTS


class ContactChannels(Protocol):
    @property
    def channels(self) -> str: ...


class ClientTexts(Protocol):
    """What rendering reads of a client's config (`tagback.config.model.ClientConfig` has it): the catalog never
    imports the config, which checks its texts against the catalog."""

    @property
    def messages(self) -> Mapping[Language, Mapping[str, str]]: ...

    @property
    def venue_name(self) -> str: ...

    @property
    def bot_disclosure(self) -> bool: ...

    @property
    def terms_url(self) -> object | None: ...

    @property
    def contact_capture(self) -> ContactChannels: ...


_PLACEHOLDER = re.compile(r"\{(\w*)\}")
# The built-in English catalog speaks to guests from anywhere: CLDR's world English ("4 Dec 2026"), not the US
# English a bare "en" means to CLDR ("Dec 4, 2026"). A client that adds en-US gets that.
_FORMATS: Final[dict[Language, str]] = {"en": "en_001"}


def placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def template(config: ClientTexts, key: str, language: Language) -> str:
    """The client's text for `key` in `language`: its own (an override, or the text of a language it adds), else
    the built-in catalog's."""
    return config.messages.get(language, {}).get(key) or DEFAULT_TEXTS[language][key]


def render(config: ClientTexts, key: str, language: Language, **values: str) -> str:
    """The text with its placeholders filled. Only `{name}` placeholders are substituted: a text cannot reach
    into the values' attributes (no str.format)."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template(config, key, language))


def format_date(day: date, language: Language) -> str:
    """A date as people of that language write it, with the month's name so no guest misreads it (CLDR's yMMMd
    through Babel): "4 Dec 2026", "4. Dez. 2026", "4 de dez. de 2026", "4 dec 2026", "2026年12月4日"…"""
    return format_skeleton("yMMMd", day, locale=_FORMATS.get(language, language).replace("-", "_"))


def channels_text(config: ClientTexts, language: Language) -> str:
    """The channels the contact question offers, as words of its sentence: "email or phone"."""
    channels = config.contact_capture.channels
    return "" if channels == "off" else render(config, f"contact_by_{channels}", language)


def first_dm_footer(config: ClientTexts, language: Language) -> str:
    """The bot-disclosure line and the promotion-terms link, when configured, for the first DM of a guest."""
    lines = []
    if config.bot_disclosure:
        lines.append(render(config, "bot_disclosure", language, venue=config.venue_name))
    if config.terms_url is not None:
        lines.append(render(config, "promotion_terms", language, terms_url=str(config.terms_url)))
    return "\n".join(lines)
