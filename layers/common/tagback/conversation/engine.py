"""The conversation engine: what Tagback does with each inbound event and scheduled step. The only place that
decides which flow goes on; the flows live beside it, one module each.

A story mention claims the guest's award for the claim period (`mention`), asks for the language (`language`) or
the table (`table`) when needed, then delivers the prize (`delivery`) and offers contact capture (`contact`).
Replies (quick replies, postbacks, text) move the guest's conversation on: language choice, table number, review
yes/no (`review`), contact choice and values, STOP (`stop`). Anything the engine did not ask for gets one helpful
reply a day (`fallback`).
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
from tagback.conversation.outcome import Outcome
from tagback.conversation.ports import (
    ConversationStore,
    CouponImages,
    Messenger,
    PhoneReader,
    SecretReader,
    StepScheduler,
)
from tagback.conversation.review import Reviews
from tagback.conversation.stop import is_stop, opt_out
from tagback.conversation.table import Tables
from tagback.conversation.waiting import Waiting
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
    _waiting: Waiting = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ctx = ctx = Context(self.config, self.store, self.messenger, self.clock)
        self._contacts = Contacts(ctx, self.valid_phone)
        delivery = Delivery(ctx, self.images, self.scheduler, self.rng, self.secret, self._contacts)
        self._tables = Tables(ctx, delivery)
        self._languages = Languages(ctx, self.scheduler, self._tables, delivery)
        self._mentions = Mentions(ctx, self._languages, self._tables, delivery)
        self._reviews = Reviews(ctx, self.rng, self.link_prefix)
        self._waiting = Waiting(ctx, delivery, self._reviews)

    def handle(self, event: InboundEvent) -> Outcome:
        guest = self.store.guests.get(event.guest_id) or Guest(event.guest_id)
        if guest.opted_out_at is not None:
            return Outcome.SILENCED
        if event.kind is EventKind.DELETED:
            return Outcome.IGNORED
        if event.kind is EventKind.STORY_MENTION:
            return self._mentions.handle(event, guest)
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
        if event.kind in (EventKind.TEXT, EventKind.QUICK_REPLY, EventKind.STORY_REPLY) and is_stop(event.text):
            return opt_out(self._ctx, guest)
        payload = event.payload or ""
        if event.kind in (EventKind.QUICK_REPLY, EventKind.POSTBACK):
            match payloads.decode(payload):
                case payloads.LanguageChoice(code):
                    return self._languages.chosen(guest, code)
                case payloads.ReviewAnswer(period, yes):
                    return self._reviews.answer(guest, AwardKey(guest.guest_id, period), yes=yes)
                case payloads.ContactChoice(choice):
                    return self._contacts.choice(guest, choice)
        answer = event.text or payload  # Meta's email / phone quick replies carry the value itself
        if guest.awaiting is Awaiting.TABLE and event.kind is not EventKind.STORY_REPLY:
            return self._tables.answer(guest, answer)
        if guest.awaiting in (Awaiting.EMAIL, Awaiting.PHONE) and event.kind is not EventKind.STORY_REPLY:
            return self._contacts.value(guest, answer)
        if guest.awaiting is Awaiting.LANGUAGE and (chosen := named(answer)) is not None:
            return self._languages.chosen(guest, chosen)
        return fallback(self._ctx, guest)
