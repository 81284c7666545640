"""The message catalog: every text the guest can receive, by key, with English defaults.

A client may override any text per language in its config; `tagback.config` checks the keys against this
catalog so a typo fails validation instead of a guest's DM.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from tagback.config import ClientConfig

Language = Literal["en", "de", "es", "fr", "it", "pt"]

DEFAULT_TEXTS: Final[dict[str, str]] = {
    "prize_awarded": "Thanks for sharing {venue} in your story! Your prize: {prize}. "
    "Show this code to our staff: {code} (valid until {valid_until}).",
    "repeat_mention": "Thanks for sharing {venue} again! It's one prize per day, see you tomorrow.",
    "all_prizes_given": "Thanks for sharing {venue}! All of today's prizes have been given, come back tomorrow.",
    "review_question": "How was your visit to {venue}? Would you leave us a Google review?",
    "answer_yes": "Yes",
    "answer_no": "No",
    "review_thanks": "Thank you! Here is the link to write your review:",
    "review_declined": "No problem, thanks for visiting {venue}!",
    "coupon_valid_until": "Valid until {valid_until}",
}

MESSAGE_KEYS: Final[frozenset[str]] = frozenset(DEFAULT_TEXTS)

_MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "it": ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
    "pt": ("jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez."),
}


def format_date(day: date, language: Language) -> str:
    """A date as people of that language write it: "7 Dec 2026", "7. Dez. 2026", "7 de dez. de 2026"…"""
    month = _MONTHS[language][day.month - 1]
    if language == "de":
        return f"{day.day}. {month} {day.year}"
    if language in ("es", "pt"):
        return f"{day.day} de {month} de {day.year}"
    return f"{day.day} {month} {day.year}"


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(config: ClientConfig, key: str, language: Language, **values: str) -> str:
    """The client's text for `key` in `language` (its override, else the default) with placeholders filled.
    Only `{name}` placeholders are substituted: a text cannot reach into the values' attributes."""
    template = config.messages.get(language, {}).get(key, DEFAULT_TEXTS[key])
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
