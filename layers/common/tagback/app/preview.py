"""`make preview` (tools/preview.py): the whole conversation a guest has with the venue, in every language it
offers, as one page the agency sends the owner for approval before going live.

Nothing here writes a guest's text: the page is what the real engine sends, played against a fresh table for each
conversation (the CLI gives tables in memory) with a messenger that records instead of calling Meta, on a clock that
jumps to the follow-up. So the page cannot drift from what guests get: the same catalog, overrides, composition
(the first DM's disclosure and terms), buttons and coupon images.

Per language: a guest who picks it, wins, leaves an email and/or phone (each mistyped first), answers the venue's
own questions (the first reply each time), mentions the venue again, is asked for a review when the follow-up is due
and says yes; a guest who declines both, then says STOP; and a guest per other prize, each with its coupon. Then
every branch of the venue's questions: each question as the guest sees it, and where each answer leads (the same
texts the engine sends, `conversation.questions`).
"""

from __future__ import annotations

import base64
import html
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final, Literal

from tagback.config.model import ClientConfig, Prize, Question, span_bounds
from tagback.conversation import payloads
from tagback.conversation.engine import Engine
from tagback.conversation.ports import ConversationStore, PhoneReader
from tagback.conversation.questions import next_after, question_text, reply_title
from tagback.domain.awards import Awaiting, AwardKey, CouponFace
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.languages import Language, language_name
from tagback.domain.messaging import Profile, QuickReply, SentMessage, UrlButton
from tagback.domain.steps import Step

# Not the venue's key: the page's codes are samples that no counter accepts.
_SAMPLE_SIGNING_KEY: Final = "preview-sample-codes-only"
_LINK_PREFIX: Final = "https://your-edge.example/l/"
_GUEST_EMAIL: Final = "ana.sousa@example.com"
_MISTYPED_EMAIL: Final = "ana.sousa@example"
_GUEST_PHONE: Final = "+351 912 345 678"
_MISTYPED_PHONE: Final = "91234"
_STOP: Final = "STOP"
# What the preview's guest writes to a free-text question of each kind.
_SAMPLE_ANSWERS: Final = {
    "text": "By the window",
    "number": "2",
    "month": "3",
    "date": "14.03.1990",
    "email": _GUEST_EMAIL,
    "phone": _GUEST_PHONE,
}


@dataclass(frozen=True)
class Bubble:
    """One line of the chat: the venue's message (text, quick replies, URL buttons or an image), the guest's, or a
    note between them ("an hour later")."""

    sender: Literal["venue", "guest", "note"]
    text: str = ""
    image: str | None = None  # the file beside the page
    quick_replies: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scene:
    title: str
    bubbles: tuple[Bubble, ...]


@dataclass(frozen=True)
class Branch:
    """One of the venue's questions as the guest sees it, and where each answer leads (in words)."""

    question: str  # its id
    asked: Bubble
    leads: tuple[str, ...]


@dataclass(frozen=True)
class LanguagePreview:
    language: Language
    scenes: tuple[Scene, ...]
    branches: tuple[Branch, ...] = ()


@dataclass(frozen=True)
class CouponShown:
    prize: str
    language: Language
    image: str


@dataclass(frozen=True)
class Preview:
    config: ClientConfig
    languages: tuple[LanguagePreview, ...]
    coupons: tuple[CouponShown, ...]


