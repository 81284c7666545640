"""The venue's own questions (the client file's `questions`): asked after the prize and the contact question, one at
a time, each answer choosing the next (a reply's `next`, else the question's, else the end).

An answer is a tapped reply, a reply's title typed (in any offered language), or free text of the question's kind
(text, number, month, date, email, phone — email and phone read as the contact question reads them). Once it is
understood, the tapped reply's `say` — for free text, the question's — is sent before the next question. The answer
goes to the owner's sheet and CRM as an `answer` event whose id names the award and the question (queued once); only
the open question is answered — a late tap on an earlier one, or a second tap once the guest moved on, is ignored —
and a redelivered answer is answered once (the engine's `answer_once`): nothing advances or is sent twice. An
answer that does not fit is asked again once (`question_again`), then the question is skipped along its `next`:
never a dead end. A personal question is asked only of a guest who gave their contact with consent; for any other
it is skipped the same way. STOP ends the questions (`stop`); the review question, when it comes, closes an open one
(`review`): an unanswered question never holds up the review."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from babel.dates import get_month_names

from tagback.config.model import QUESTION_END, Question, QuestionReply
from tagback.conversation import payloads
from tagback.conversation.contact import valid_email
from tagback.conversation.context import ANSWER_TRIES, Context
from tagback.conversation.outcome import Outcome
from tagback.conversation.ports import PhoneReader
from tagback.conversation.stop import Stops, normalized
from tagback.domain.awards import PRIZE_GIVEN, Awaiting, Award, AwardKey, Guest
from tagback.domain.events import OutboxEvent
from tagback.domain.languages import Language, locale_of
from tagback.domain.messaging import QuickReply

ANSWER_EVENT = "answer"
TEXT_ANSWER_LIMIT = 200  # characters of a free-text answer kept: what the venue asked for, not a letter
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$|^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_CONTACT_QUESTION = (Awaiting.CONTACT_CHOICE, Awaiting.EMAIL, Awaiting.PHONE)


def question_text(question: Question, language: Language) -> str:
    return question.text[language]


def reply_title(reply: QuestionReply, language: Language) -> str:
    return reply.title[language]


def next_after(question: Question, reply: QuestionReply | None = None) -> str | None:
    """The id of the question that follows (after `reply`, when one was chosen); None at the end."""
    following = reply.next if reply is not None and reply.next is not None else question.next
    return None if following == QUESTION_END else following


@dataclass(frozen=True)
class Questions:
    ctx: Context
    valid_phone: PhoneReader
    stops: Stops

    def begin(self, award: Award, guest: Guest) -> None:
        """The first question, once per award, after its prize: not while the contact question asked for this award
        is open (its end begins them), nor once the review question was asked, nor after STOP."""
        ctx = self.ctx
        config = ctx.config
        if (
            not config.questions
            or award.state not in PRIZE_GIVEN
            or award.questions_begun_at is not None
            or award.followup_state is not None
            or self.stops.suppressed(guest)
        ):
            return
        asked_at = guest.contact_asked_at
        if guest.awaiting in _CONTACT_QUESTION and asked_at is not None and asked_at >= award.claimed_at:
            return
        self._ask_from(guest, award.key.period, config.questions[0].id)
        ctx.update(award, questions_begun_at=ctx.clock.now())  # after the ask: a throttled one is asked on the retry

    def after_contact(self, guest: Guest) -> None:
        """The contact question is over: the questions of the guest's latest award begin."""
        award = self.ctx.store.awards.latest(guest.guest_id)
        if award is not None:
            self.begin(award, guest)

    def asking(self, guest: Guest) -> Question | None:
        if guest.awaiting is not Awaiting.QUESTION or guest.question is None:
            return None
        return self.ctx.config.question(guest.question)

    def close(self, guest: Guest) -> None:
        """The open question is over unanswered (the review question came)."""
        if guest.awaiting is Awaiting.QUESTION:
            self.ctx.save(guest, awaiting=None, question=None, question_period=None, tries=0)

    def tapped(self, guest: Guest, tap: payloads.QuestionReply) -> Outcome:
        question = self.asking(guest)
        if question is None or question.id != tap.question or guest.question_period != tap.period:
            return Outcome.IGNORED  # a reply to a question closed or answered already
        reply = next((r for r in question.replies if r.id == tap.reply), None)
        if reply is None:
            return Outcome.IGNORED
        return self._answered(guest, question, reply.id, reply)

    def typed(self, guest: Guest, text: str) -> Outcome:
        """A written answer to the open question: a reply's title, or free text of the question's kind."""
        question = self.asking(guest)
        if question is None:
            return Outcome.IGNORED
        if question.replies:
            reply = self._titled(question, text)
            if reply is not None:
                return self._answered(guest, question, reply.id, reply)
        else:
            value = self._read(question, text)
            if value is not None:
                return self._answered(guest, question, value, None)
        ctx = self.ctx
        if guest.tries + 1 < ANSWER_TRIES:
            ctx.save(guest, tries=guest.tries + 1)
            self._send(guest, question, again=True)
            return Outcome.REPLIED
        self._ask_from(guest, guest.question_period or "", next_after(question))  # asked twice: skipped
        return Outcome.REPLIED

    def _answered(self, guest: Guest, question: Question, answer: str, reply: QuestionReply | None) -> Outcome:
        ctx = self.ctx
        period = guest.question_period or ""
        now = ctx.clock.now()
        event = OutboxEvent(
            event_id=f"{ANSWER_EVENT}-{AwardKey(guest.guest_id, period).award_id}-{question.id}",
            event_type=ANSWER_EVENT,
            occurred_at=now,
            guest_id=guest.guest_id,
            display_name=guest.display_name,
            language=ctx.language(guest),
            question=question.id,
            answer=answer,
        )
        # The question is still open here (tapped, typed): an earlier attempt that queued the answer and then was
        # throttled moves the guest on now; the event's id queues it once.
        if ctx.store.outbox.add(event, ctx.expiry()):
            ctx.count("answers", f"answers_{question.id}")
        say = reply.say if reply is not None else question.say  # a free-text answer: the question's own
        if say:
            ctx.send(guest, say[ctx.language(guest)])
        self._ask_from(guest, period, next_after(question, reply))
        return Outcome.REPLIED

    def _ask_from(self, guest: Guest, period: str, question_id: str | None) -> None:
        """Ask the question, or the first after it the guest may be asked (a personal one needs their consent); at
        the end, nothing is open any more."""
        config = self.ctx.config
        while question_id is not None:
            question = config.question(question_id)
            assert question is not None  # config/checks.py: every `next` names a question
            if not question.personal or _consented(guest):
                self.ctx.save(guest, awaiting=Awaiting.QUESTION, question=question.id, question_period=period, tries=0)
                self._send(guest, question)
                return
            question_id = next_after(question)
        if guest.awaiting is Awaiting.QUESTION:
            self.ctx.save(guest, awaiting=None, question=None, question_period=None, tries=0)

    def _send(self, guest: Guest, question: Question, *, again: bool = False) -> None:
        ctx = self.ctx
        language = ctx.language(guest)
        text = question_text(question, language)
        if again:
            text = f"{ctx.text(guest, 'question_again')}\n{text}"
        period = guest.question_period or ""
        replies = [
            QuickReply(reply_title(r, language), payloads.encode(payloads.QuestionReply(question.id, r.id, period)))
            for r in question.replies
        ]
        if question.expects in ("email", "phone"):  # Meta offers the guest's own as a one-tap reply
            replies = [QuickReply("", "", "user_email" if question.expects == "email" else "user_phone_number")]
        ctx.ask(guest, text, replies)

    def _titled(self, question: Question, text: str) -> QuestionReply | None:
        """The reply whose title (in any offered language) the text is; None for none, or for more than one."""
        typed = normalized(text)
        found = {
            reply.id: reply
            for reply in question.replies
            for language in self.ctx.config.languages
            if normalized(reply_title(reply, language)) == typed
        }
        return next(iter(found.values())) if len(found) == 1 else None

    def _read(self, question: Question, text: str) -> str | None:
        """The free-text answer in its kind's form, or None when it is not one."""
        text = text.strip()
        match question.expects:
            case "email":
                return valid_email(text)
            case "phone":
                return self.valid_phone(text, self.ctx.config.contact_capture.phone_region)
            case "number":
                return text.replace(",", ".") if _NUMBER.match(text) else None
            case "month":
                return _month(text, self.ctx.config.languages)
            case "date":
                return _date(text)
            case _:
                return " ".join(text.split())[:TEXT_ANSWER_LIMIT] or None


def _consented(guest: Guest) -> bool:
    """The guest gave a contact with consent (the contact question), and has not withdrawn it (STOP)."""
    return guest.email_consent_at is not None or guest.phone_consent_at is not None


def _month(text: str, languages: list[Language]) -> str | None:
    """A month as its number ("3", "03") or its name, full or short, in any offered language: "03"."""
    typed = normalized(text)
    if typed.isdigit() and 1 <= int(typed) <= 12:
        return f"{int(typed):02d}"
    for language in languages:
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale_of(language)).items():
                if normalized(name).rstrip(".") == typed:
                    return f"{number:02d}"
    return None


def _date(text: str) -> str | None:
    """A date written 2026-03-14, 14.03.2026, 14/03/2026 or 14-03-2026 (day first): "2026-03-14"."""
    match = _DATE.match(text)
    if match is None:
        return None
    year, month, day = (match[1], match[2], match[3]) if match[1] else (match[6], match[5], match[4])
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None
