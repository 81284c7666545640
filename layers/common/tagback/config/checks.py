"""The checks a client's texts pass before a deploy: every language the client offers has every text (built in, or
given in the client's file), each with known placeholders only, the required ones present, and within Meta's limits
when filled with the longest values the client can produce; every prize has its name in every language offered; and
(`check-config`, which passes the image adapter's layout in) every coupon can be drawn whole."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Final, Protocol, get_args

from tagback.config.model import QUESTION_END, AnswerKind, ClientConfig, Question
from tagback.domain.awards import CouponFace
from tagback.domain.languages import LANGUAGES, Language
from tagback.domain.messaging import BUTTON_TEXT_LIMIT, QUICK_REPLY_LIMIT, QUICK_REPLY_TITLE_LIMIT, TEXT_LIMIT_BYTES
from tagback.domain.redemption import coupon_signing_key_parameter
from tagback.messages.catalog import BUTTON_TITLES, MESSAGE_KEYS, PLACEHOLDERS, REQUIRED_PLACEHOLDERS
from tagback.messages.render import channels_text, first_dm_footer, format_date, placeholders_in, render, template

FIRST_DM_KEYS: Final = frozenset({"language_question", "table_question", "prize_awarded", "all_prizes_given"})
ANSWER_KINDS: Final = get_args(AnswerKind)
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


def question_problems(config: ClientConfig) -> list[str]:
    """The venue's questions (`questions`): ids once each, texts in every language offered (and no other), within
    Meta's limits (quick replies, their titles, a text with the re-ask before it), a personal question only with
    contact capture (its consent), a question's own `say` only on free text (replies say theirs), and a path from
    the first question that reaches every question and always ends: no unknown `next`, no cycle."""
    problems: list[str] = []
    ids = [question.id for question in config.questions]
    for index, question in enumerate(config.questions):
        where = f"questions[{index}]"
        if question.id == QUESTION_END:
            problems.append(f"{where}.id: {QUESTION_END!r} means the end of the questions: choose another id")
        if ids.index(question.id) != index:
            problems.append(f"{where}.id: {question.id!r} is also questions[{ids.index(question.id)}]'s id")
        problems += _question_shape(config, question, where)
        problems += _texts(config, question.text, f"{where}.text", byte_limit=TEXT_LIMIT_BYTES - _reask_bytes(config))
        if question.say and question.replies:
            problems.append(f"{where}.say: a question with replies says its text on each reply (replies[n].say)")
        elif question.say:
            problems += _texts(config, question.say, f"{where}.say", byte_limit=TEXT_LIMIT_BYTES)
        reply_ids = [reply.id for reply in question.replies]
        for number, reply in enumerate(question.replies):
            at = f"{where}.replies[{number}]"
            if reply_ids.index(reply.id) != number:
                problems.append(f"{at}.id: {reply.id!r} is also replies[{reply_ids.index(reply.id)}]'s id")
            problems += _texts(config, reply.title, f"{at}.title", char_limit=QUICK_REPLY_TITLE_LIMIT)
            if reply.say:
                problems += _texts(config, reply.say, f"{at}.say", byte_limit=TEXT_LIMIT_BYTES)
    return problems + _path_problems(config)


def _reask_bytes(config: ClientConfig) -> int:
    """What the re-ask adds before a question's text: `question_again` and a line break, in the longest language."""
    known = [language for language in config.languages if language in LANGUAGES or language in config.messages]
    return max((len(template(config, "question_again", language).encode()) + 1 for language in known), default=0)


def _question_shape(config: ClientConfig, question: Question, where: str) -> list[str]:
    if bool(question.replies) == (question.expects is not None):
        return [f"{where}: give either replies (quick replies) or expects (free text: {', '.join(ANSWER_KINDS)})"]
    problems = []
    if len(question.replies) > QUICK_REPLY_LIMIT:
        problems.append(f"{where}.replies: {len(question.replies)} replies, Meta allows {QUICK_REPLY_LIMIT}")
    if question.personal and config.contact_capture.channels == "off":
        problems.append(
            f"{where}.personal: a personal question is asked only after the guest's consent, which the contact "
            "question asks: turn contact_capture on, or make the question personal: false"
        )
    if question.expects in ("email", "phone") and not question.personal:
        problems.append(f"{where}.personal: an {question.expects} answer is personal data: set personal: true")
    return problems


def _texts(
    config: ClientConfig,
    texts: Mapping[Language, str],
    where: str,
    *,
    char_limit: int | None = None,
    byte_limit: int | None = None,
) -> list[str]:
    """A question's text in every language offered (others are kept, as prizes' names are, for a language the venue
    may offer again), each within its limit."""
    problems = [f"{where}.{language}: missing" for language in config.languages if language not in texts]
    for language, text in texts.items():
        if char_limit is not None and len(text) > char_limit:
            problems.append(f"{where}.{language}: {len(text)} characters, Meta allows {char_limit}")
        if byte_limit is not None and len(text.encode()) > byte_limit:
            allowed = f"{byte_limit} with the re-ask" if byte_limit < TEXT_LIMIT_BYTES else str(byte_limit)
            problems.append(f"{where}.{language}: {len(text.encode())} bytes, Meta allows {allowed}")
    return problems


def _path_problems(config: ClientConfig) -> list[str]:
    """Every `next` names a question (or end), every question is reached from the first, and no path comes back to
    a question it passed (each guest's questions end)."""
    if not config.questions:
        return []
    index = {question.id: number for number, question in enumerate(config.questions)}
    problems: list[str] = []
    leads: dict[str, list[str]] = {}
    for number, question in enumerate(config.questions):
        targets = [(f"questions[{number}].next", question.next)]
        targets += [(f"questions[{number}].replies[{n}].next", reply.next) for n, reply in enumerate(question.replies)]
        leads[question.id] = []
        for where, target in targets:
            if target is None or target == QUESTION_END:
                continue
            if target not in index:
                problems.append(f"{where}: no question has the id {target!r} (or write {QUESTION_END})")
            else:
                leads[question.id].append(target)
    # Depth first: a question met again while its own paths are walked is a cycle.
    done: set[str] = set()
    cycles: set[str] = set()

    def walk(path: list[str]) -> None:
        for target in dict.fromkeys(leads[path[-1]]):
            if target in path:
                loop = " → ".join([*path[path.index(target) :], target])
                cycles.add(f"questions[{index[path[-1]]}]: leads back to {target!r}, a cycle: {loop}")
            elif target not in done:
                walk([*path, target])
        done.add(path[-1])

    walk([config.questions[0].id])
    problems += sorted(cycles)
    problems += [
        f"questions[{number}]: {question.id!r} is never asked: no question leads to it (the first question, "
        f"{config.questions[0].id!r}, is asked after the prize)"
        for number, question in enumerate(config.questions)
        if question.id not in done and index[question.id] == number
    ]
    return problems
