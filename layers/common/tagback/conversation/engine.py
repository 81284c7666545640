"""The conversation engine: what Tagback does with each inbound event and scheduled step. The only place that
decides which flow goes on; the flows live beside it, one module each.

A story mention claims the guest's award for the claim period (`mention`), asks for the language (`language`) or
the table (`table`) when needed, then delivers the prize (`delivery`) and offers contact capture (`contact`), then
asks the venue's own questions (`questions`). Replies (quick replies, postbacks, text) move the guest's conversation
on: language choice, table number, review yes/no (`review`), contact choice and values, answers to the venue's
questions, STOP and START (`stop`); a yes or no typed instead of tapped (`yes_no`)
answers the open review or contact question as its button would. Anything the engine did not ask for gets one
helpful reply a day in each language (`fallback`). A guest who said STOP is answered only what they ask for
themselves: a story's prize (with the language or table question it needs) and START.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tagback.config.model import ClientConfig
from tagback.conversation import payloads
from tagback.conversation.contact import Contacts
from tagback.conversation.context import Context
from tagback.conversation.delivery import Delivery
from tagback.conversation.fallback import fallback
from tagback.conversation.language import Languages, named
from tagback.conversation.mention import Mentions
from tagback.conversation.once import Once
from tagback.conversation.outcome import Outcome
from tagback.conversation.ports import (
    ConversationStore,
    CouponImages,
    Messenger,
    PhoneReader,
    SecretReader,
    StepScheduler,
)
from tagback.conversation.questions import Questions
from tagback.conversation.review import Reviews
from tagback.conversation.stop import Stops, is_start, is_stop
from tagback.conversation.table import Tables
from tagback.conversation.waiting import Waiting
from tagback.conversation.yes_no import yes_or_no
from tagback.domain.awards import Awaiting, AwardKey, FollowUpState, Guest
from tagback.domain.clock import Clock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.prizes import RandomSource


@dataclass
class Engine:
    config: ClientConfig
    store: ConversationStore
    messenger: Messenger
    images: CouponImages
    scheduler: StepScheduler
    clock: Clock
    rng: RandomSource
    secret: SecretReader  # read when needed, so a function that never issues coupons never reads the key
    link_prefix: str  # where the client's tracked links start: the edge's /l/<client-id>
    valid_phone: PhoneReader
    _ctx: Context = field(init=False, repr=False)
    _mentions: Mentions = field(init=False, repr=False)
    _languages: Languages = field(init=False, repr=False)
    _tables: Tables = field(init=False, repr=False)
    _reviews: Reviews = field(init=False, repr=False)
    _contacts: Contacts = field(init=False, repr=False)
    _questions: Questions = field(init=False, repr=False)
    _waiting: Waiting = field(init=False, repr=False)
    _stops: Stops = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ctx = ctx = Context(self.config, self.store, self.messenger, self.clock)
        self._stops = Stops(ctx, self.secret)
        self._questions = Questions(ctx, self.valid_phone, self._stops)
        self._contacts = Contacts(ctx, self.valid_phone, self._questions)
        once = Once(ctx)
        delivery = Delivery(
            ctx, self.images, self.scheduler, self.rng, self.secret, self._contacts, self._questions, self._stops, once
        )
        self._tables = Tables(ctx, delivery)
        self._languages = Languages(ctx, self.scheduler, self._tables, delivery)
        self._mentions = Mentions(ctx, self._languages, self._tables, delivery)
        self._reviews = Reviews(ctx, self.rng, self.link_prefix, self._stops, once, self._questions)
        self._waiting = Waiting(ctx, delivery, self._reviews)

    def handle(self, event: InboundEvent) -> Outcome:
        guest = self.store.guests.get(event.guest_id) or Guest(event.guest_id)
        if event.kind is EventKind.DELETED:
            return Outcome.IGNORED
        if event.kind is EventKind.STORY_MENTION:  # the guest's own request, stopped or not
            return self._mentions.handle(event, guest)
        if self._stops.suppressed(guest):
            if not self._asked_while_stopped(event, guest):
                return Outcome.SILENCED
            return self._ctx.answer_once(event, lambda: (self._reply_while_stopped(event, guest), None))
        return self._ctx.answer_once(event, lambda: (self._reply_to(event, guest), None))

    def follow_up(self, key: AwardKey) -> FollowUpState | None:
        """Ask for a review, once per award; None when there is no such award."""
        return self._reviews.follow_up(key)

    def language_timeout(self, key: AwardKey) -> Outcome:
        """No language chosen in time: go on in the client's default language."""
        return self._languages.timeout(key)

    def resume_waiting(self) -> Counter[str]:
        """The venue's token works again: send the prize DMs and review questions that waited for it."""
        return self._waiting.resume()

    def _reply_to(self, event: InboundEvent, guest: Guest) -> Outcome:
        if _typed(event) and is_stop(event.text):
            return self._stops.stop(event, guest)
        if _typed(event) and is_start(event.text):
            return self._stops.start(guest)
        if (tapped := self._tapped(event, guest)) is not None:
            return tapped
        answer = event.text or event.payload or ""  # Meta's email / phone quick replies carry the value itself
        self._close_past_table_question(guest)
        if guest.awaiting is Awaiting.TABLE and event.kind is not EventKind.STORY_REPLY:
            return self._tables.answer(guest, answer)
        if guest.awaiting is Awaiting.LANGUAGE:
            return self._languages.answer(guest, answer)
        if guest.awaiting is Awaiting.QUESTION and event.kind is not EventKind.STORY_REPLY:
            return self._questions.typed(guest, answer)
        if event.kind is EventKind.TEXT and (outcome := self._typed_yes_or_no(guest, answer)) is not None:
            return outcome
        if guest.awaiting in (Awaiting.EMAIL, Awaiting.PHONE) and event.kind is not EventKind.STORY_REPLY:
            return self._contacts.value(guest, answer)
        if len(self.config.languages) > 1 and (typed := named(answer, self.config.languages)) is not None:
            return self._languages.chosen(guest, typed, typed=True)
        return fallback(self._ctx, guest)

    def _tapped(self, event: InboundEvent, guest: Guest) -> Outcome | None:
        """What a tap answers; None for anything but a tap, and for a payload the engine did not build."""
        if event.kind not in (EventKind.QUICK_REPLY, EventKind.POSTBACK):
            return None
        match payloads.decode(event.payload or ""):
            case payloads.LanguageChoice(code):
                return self._languages.chosen(guest, code)
            case payloads.ReviewAnswer(period, yes):
                return self._reviews.answer(guest, AwardKey(guest.guest_id, period), yes=yes)
            case payloads.ContactChoice(choice):
                return self._contacts.choice(guest, choice)
            case payloads.QuestionReply() as reply:
                return self._questions.tapped(guest, reply)
        return None

    def _typed_yes_or_no(self, guest: Guest, answer: str) -> Outcome | None:
        """A typed yes or no answers the guest's open question, as its button would: the review question of their
        latest award (asked after any contact question), else the contact question. None for anything else, or
        when neither is open."""
        if (yes := yes_or_no(self._ctx, answer)) is None:
            return None
        if (review := self._reviews.open_question(guest)) is not None:
            return self._reviews.answer(guest, review, yes=yes)
        if guest.awaiting is Awaiting.CONTACT_CHOICE and (choice := self._contacts.typed_choice(yes=yes)) is not None:
            return self._contacts.choice(guest, choice)
        return None

    def _close_past_table_question(self, guest: Guest) -> None:
        """A table question asked for a story of an earlier day is over: that day's prize is gone."""
        if guest.awaiting is Awaiting.TABLE and not self._tables.asking(guest):
            self._tables.close(guest)

    def _asked_while_stopped(self, event: InboundEvent, guest: Guest) -> bool:
        """What a stopped guest may still be answered: START, STOP, and the answer to the language or table
        question of a story's prize."""
        said = _typed(event) and (is_start(event.text) or is_stop(event.text))
        return said or guest.awaiting in (Awaiting.LANGUAGE, Awaiting.TABLE)

    def _reply_while_stopped(self, event: InboundEvent, guest: Guest) -> Outcome:
        if _typed(event) and is_start(event.text):
            return self._stops.start(guest)
        if _typed(event) and is_stop(event.text):
            return self._stops.stop_again(guest)
        answer = event.text or event.payload or ""
        self._close_past_table_question(guest)
        if guest.awaiting is Awaiting.LANGUAGE:
            chosen = payloads.decode(event.payload or "")
            if isinstance(chosen, payloads.LanguageChoice):
                return self._languages.chosen(guest, chosen.code)
            return self._languages.answer(guest, answer)
        if guest.awaiting is Awaiting.TABLE and event.kind is not EventKind.STORY_REPLY:
            return self._tables.answer(guest, answer)
        return Outcome.SILENCED


def _typed(event: InboundEvent) -> bool:
    """A message the guest wrote (or a quick reply's title): where STOP and START are read."""
    return event.kind in (EventKind.TEXT, EventKind.QUICK_REPLY, EventKind.STORY_REPLY)
