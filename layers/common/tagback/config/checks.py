"""The checks a client's texts pass before a deploy: every text of every language the client offers has known
placeholders only, the required ones present, and stays within Meta's limits when filled with the longest values
the client can produce."""

from __future__ import annotations

from datetime import date
from typing import Final

from tagback.config.model import ClientConfig
from tagback.domain.languages import Language
from tagback.domain.messaging import BUTTON_TEXT_LIMIT, QUICK_REPLY_TITLE_LIMIT, TEXT_LIMIT_BYTES
from tagback.messages.catalog import BUTTON_TITLES, MESSAGE_KEYS, PLACEHOLDERS, REQUIRED_PLACEHOLDERS
from tagback.messages.render import channels_text, first_dm_footer, format_date, placeholders_in, render, template

FIRST_DM_KEYS: Final = frozenset({"language_question", "table_question", "prize_awarded", "all_prizes_given"})
_LONGEST_LINK: Final = "https://abcdefghij.execute-api.ap-southeast-2.amazonaws.com/l/" + "x" * 22


def _longest_values(config: ClientConfig, language: Language) -> dict[str, str]:
    return {
        "venue": config.venue_name,
        "prize": max((prize.name_in(language) for prize in config.prizes), key=len),
        "code": "XXXX-XXXX-XXXX",
        "valid_until": max((format_date(date(2026, month, 28), language) for month in range(1, 13)), key=len),
        "link": _LONGEST_LINK,
        "terms_url": str(config.terms_url or ""),
        "channels": channels_text(config, language),
        "consent": config.contact_capture.consent_text.get(language, ""),
        "tables": config.table_list,
    }


def text_problems(config: ClientConfig) -> list[str]:
    """Every text of every language the client offers: known placeholders only, the required ones present, and
    within Meta's limits when filled with the longest values the client can produce."""
    problems: list[str] = []
    for language in config.languages:
        values = _longest_values(config, language)
        footer = first_dm_footer(config, language)
        for key in sorted(MESSAGE_KEYS):
            where, text = f"messages.{language}.{key}", template(config, key, language)
            found = placeholders_in(text)
            unknown, missing = found - PLACEHOLDERS[key], REQUIRED_PLACEHOLDERS.get(key, frozenset()) - found
            if unknown or missing:
                allowed = ", ".join(f"{{{name}}}" for name in sorted(PLACEHOLDERS[key])) or "none"
                wrong = [f"unknown placeholder {{{name}}}" for name in sorted(unknown)]
                wrong += [f"missing placeholder {{{name}}}" for name in sorted(missing)]
                problems.append(f"{where}: {'; '.join(wrong)} (allowed: {allowed})")
                continue
            rendered = render(config, key, language, **values)
            if key in BUTTON_TITLES and len(rendered) > QUICK_REPLY_TITLE_LIMIT:
                problems.append(
                    f"{where}: {rendered!r} is {len(rendered)} characters; quick reply titles take "
                    f"at most {QUICK_REPLY_TITLE_LIMIT}"
                )
            size = len(rendered.encode()) + (len(footer.encode()) + 2 if key in FIRST_DM_KEYS and footer else 0)
            limit = BUTTON_TEXT_LIMIT if key == "review_links" else TEXT_LIMIT_BYTES
            if size > limit:
                problems.append(
                    f"{where}: up to {size} bytes with the longest prize, date and link; Meta takes at most {limit}"
                )
    return problems