class _Recorder:
    """The messenger: what the engine sends becomes the chat's bubbles, with the guest's taps and words beside."""

    def __init__(self) -> None:
        self.bubbles: list[Bubble] = []
        self._mids = itertools.count(1)

    def _sent(self, bubble: Bubble) -> str:
        self.bubbles.append(bubble)
        return f"preview-{next(self._mids)}"

    def send_text(self, recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str:
        return self._sent(Bubble("venue", text, quick_replies=tuple(_title(reply) for reply in quick_replies)))

    def send_image(self, recipient: str, url: str) -> str:
        return self._sent(Bubble("venue", image=url))

    def send_buttons(self, recipient: str, text: str, buttons: Sequence[UrlButton]) -> str:
        return self._sent(Bubble("venue", text, buttons=tuple(button.title for button in buttons)))

    def profile(self, guest_id: str) -> Profile:
        return Profile(name=guest_id, username=guest_id.lower())

    def sent_since(self, recipient: str, since: datetime) -> list[SentMessage]:
        return []  # nothing is ever lost in the preview, so the engine never looks


def _title(reply: QuickReply) -> str:
    """What the button shows: its title, or what Instagram fills in for the guest's own email and phone."""
    return reply.title or {"user_email": _GUEST_EMAIL, "user_phone_number": _GUEST_PHONE}[reply.content_type]


class _Images:
    """The coupon images, drawn as the venue's function draws them, saved beside the page under the prize's id and
    the language (the face has neither)."""

    def __init__(self, draw: Callable[[CouponFace], bytes], folder: Path, prize: Prize, language: Language) -> None:
        self._draw, self._folder = draw, folder
        self.named = f"coupon-{prize.id}-{language}.png"

    def publish(self, face: CouponFace, valid_days: int) -> str:
        (self._folder / self.named).write_bytes(self._draw(face))
        return self.named


class _Scheduler:
    def __init__(self) -> None:
        self.due: dict[tuple[Step, AwardKey], datetime] = {}

    def schedule(self, step: Step, key: AwardKey, due: datetime) -> None:
        self.due.setdefault((step, key), due)


class _Secrets:
    def __call__(self, name: str) -> str:
        return _SAMPLE_SIGNING_KEY


@dataclass
class _Conversation:
    """One guest's chat with the engine, on its own table and clock."""

    config: ClientConfig
    store: ConversationStore
    images: _Images
    valid_phone: PhoneReader
    now: datetime
    guest: str  # as the notes between the messages name the guest
    recorder: _Recorder = field(default_factory=_Recorder)
    scheduler: _Scheduler = field(default_factory=_Scheduler)
    clock: ManualClock = field(init=False)
    engine: Engine = field(init=False)
    _mids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.clock = ManualClock(self.now)
        self.engine = Engine(
            config=self.config,
            store=self.store,
            messenger=self.recorder,
            images=self.images,
            scheduler=self.scheduler,
            clock=self.clock,
            rng=random.Random(0),  # noqa: S311 - sample codes and links: the same page on every run
            secret=_Secrets(),
            link_prefix=_LINK_PREFIX + self.config.client_id,
            valid_phone=self.valid_phone,
        )

    def note(self, text: str) -> None:
        self.recorder.bubbles.append(Bubble("note", text))

    def _event(self, kind: EventKind, text: str | None = None, payload: str | None = None) -> None:
        self.clock.advance(timedelta(seconds=20))
        mid = f"guest-{next(self._mids)}"
        self.engine.handle(InboundEvent(kind, mid, self.guest, "venue", self.clock.now(), text=text, payload=payload))

    def mention(self) -> None:
        self.note(f"{self.guest} posts a story that mentions @{self.config.instagram_username}")
        self._event(EventKind.STORY_MENTION)

    def says(self, text: str) -> None:
        self.recorder.bubbles.append(Bubble("guest", text))
        self._event(EventKind.TEXT, text=text)

    def taps(self, title: str, payload: str) -> None:
        self.recorder.bubbles.append(Bubble("guest", title))
        self._event(EventKind.QUICK_REPLY, text=title, payload=payload)

    def picks(self, language: Language) -> None:
        if len(self.config.languages) > 1:
            self.taps(language_name(language), payloads.encode(payloads.LanguageChoice(language)))
        if self.config.per_table:
            self.says(str(span_bounds((self.config.tables or ["1"])[0])[0]))

    def follow_up(self) -> AwardKey:
        (_, key), due = next((k, due) for k, due in self.scheduler.due.items() if k[0] is Step.FOLLOW_UP)
        self.note(f"{self.config.followup_delay_minutes} minutes later")
        self.clock.advance(due - self.clock.now())
        self.engine.follow_up(key)
        return key

    def answer_contact(self) -> None:
        """Take up the offer (all channels, when both are offered), then give each value asked for (mistyped first)."""
        channels = self.config.contact_capture.channels
        if channels == "off":
            return
        offered = self.recorder.bubbles[-1].quick_replies  # yes / no; with both: each choice, in the payloads' order
        choice = offered[payloads.CONTACT_CHOICES.index(channels)] if channels == "both" else offered[0]
        self.taps(choice, payloads.encode(payloads.ContactChoice(channels)))
        wanted = [channels] if channels != "both" else ["email", "phone"]
        for channel in wanted:
            good, bad = (_GUEST_EMAIL, _MISTYPED_EMAIL) if channel == "email" else (_GUEST_PHONE, _MISTYPED_PHONE)
            self.says(bad)
            self.says(good)

    def answer_questions(self) -> None:
        """Answer each of the venue's questions asked: the first reply, or a sample of the free text's kind."""
        for _ in self.config.questions:  # each question once at most: every path ends (config/checks.py)
            guest = self.store.guests.get(self.guest)
            question = self.config.question(guest.question or "") if guest is not None else None
            if guest is None or guest.awaiting is not Awaiting.QUESTION or question is None:
                return
            if question.replies:
                reply = question.replies[0]
                tap = payloads.QuestionReply(question.id, reply.id, guest.question_period or "")
                self.taps(reply_title(reply, guest.language or self.config.default_language), payloads.encode(tap))
            else:
                self.says(_SAMPLE_ANSWERS[question.expects or "text"])

    def scene(self, title: str) -> Scene:
        return Scene(title, tuple(self.recorder.bubbles))


def _one_prize(config: ClientConfig, prize: Prize) -> ClientConfig:
    """The client with only this prize in the draw, so each prize's message and coupon can be shown."""
    only = prize.model_copy(update={"weight": Decimal(100), "daily_cap": None})
    return config.model_copy(update={"prizes": [only]})


@dataclass(frozen=True)
class _Player:
    """Plays one language's conversations, each on a fresh table."""

    config: ClientConfig
    language: Language
    new_table: Callable[[], ConversationStore]
    draw: Callable[[CouponFace], bytes]
    folder: Path
    valid_phone: PhoneReader
    now: datetime

    def won(self, prize: Prize, guest: str = "Ana") -> _Conversation:
        """A guest's story, language and table answers: the prize, its coupon and the contact offer."""
        images = _Images(self.draw, self.folder, prize, self.language)
        chat = _Conversation(
            _one_prize(self.config, prize), self.new_table(), images, self.valid_phone, self.now, guest
        )
        chat.mention()
        chat.picks(self.language)
        return chat

    def accepting(self, prize: Prize) -> Scene:
        chat = self.won(prize)
        chat.answer_contact()
        chat.answer_questions()
        chat.mention()
        key = chat.follow_up()
        chat.taps(chat.recorder.bubbles[-1].quick_replies[0], payloads.encode(payloads.ReviewAnswer(key.period, True)))
        questions = ", its questions" if self.config.questions else ""
        return chat.scene(f"{language_name(self.language)}: prize, contact{questions}, a second story, review: yes")

    def declining(self, prize: Prize) -> Scene:
        chat = self.won(prize, guest="Ben")
        if self.config.contact_capture.channels != "off":
            chat.taps(chat.recorder.bubbles[-1].quick_replies[-1], payloads.encode(payloads.ContactChoice("none")))
        key = chat.follow_up()
        chat.taps(
            chat.recorder.bubbles[-1].quick_replies[-1], payloads.encode(payloads.ReviewAnswer(key.period, False))
        )
        chat.says(_STOP)
        return chat.scene(f"{language_name(self.language)}: no contact, review: no, then STOP")

    def prize_only(self, prize: Prize) -> Scene:
        return self.won(prize).scene(f"{language_name(self.language)}: the prize “{prize.name_in(self.language)}”")

    def played(self) -> tuple[LanguagePreview, list[CouponShown]]:
        first, *others = self.config.prizes
        scenes = [self.accepting(first), self.declining(first), *map(self.prize_only, others)]
        coupons = [
            CouponShown(prize.name_in(self.language), self.language, f"coupon-{prize.id}-{self.language}.png")
            for prize in self.config.prizes
        ]
        branches = tuple(_branch(self.config, question, self.language) for question in self.config.questions)
        return LanguagePreview(self.language, tuple(scenes), branches), coupons


def _branch(config: ClientConfig, question: Question, language: Language) -> Branch:
    def leads_to(following: str | None) -> str:
        asked = config.question(following) if following is not None else None
        return f"then “{question_text(asked, language)}”" if asked is not None else "then the questions end"

    replies = tuple(reply_title(reply, language) for reply in question.replies)
    leads = []
    for reply in question.replies:
        says = f" says “{reply.say[language]}”," if reply.say else ""
        leads.append(f"“{reply_title(reply, language)}”:{says} {leads_to(next_after(question, reply))}")
    if question.expects is not None:
        says = f" says “{question.say[language]}”," if question.say else ""
        leads.append(f"Answered in writing ({question.expects}):{says} {leads_to(next_after(question))}")
    leads.append(f"Not understood twice: skipped, {leads_to(next_after(question))}")
    if question.personal:
        leads.append("Personal: asked only of guests who gave their contact with consent; skipped for the others")
    return Branch(question.id, Bubble("venue", question_text(question, language), quick_replies=replies), tuple(leads))


def preview(
    config: ClientConfig,
    folder: Path,
    *,
    new_table: Callable[[], ConversationStore],
    draw_coupon: Callable[[CouponFace, ClientConfig], bytes],
    emoji_font: Callable[[str], bytes | None],
    valid_phone: PhoneReader,
    now: datetime,
) -> Path:
    """Writes `folder/index.html` and the coupon images beside it; returns the page's path. `emoji_font` gives a font
    with the emoji of a text, embedded in the page for a machine without its own (last in the fallback chain)."""
    folder.mkdir(parents=True, exist_ok=True)
    languages, coupons = [], []
    for language in config.languages:
        player = _Player(config, language, new_table, lambda face: draw_coupon(face, config), folder, valid_phone, now)
        played, drawn = player.played()
        languages.append(played)
        coupons += drawn
    shown = Preview(config, tuple(languages), tuple(coupons))
    page = folder / "index.html"
    page.write_text(page_html(shown, emoji_font(_all_text(shown))), encoding="utf-8")
    return page


def _all_text(shown: Preview) -> str:
    bubbles = [bubble for language in shown.languages for scene in language.scenes for bubble in scene.bubbles]
    branches = [branch for language in shown.languages for branch in language.branches]
    bubbles += [branch.asked for branch in branches]
    leads = "".join(lead for branch in branches for lead in branch.leads)
    return "".join("".join((bubble.text, *bubble.quick_replies, *bubble.buttons)) for bubble in bubbles) + leads


_STYLE: Final = """
body{margin:0;background:#e9ecef;color:#111;font:15px/1.4 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif,
"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji","Tagback Emoji"}
header,section>h2,.coupons{max-width:420px;margin:0 auto;padding:16px 12px}
header h1{font-size:20px;margin:0 0 4px} header p{margin:4px 0;color:#555}
section>h2{font-size:18px;padding-bottom:0}
.phone{max-width:400px;margin:12px auto 28px;background:#fff;border-radius:28px;border:1px solid #ccd;
overflow:hidden;box-shadow:0 2px 10px rgba(0,0,0,.12)}
.bar{padding:12px 16px;border-bottom:1px solid #eee;font-weight:600}
.bar small{display:block;font-weight:400;color:#777}
.scene{padding:6px 16px;background:#fafafa;border-bottom:1px solid #eee;color:#444;font-size:13px}
.chat{padding:10px 12px 16px;display:flex;flex-direction:column;gap:6px}
.msg{max-width:78%;padding:8px 12px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere}
.venue{align-self:flex-start;background:#efefef}
.guest{align-self:flex-end;background:#3797f0;color:#fff}
.note{align-self:center;color:#888;font-size:12px;text-align:center;padding:2px 8px}
.image{align-self:flex-start;max-width:62%}
.image img{width:100%;border-radius:14px;display:block}
.replies{display:flex;flex-wrap:wrap;gap:6px;justify-content:flex-end}
.replies span{border:1px solid #3797f0;color:#3797f0;border-radius:16px;padding:4px 12px;font-size:14px}
.card{align-self:flex-start;max-width:78%;display:flex;flex-direction:column;gap:1px}
.card .msg{max-width:none;border-radius:18px 18px 0 0}
.card span{background:#efefef;text-align:center;padding:8px 12px;color:#3797f0;font-weight:600}
.card span:last-child{border-radius:0 0 18px 18px}
section>h3,.explain{max-width:420px;margin:0 auto;padding:4px 12px} section>h3{font-size:16px}
.explain{color:#555;font-size:13px}
.lead{align-self:stretch;border-left:3px solid #3797f0;padding:2px 8px;color:#444;font-size:13px}
.coupons h2{font-size:18px} .coupons figure{margin:0 0 18px} .coupons img{width:100%;border-radius:8px}
.coupons figcaption{color:#555;font-size:13px}
"""


def _bubble_html(bubble: Bubble) -> str:
    if bubble.sender == "note":
        return f'<div class="note">{html.escape(bubble.text)}</div>'
    if bubble.image is not None:
        return f'<div class="image"><img src="{html.escape(bubble.image)}" alt="the coupon"></div>'
    text = f'<div class="msg {bubble.sender}">{html.escape(bubble.text)}</div>'
    if bubble.buttons:  # a button template: the text and its buttons in one card
        buttons = "".join(f"<span>{html.escape(button)}</span>" for button in bubble.buttons)
        return f'<div class="card">{text}{buttons}</div>'
    parts = [text]
    if bubble.quick_replies:
        replies = "".join(f"<span>{html.escape(reply)}</span>" for reply in bubble.quick_replies)
        parts.append(f'<div class="replies">{replies}</div>')
    return "".join(parts)


def _branches_html(branches: Sequence[Branch]) -> str:
    """Every question of the venue's, and where each answer leads; an unanswered one is closed by the review."""
    if not branches:
        return ""
    cards = "".join(
        f'<div class="phone"><div class="scene">Question “{html.escape(branch.question)}”</div>'
        f'<div class="chat">{_bubble_html(branch.asked)}'
        f"{''.join(f'<div class=lead>{html.escape(lead)}</div>' for lead in branch.leads)}</div></div>"
        for branch in branches
    )
    return (
        "<h3>The venue's questions: every branch</h3><p class=explain>After the prize (and the contact question), the "
        "first question; each answer leads on as shown. A question still open when the review question comes is "
        f"closed by it.</p>{cards}"
    )


def page_html(shown: Preview, emoji_font: bytes | None = None) -> str:
    """The page: self-contained (its own CSS, no script, no font or image from elsewhere; the coupons beside it, the
    emoji font in it)."""
    config = shown.config
    venue, handle = html.escape(config.venue_name), html.escape(config.instagram_username)
    sections = []
    for language in shown.languages:
        phones = "".join(
            f'<div class="phone"><div class="bar">{venue}<small>@{handle}</small></div>'
            f'<div class="scene">{html.escape(scene.title)}</div>'
            f'<div class="chat">{"".join(_bubble_html(b) for b in scene.bubbles)}</div></div>'
            for scene in language.scenes
        )
        name = html.escape(language_name(language.language))
        branches = _branches_html(language.branches)
        sections.append(
            f'<section lang="{language.language}"><h2>{name} ({language.language})</h2>{phones}{branches}</section>'
        )
    figures = "".join(
        f'<figure><img src="{html.escape(c.image)}" alt="{html.escape(c.prize)}">'
        f"<figcaption>{html.escape(c.prize)} ({c.language})</figcaption></figure>"
        for c in shown.coupons
    )
    font_face = ""
    if emoji_font is not None:
        embedded = base64.b64encode(emoji_font).decode()
        font_face = f'@font-face{{font-family:"Tagback Emoji";src:url(data:font/ttf;base64,{embedded})}}'
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{venue}: what guests receive</title><style>{font_face}{_STYLE}</style></head><body>"
        f"<header><h1>{venue}: what guests receive</h1>"
        f"<p>Every message as the chatbot sends it on Instagram, in each language guests can choose. "
        f"Coupon codes and links here are samples.</p></header>"
        f'{"".join(sections)}<div class="coupons"><h2>The coupons</h2>{figures}</div></body></html>'
    )
