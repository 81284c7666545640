"""The checks a client's texts pass before a deploy: every language the client offers has every text (built in, or
given in the client's file), each with known placeholders only, the required ones present, and within Meta's limits
when filled with the longest values the client can produce; every prize has its name in every language offered; and
(`check-config`, which passes the image adapter's layout in) every coupon can be drawn whole."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Final, Protocol

from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace
from tagback.domain.languages import LANGUAGES, Language
from tagback.domain.messaging import BUTTON_TEXT_LIMIT, QUICK_REPLY_TITLE_LIMIT, TEXT_LIMIT_BYTES
from tagback.domain.redemption import coupon_signing_key_parameter
from tagback.messages.catalog import BUTTON_TITLES, MESSAGE_KEYS, PLACEHOLDERS, REQUIRED_PLACEHOLDERS
from tagback.messages.render import channels_text, first_dm_footer, format_date, placeholders_in, render, template

FIRST_DM_KEYS: Final = frozenset({"language_question", "table_question", "prize_awarded", "all_prizes_given"})
_LONGEST_LINK: Final = "https://abcdefghij.execute-api.ap-southeast-2.amazonaws.com/l/" + "x" * 22


def _longest_values(config: ClientConfig, language: Language) -> dict[str, str]:
    return {
        "venue": config.venue_name,
        "instagram_username": config.instagram_username,
        "prize": max((prize.name_in(language) for prize in config.prizes), key=len),
        "code": "XXXX-XXXX-XXXX",
        "valid_until": max((format_date(date(2026, month, 28), language) for month in range(1, 13)), key=len),
        "link": _LONGEST_LINK,
        "terms_url": str(config.terms_url or ""),
        "channels": channels_text(config, language),
        "consent": config.contact_capture.consent_text.get(language, ""),
        "tables": config.table_list,
    }


def _missing_texts(config: ClientConfig) -> list[str]:
    """A language without a built-in catalog needs every text in the client's file."""
    problems = []
    for language in (lang for lang in config.languages if lang not in LANGUAGES):
        given = config.messages.get(language)
        if given is None:
            problems.append(
                f"messages.{language}: missing: {language} has no built-in texts (built in: {', '.join(LANGUAGES)}), "
                f"so the client file gives all {len(MESSAGE_KEYS)} of them under messages.{language}"
            )
            continue
        problems += [
            f"messages.{language}.{key}: missing: {language} has no built-in texts, so the client file gives every one"
            for key in sorted(MESSAGE_KEYS - set(given))
        ]
    return problems


def text_problems(config: ClientConfig) -> list[str]:
    """Every text of every language the client offers: present, known placeholders only, the required ones present,
    and within Meta's limits when filled with the longest values the client can produce."""
    problems = _missing_texts(config)
    if problems:
        return problems
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
    return problems or _reask_problems(config)


def _reask_problems(config: ClientConfig) -> list[str]:
    """The language question asked again carries `language_unclear` in every offered language, in one message."""
    if len(config.languages) < 2:
        return []
    texts = [render(config, "language_unclear", language) for language in config.languages]
    footer = first_dm_footer(config, config.default_language)
    size = len("\n".join(texts).encode()) + (len(footer.encode()) + 2 if footer else 0)
    if size <= TEXT_LIMIT_BYTES:
        return []
    return [
        f"languages: the language question asked again says messages.<language>.language_unclear in all "
        f"{len(config.languages)} languages in one message, {size} bytes; Meta takes at most {TEXT_LIMIT_BYTES}"
    ]


def prize_name_problems(config: ClientConfig) -> list[str]:
    """Every prize named in every language offered besides the default (whose name may be `name`): the coupon and
    the DM show the guest's language's name, and would fall back to `name`, perhaps another language's."""
    return [
        f"prizes[{index}].names.{language}: missing: guests choosing {language} would see the default name "
        f"{prize.name!r}"
        for index, prize in enumerate(config.prizes)
        for language in config.languages[1:]
        if language not in prize.names
    ]


WIDEST_CODE: Final = "WWWW-WWWW-WWWW"  # W is the code alphabet's widest letter


class LaidOutCoupon(Protocol):
    """What the check needs of a coupon's layout (adapters/coupon_image.py makes it)."""

    @property
    def missing_glyphs(self) -> Mapping[str, str]: ...  # face field → the characters no font covers

    @property
    def cut(self) -> Collection[str]: ...  # the face fields shortened with "…"


def coupon_faces(config: ClientConfig) -> list[tuple[Language, int, CouponFace]]:
    """Every prize's coupon in every language offered (with the prize's index), with the longest date and code."""
    faces = []
    for language in config.languages:
        valid_until = render(
            config, "coupon_valid_until", language, valid_until=_longest_values(config, language)["valid_until"]
        )
        staff_line = render(config, "coupon_show_staff", language)
        for index, prize in enumerate(config.prizes):
            face = CouponFace(config.venue_name, prize.name_in(language), WIDEST_CODE, valid_until, staff_line)
            faces.append((language, index, face))
    return faces


# Where each field of the coupon's face comes from in the client file (the prize's is per prize and language).
_FACE_FIELDS: Final = {
    "venue": "venue_name",
    "staff_line": "messages.{language}.coupon_show_staff",
    "valid_until": "messages.{language}.coupon_valid_until",
    "code": "coupon",
}


def _where(config: ClientConfig, field: str, language: Language, index: int) -> str:
    if field == "prize":
        names = config.prizes[index].names
        return f"prizes[{index}].names.{language}" if language in names else f"prizes[{index}].name"
    return _FACE_FIELDS[field].format(language=language)


def coupon_problems(config: ClientConfig, lay_out: Callable[[CouponFace, ClientConfig], LaidOutCoupon]) -> list[str]:
    """Lays out every prize's coupon in every language offered: a character no font covers, or a text too long even
    at its smallest size, is named with its field."""
    problems: list[str] = []
    for language, index, face in coupon_faces(config):
        layout = lay_out(face, config)
        for field, characters in layout.missing_glyphs.items():
            listed = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in characters)
            problems.append(
                f"{_where(config, field, language, index)}: {listed} cannot be drawn on the {language} coupon: no "
                "font has them (coupon.fonts, then the bundled DejaVu Sans and Noto Color Emoji 2.042, emoji of "
                "Unicode 15.0): add a font that covers them to coupon.fonts, or change the text"
            )
        problems += [
            f"{_where(config, field, language, index)}: too long for the {language} coupon: even at its smallest "
            "size it is cut short with '…'; shorten it"
            for field in layout.cut
        ]
    return list(dict.fromkeys(problems))  # the venue and the language's texts are on every prize's coupon


def secret_name_problems(config: ClientConfig) -> list[str]:
    """Every SSM parameter the file names is the venue's own, under /tagback/<client-id>/: a file copied from another
    venue's must not point at its secrets (`tagback connect` would overwrite its token), and the staff redemption page
    reads the signing key by its one name (docs/design.md)."""
    prefix = f"/tagback/{config.client_id}/"
    problems = [
        f"{where}: {name} is not under {prefix}: each venue's secrets are its own (README: Add a venue)"
        for where, name in config.ssm_parameters().items()
        if not name.startswith(prefix)
    ]
    expected_key = coupon_signing_key_parameter(config.client_id)
    if config.secrets.coupon_signing_key.startswith(prefix) and config.secrets.coupon_signing_key != expected_key:
        problems.append(
            f"secrets.coupon_signing_key: must be {expected_key}: the staff redemption page reads the key by that name"
        )
    return problems
