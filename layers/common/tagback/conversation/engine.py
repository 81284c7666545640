"""The conversation engine: what Tagback does with each inbound event. The only place that decides.

A story mention claims the guest's award for the claim period (a conditional write: exactly one winner under any
concurrency or redelivery) — or, with the per-table option, first asks for the table and claims the table for the
day. With several languages it first asks for one (and goes on in the default if no answer comes in time). Then it
draws a prize within the daily caps, issues a coupon, DMs the prize text with the code, schedules the review
follow-up, sends the coupon image and, if the client wants contacts, asks for them with consent. Every step
records its result before the next, so a redelivered record resumes where the last attempt stopped.

Replies (quick replies, postbacks, text) move the guest's conversation on: language choice, table number, review
yes/no, contact choice and values, STOP. Anything the engine did not ask for gets one helpful reply a day.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from tagback.config.model import ClientConfig, Prize
from tagback.conversation.ports import (
    ConversationStore,
    CouponImages,
    Messenger,
    PhoneReader,
    SecretReader,
    StepScheduler,
)
from tagback.domain.awards import (
    GUEST_WAS_MESSAGED,
    Awaiting,
    Award,
    AwardKey,
    AwardState,
    Coupon,
    CouponFace,
    FollowUpState,
    Guest,
)
from tagback.domain.clock import Clock
from tagback.domain.events import EventKind, InboundEvent, OutboxEvent
from tagback.domain.languages import LANGUAGE_NAMES, Language
from tagback.domain.messaging import ErrorKind, GraphError, QuickReply, UrlButton
from tagback.domain.prizes import RandomSource, draw_within_caps, new_coupon_code
from tagback.domain.stats import count_event, month_of
from tagback.domain.steps import Step
from tagback.messages.catalog import STOP_WORDS
from tagback.messages.render import channels_text, first_dm_footer, format_date, render
from tagback.observability import logger

_CODE_ATTEMPTS = 5
_ANSWER_TRIES = 2  # wrong answers to a question before the engine moves on
MESSAGING_WINDOW = timedelta(hours=24)  # opened by the guest's story mention (Meta's rule)
_LINK_SYMBOLS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TOKEN_LENGTH = 22  # 132 bits
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)
_TABLE = re.compile(r"^\D{0,12}?(\d{1,4})\D{0,3}$")
GOOGLE_REVIEW = "https://search.google.com/local/writereview?placeid={place_id}"


class Outcome(StrEnum):
    DM_SENT = AwardState.DM_SENT.value
    NO_PRIZE_LEFT = AwardState.NO_PRIZE_LEFT.value
    DM_FAILED_PERMANENT = AwardState.DM_FAILED_PERMANENT.value
    DM_FAILED_AUTH = AwardState.DM_FAILED_AUTH.value
    LANGUAGE_ASKED = "language_asked"
    TABLE_ASKED = "table_asked"
    TABLE_TAKEN = "table_taken"
    MENTION_PENDING = "mention_pending"  # another mention of the guest is waiting for its language or table
    REPEAT_REPLIED = "repeat_replied"
    REPLIED = "replied"
    REPLY_FAILED = "reply_failed"
    ALREADY_HANDLED = "already_handled"
    OPTED_OUT = "opted_out"
    SILENCED = "silenced"  # the guest opted out earlier: nothing is sent
    FALLBACK_SENT = "fallback_sent"
    IGNORED = "ignored"


class DeliveryPending(Exception):
    """Meta was throttling or unavailable beyond the client's own retries: the event source retries."""


def is_stop(text: str | None) -> bool:
    if not text:
        return False
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split()) in STOP_WORDS


def valid_email(text: str) -> str | None:
    candidate = text.strip()
    return candidate if len(candidate) <= 254 and _EMAIL.match(candidate) else None


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
    link_base: str  # the public URL tracked links start with (the stack's API)
    valid_phone: PhoneReader

    # -- entry points ----------------------------------------------------------------------------------------
    def handle(self, event: InboundEvent) -> Outcome:
        guest = self.store.guests.get(event.guest_id) or Guest(event.guest_id)
        if guest.opted_out_at is not None:
            return Outcome.SILENCED
        if event.kind is EventKind.DELETED:
            return Outcome.IGNORED
        if event.kind is EventKind.STORY_MENTION:
            return self._story_mention(event, guest)
        return self._answer_once(event, lambda: (self._reply_to(event, guest), None))

    def _answer_once(self, event: InboundEvent, respond: Callable[[], tuple[Outcome, str | None]]) -> Outcome:
        """Answer an inbound event unless it was answered already, then mark it handled (with the reply's id):
        a redelivery sends nothing twice. Meta refusing for good is recorded; throttling retries the event."""
        if self.store.inbound.handled(event):
            return Outcome.ALREADY_HANDLED
        try:
            outcome, reply_mid = respond()
        except GraphError as error:
            if error.retryable:
                raise DeliveryPending(str(error)) from error
            self.store.inbound.mark_handled(event, self.clock.now(), error=str(error)[:300])
            return Outcome.REPLY_FAILED
        self.store.inbound.mark_handled(event, self.clock.now(), reply_mid=reply_mid)
        return outcome

    def follow_up(self, key: AwardKey) -> FollowUpState | None:
        """Ask for a review, once per award, the same way for every guest who got a DM (no gating, no reward).
        Returns the follow-up's state, or None when there is no such award."""
        award = self.store.awards.get(key)
        if award is None:
            logger.error("follow-up for an unknown award", extra={"award": key.award_id})
            return None
        if award.followup_state is not None:
            return award.followup_state  # already asked (or skipped): a second trigger is a no-op
        guest = self.store.guests.get(key.guest_id) or Guest(key.guest_id)
        if guest.opted_out_at is not None:
            return self._followup_done(award, FollowUpState.SKIPPED_OPTED_OUT)
        if award.state not in GUEST_WAS_MESSAGED:
            return self._followup_done(award, FollowUpState.SKIPPED_NOT_MESSAGED)
        if self.clock.now() >= award.mentioned_at + MESSAGING_WINDOW:
            return self._followup_done(award, FollowUpState.SKIPPED_WINDOW)
        answers = [
            QuickReply(self._text(guest, "answer_yes"), f"REVIEW_YES:{key.period}"),
            QuickReply(self._text(guest, "answer_no"), f"REVIEW_NO:{key.period}"),
        ]
        try:
            mid = self._send(guest, self._text(guest, "review_question"), answers)
        except GraphError as error:
            if error.retryable:
                raise DeliveryPending(str(error)) from error
            failed = FollowUpState.FAILED_AUTH if error.kind is ErrorKind.AUTH else FollowUpState.FAILED_PERMANENT
            return self._followup_done(award, failed)
        self._count("review_questions")
        return self._followup_done(award, FollowUpState.SENT, mid)

    def language_timeout(self, key: AwardKey) -> Outcome:
        """No language chosen in time: go on in the client's default language."""
        guest = self.store.guests.get(key.guest_id)
        if guest is None or guest.awaiting is not Awaiting.LANGUAGE or guest.pending_period != key.period:
            return Outcome.IGNORED  # answered (or opted out) meanwhile
        if guest.opted_out_at is not None:
            return Outcome.SILENCED
        self._guest(guest, awaiting=None)
        return self._after_language(guest)

    # -- helpers: texts, sending, state ----------------------------------------------------------------------
    def _language(self, guest: Guest) -> Language:
        chosen = guest.language
        return next((lang for lang in self.config.languages if lang == chosen), self.config.default_language)

    def _text(self, guest: Guest, key: str, **values: str) -> str:
        return render(self.config, key, self._language(guest), venue=self.config.venue_name, **values)

    def _expiry(self) -> datetime:
        return self.clock.now() + timedelta(days=self.config.retention_days)

    def _today(self) -> date:
        return self.clock.now().astimezone(self.config.tz).date()

    def _guest(self, guest: Guest, **changes: Any) -> Guest:
        self.store.guests.update(guest.guest_id, self._expiry(), **changes)
        for name, value in changes.items():
            setattr(guest, name, value)
        return guest

    def _send(self, guest: Guest, text: str, quick_replies: Sequence[QuickReply] = ()) -> str:
        """A text to the guest; their first DM carries the bot disclosure and the promotion terms."""
        first = guest.greeted_at is None
        footer = first_dm_footer(self.config, self._language(guest)) if first else ""
        mid = self.messenger.send_text(guest.guest_id, f"{text}\n\n{footer}" if footer else text, quick_replies)
        if first:
            self._guest(guest, greeted_at=self.clock.now())
        return mid

    def _count(self, *names: str, at: datetime | None = None) -> None:
        count_event(self.store.stats, self.config.tz, at or self.clock.now(), *names)

    def _update(self, award: Award, **changes: Any) -> Award:
        self.store.awards.update(award.key, **changes)
        return dataclasses.replace(award, **changes)

    # -- story mention ---------------------------------------------------------------------------------------
    def _story_mention(self, event: InboundEvent, guest: Guest) -> Outcome:
        self._remember_name(guest)
        needs_language = len(self.config.languages) > 1 and guest.language is None
        if self.config.per_table:
            return self._mention_at_table(event, guest, needs_language)
        award, claimed = self._claim(event)
        if claimed:
            self._count("mentions", at=event.sent_at)
        if award.mention_mid != event.mid:
            return self._reply_to_repeat(event, guest)
        if award.state is AwardState.CLAIMED and needs_language and guest.pending_period != award.key.period:
            return self._ask_language(event, guest, award.key)
        if award.state is AwardState.CLAIMED and guest.awaiting is Awaiting.LANGUAGE:
            return Outcome.LANGUAGE_ASKED  # a redelivery while the guest has not answered yet
        return self._continue(award, guest)

    def _period(self, event: InboundEvent) -> tuple[str, date, datetime | None]:
        """The claim period of a mention in the client's timezone, its local date, and the cooldown's start."""
        local = event.sent_at.astimezone(self.config.tz)
        hours = self.config.claim_policy.cooldown_hours
        if hours is None:
            return local.date().isoformat(), local.date(), None
        return local.strftime("%Y-%m-%dT%H:%M"), local.date(), event.sent_at - timedelta(hours=hours)

    def _new_award(self, guest_id: str, mid: str, mentioned_at: datetime, period: str, day: date) -> Award:
        return Award(
            key=AwardKey(guest_id, period),
            mention_mid=mid,
            mentioned_at=mentioned_at,
            claimed_at=self.clock.now(),
            local_date=day,
        )

    def _claim(self, event: InboundEvent) -> tuple[Award, bool]:
        period, day, since = self._period(event)
        award = self._new_award(event.guest_id, event.mid, event.sent_at, period, day)
        return self.store.awards.claim(award, self._expiry(), cooldown_since=since)

    def _ask_language(self, event: InboundEvent, guest: Guest, key: AwardKey) -> Outcome:
        self._guest(
            guest,
            awaiting=Awaiting.LANGUAGE,
            pending_mid=event.mid,
            pending_at=event.sent_at,
            pending_period=key.period,
            tries=0,
        )
        choices = [QuickReply(LANGUAGE_NAMES[lang], f"LANG:{lang}") for lang in self.config.languages]
        self._send_or_fail(guest, self._text(guest, "language_question"), choices)
        due = self.clock.now() + timedelta(minutes=self.config.language_timeout_minutes)
        self.scheduler.schedule(Step.LANGUAGE_TIMEOUT, key, due)
        return Outcome.LANGUAGE_ASKED

    def _send_or_fail(self, guest: Guest, text: str, quick_replies: Sequence[QuickReply] = ()) -> str | None:
        """For questions the engine asks on its own: retryable errors retry the event, others are logged."""
        try:
            return self._send(guest, text, quick_replies)
        except GraphError as error:
            if error.retryable:
                raise DeliveryPending(str(error)) from error
            logger.warning("message not delivered", extra={"error": str(error)})
            return None

    def _mention_at_table(self, event: InboundEvent, guest: Guest, needs_language: bool) -> Outcome:
        period, _, _ = self._period(event)
        existing = self.store.awards.get(AwardKey(event.guest_id, period))
        if existing is not None:
            if existing.mention_mid == event.mid:
                return self._continue(existing, guest)
            return self._reply_to_repeat(event, guest)
        awaiting = Awaiting.LANGUAGE if needs_language else Awaiting.TABLE
        held = self.store.guests.hold_mention(
            event.guest_id, event.mid, at=event.sent_at, period=period, awaiting=awaiting, expires_at=self._expiry()
        )
        if not held:
            return Outcome.MENTION_PENDING
        if self.store.inbound.handled(event):
            return Outcome.LANGUAGE_ASKED if needs_language else Outcome.TABLE_ASKED
        guest = dataclasses.replace(
            guest, pending_mid=event.mid, pending_at=event.sent_at, pending_period=period, awaiting=awaiting, tries=0
        )
        if needs_language:
            outcome = self._ask_language(event, guest, AwardKey(event.guest_id, period))
        else:
            self._send_or_fail(guest, self._text(guest, "table_question"))
            outcome = Outcome.TABLE_ASKED
        self.store.inbound.mark_handled(event, self.clock.now())
        self._count("mentions", at=event.sent_at)  # once: a redelivery stops at the handled marker above
        return outcome

    def _after_language(self, guest: Guest) -> Outcome:
        """The language is settled (chosen or timed out): ask the table, or deliver the waiting award."""
        if guest.pending_period is None:
            return Outcome.IGNORED
        if self.config.per_table:
            self._guest(guest, awaiting=Awaiting.TABLE, tries=0)
            self._send_or_fail(guest, self._text(guest, "table_question"))
            return Outcome.TABLE_ASKED
        award = self.store.awards.get(AwardKey(guest.guest_id, guest.pending_period))
        self._guest(guest, pending_mid=None, pending_at=None, pending_period=None)
        if award is None:
            return Outcome.IGNORED
        return self._continue(award, guest)

    def _continue(self, award: Award, guest: Guest) -> Outcome:
        """Everything after the claim, each step once: prize DM, follow-up, coupon image, contact question."""
        if award.state is AwardState.CLAIMED:
            award = self._deliver(award, guest)
        if award.state is AwardState.DM_SENT:  # the owner's sheet and CRM hear of it (idempotent: one event id)
            self.store.outbox.add(
                self._owner_event(guest, "award", f"award-{award.key.award_id}", award=award), self._expiry()
            )
        if award.state in GUEST_WAS_MESSAGED and award.followup_at is None:
            due = award.claimed_at + timedelta(minutes=self.config.followup_delay_minutes)
            self.scheduler.schedule(Step.FOLLOW_UP, award.key, due)
            award = self._update(award, followup_at=due)
        if award.state is AwardState.DM_SENT and award.image_mid is None and award.image_error is None:
            self._send_coupon_image(award, guest)
        if award.state is AwardState.DM_SENT and guest.contact_asked_at is None:
            self._offer_contact(guest)
        return Outcome(award.state.value)

    def _deliver(self, award: Award, guest: Guest) -> Award:
        if award.prize_id is None:
            prize = draw_within_caps(self.config.prizes, self.rng, lambda p: self._reserve(p, award))
            if prize is None:
                return self._send_award_text(award, guest, "all_prizes_given", AwardState.NO_PRIZE_LEFT)
            coupon = self._issue_coupon(award, prize)
            drawn: dict[str, Any] = {
                "prize_id": prize.id,
                "prize_name": prize.name,
                "coupon_code": coupon.code,
                "valid_until": coupon.valid_until,
            }
            if self.store.awards.update(award.key, only_if_no_prize=True, **drawn):
                award = dataclasses.replace(award, **drawn)
            else:  # a concurrent delivery of the same mention drew first: use its prize
                current = self.store.awards.get(award.key)
                assert current is not None
                award = current
        return self._send_award_text(award, guest, "prize_awarded", AwardState.DM_SENT)

    def _reserve(self, prize: Prize, award: Award) -> bool:
        assert prize.daily_cap is not None
        return self.store.awards.reserve_prize(prize.id, award.local_date, prize.daily_cap, self._expiry())

    def _issue_coupon(self, award: Award, prize: Prize) -> Coupon:
        valid_until = award.local_date + timedelta(days=prize.valid_days)
        for _ in range(_CODE_ATTEMPTS):
            coupon = Coupon(
                code=new_coupon_code(self.rng, self.secret(self.config.secrets.coupon_signing_key)),
                award=award.key,
                prize_id=prize.id,
                prize_name=prize.name,
                issued_at=self.clock.now(),
                valid_until=valid_until,
            )
            if self.store.coupons.add(coupon, self._expiry() + timedelta(days=prize.valid_days)):
                return coupon
        raise RuntimeError(f"no unique coupon code after {_CODE_ATTEMPTS} attempts")

    def _award_texts(self, award: Award, guest: Guest) -> dict[str, str]:
        language = self._language(guest)
        valid_until = format_date(award.valid_until, language) if award.valid_until else ""
        prize = next((p.name_in(language) for p in self.config.prizes if p.id == award.prize_id), award.prize_name)
        return {"prize": prize or "", "code": award.coupon_code or "", "valid_until": valid_until}

    def _send_award_text(self, award: Award, guest: Guest, key: str, success: AwardState) -> Award:
        try:
            mid = self._send(guest, self._text(guest, key, **self._award_texts(award, guest)))
        except GraphError as error:
            return self._failed(award, error)
        if success is AwardState.DM_SENT:
            first = self.store.guests.first_award_of_month(guest.guest_id, month_of(award.claimed_at, self.config.tz))
            self._count("awards", f"awards_prize_{award.prize_id}", *(["unique_guests"] if first else []))
        return self._update(award, state=success, text_mid=mid, dm_error=None)

    def _failed(self, award: Award, error: GraphError) -> Award:
        if error.retryable:
            self._update(award, dm_error=str(error)[:300])
            raise DeliveryPending(str(error)) from error
        state = AwardState.DM_FAILED_AUTH if error.kind is ErrorKind.AUTH else AwardState.DM_FAILED_PERMANENT
        logger.warning("prize DM failed for good", extra={"award": award.key.award_id, "error": str(error)})
        self._count("dms_failed")
        return self._update(award, state=state, dm_error=str(error)[:300])

    def _send_coupon_image(self, award: Award, guest: Guest) -> None:
        # The text already carries the code, so the image is best effort: any failure is recorded, not retried.
        assert award.coupon_code is not None
        texts = self._award_texts(award, guest)
        face = CouponFace(
            venue=self.config.venue_name,
            prize=texts["prize"],
            code=texts["code"],
            valid_until=self._text(guest, "coupon_valid_until", valid_until=texts["valid_until"]),
        )
        try:
            url = self.images.publish(face)
            self._update(award, image_mid=self.messenger.send_image(award.key.guest_id, url))
        except Exception as error:
            logger.warning("coupon image not delivered", extra={"award": award.key.award_id, "error": repr(error)})
            self._update(award, image_error=repr(error)[:300])

    def _reply_to_repeat(self, event: InboundEvent, guest: Guest) -> Outcome:
        outcome = self._answer_once(
            event, lambda: (Outcome.REPEAT_REPLIED, self._send(guest, self._text(guest, "repeat_mention")))
        )
        if outcome is Outcome.REPEAT_REPLIED:
            self._count("mentions", "repeat_replies", at=event.sent_at)
        return outcome

    def _remember_name(self, guest: Guest) -> None:
        """The guest's display name (never the @handle) for the owner's sheet, fetched once."""
        if guest.display_name is not None:
            return
        try:
            profile = self.messenger.profile(guest.guest_id)
        except GraphError as error:
            logger.info("guest profile not available yet", extra={"error": str(error)})
            return
        self._guest(guest, display_name=profile.name)

    # -- replies ---------------------------------------------------------------------------------------------
    def _reply_to(self, event: InboundEvent, guest: Guest) -> Outcome:
        if event.kind in (EventKind.TEXT, EventKind.QUICK_REPLY, EventKind.STORY_REPLY) and is_stop(event.text):
            return self._opt_out(guest)
        payload = event.payload or ""
        prefix, _, value = payload.partition(":")
        if event.kind in (EventKind.QUICK_REPLY, EventKind.POSTBACK):
            if prefix == "LANG":
                return self._language_chosen(guest, value)
            if prefix in ("REVIEW_YES", "REVIEW_NO"):
                return self._review_answer(guest, AwardKey(guest.guest_id, value), yes=prefix == "REVIEW_YES")
            if prefix == "CONTACT":
                return self._contact_choice(guest, value)
        answer = event.text or payload  # Meta's email / phone quick replies carry the value itself
        if guest.awaiting is Awaiting.TABLE and event.kind is not EventKind.STORY_REPLY:
            return self._table_answer(guest, answer)
        if guest.awaiting in (Awaiting.EMAIL, Awaiting.PHONE) and event.kind is not EventKind.STORY_REPLY:
            return self._contact_value(guest, answer)
        if guest.awaiting is Awaiting.LANGUAGE:
            chosen = next(
                (code for code, name in LANGUAGE_NAMES.items() if answer.strip().casefold() in (code, name.casefold())),
                None,
            )
            if chosen is not None:
                return self._language_chosen(guest, chosen)
        return self._fallback(guest)

    def _opt_out(self, guest: Guest) -> Outcome:
        text = self._text(guest, "opted_out")
        self._guest(
            guest,
            opted_out_at=self.clock.now(),
            awaiting=None,
            pending_mid=None,
            pending_at=None,
            pending_period=None,
            channels_left=None,
        )
        self._count("opt_outs")
        self.messenger.send_text(guest.guest_id, text)  # the one confirmation; then nothing, ever
        return Outcome.OPTED_OUT

    def _fallback(self, guest: Guest) -> Outcome:
        today = self._today()
        if guest.fallback_on == today:
            return Outcome.IGNORED  # one helpful reply a day, then silence: no loops
        self._guest(guest, fallback_on=today)
        self._send(guest, self._text(guest, "fallback"))
        return Outcome.FALLBACK_SENT

    def _language_chosen(self, guest: Guest, code: str) -> Outcome:
        if code not in self.config.languages:
            return Outcome.IGNORED
        waiting = guest.awaiting is Awaiting.LANGUAGE
        self._guest(guest, language=code, awaiting=None if waiting else guest.awaiting)
        return self._after_language(guest) if waiting else Outcome.REPLIED

    def _table_answer(self, guest: Guest, answer: str) -> Outcome:
        match = _TABLE.match(answer.strip())
        if match is None or guest.pending_mid is None or guest.pending_at is None or guest.pending_period is None:
            if guest.tries + 1 >= _ANSWER_TRIES:
                self._guest(guest, awaiting=None, tries=0, pending_mid=None, pending_at=None, pending_period=None)
                return Outcome.IGNORED
            self._guest(guest, tries=guest.tries + 1)
            self._send(guest, self._text(guest, "table_invalid"))
            return Outcome.REPLIED
        table = str(int(match.group(1)))
        local_date = guest.pending_at.astimezone(self.config.tz).date()
        award = dataclasses.replace(
            self._new_award(guest.guest_id, guest.pending_mid, guest.pending_at, guest.pending_period, local_date),
            table=table,
        )
        claimed, how = self.store.awards.claim_table(award, table, self._expiry())
        self._guest(guest, awaiting=None, tries=0, pending_mid=None, pending_at=None, pending_period=None)
        if how == "table_taken":
            self._send(guest, self._text(guest, "table_claimed"))
            return Outcome.TABLE_TAKEN
        if how == "guest_repeat" or claimed is None:
            self._send(guest, self._text(guest, "repeat_mention"))
            return Outcome.REPEAT_REPLIED
        return self._continue(claimed, guest)

    def _owner_event(self, guest: Guest, event_type: str, event_id: str, award: Award | None = None) -> OutboxEvent:
        """What the owner's sinks get: the display name (never the handle), and contacts the guest agreed to give."""
        return OutboxEvent(
            event_id=event_id,
            event_type=event_type,
            occurred_at=self.clock.now(),
            guest_id=guest.guest_id,
            display_name=guest.display_name,
            prize=award.prize_name if award else None,
            coupon_code=award.coupon_code if award else None,
            language=self._language(guest),
            email=guest.email if guest.email_consent_at else None,
            phone=guest.phone if guest.phone_consent_at else None,
        )

    # -- the review ------------------------------------------------------------------------------------------
    def _followup_done(self, award: Award, state: FollowUpState, mid: str | None = None) -> FollowUpState:
        self._update(award, followup_state=state, followup_mid=mid)
        return state

    def _review_answer(self, guest: Guest, key: AwardKey, *, yes: bool) -> Outcome:
        award = self.store.awards.get(key)
        if award is None or award.review_answer is not None:
            return Outcome.IGNORED  # not ours, or answered already: one answer counts
        self._update(award, review_answer="yes" if yes else "no", review_answered_at=self.clock.now())
        self._count("review_yes" if yes else "review_no")
        if not yes:
            self._send(guest, self._text(guest, "review_declined"))
            return Outcome.REPLIED
        links = [
            (title, self._tracked_link(award.key, platform, target))
            for platform, title, target in self._review_targets()
        ]
        if len(links) == 1:
            self._send(guest, self._text(guest, "review_link", link=links[0][1]))
        else:
            buttons = [UrlButton(title, url) for title, url in links]
            self.messenger.send_buttons(guest.guest_id, self._text(guest, "review_links"), buttons)
        return Outcome.REPLIED

    def _review_targets(self) -> list[tuple[str, str, str]]:
        links = self.config.review_links
        targets = [("google", "Google", GOOGLE_REVIEW.format(place_id=links.google_place_id))]
        if links.tripadvisor_url is not None:
            targets.append(("tripadvisor", "Tripadvisor", str(links.tripadvisor_url)))
        if links.facebook_url is not None:
            targets.append(("facebook", "Facebook", str(links.facebook_url)))
        return targets

    def _tracked_link(self, key: AwardKey, platform: str, target: str) -> str:
        """An unguessable token whose target is fixed now, so /l/<token> is no open redirect."""
        token = "".join(self.rng.choice(_LINK_SYMBOLS) for _ in range(_TOKEN_LENGTH))
        self.store.links.create(token, target, platform, key, self._expiry())
        return f"{self.link_base.rstrip('/')}/l/{token}"

    # -- contact capture -------------------------------------------------------------------------------------
    def _offer_contact(self, guest: Guest) -> None:
        capture = self.config.contact_capture
        if capture.channels == "off":
            return
        language = self._language(guest)
        if capture.channels == "both":
            choices = [
                QuickReply(self._text(guest, f"channel_{c}"), f"CONTACT:{c}")
                for c in ("email", "phone", "both", "none")
            ]
        else:
            choices = [
                QuickReply(self._text(guest, "answer_yes"), f"CONTACT:{capture.channels}"),
                QuickReply(self._text(guest, "answer_no"), "CONTACT:none"),
            ]
        text = self._text(
            guest,
            "contact_question",
            channels=channels_text(self.config, language),
            consent=capture.consent_text[language],
        )
        self._guest(guest, awaiting=Awaiting.CONTACT_CHOICE, contact_asked_at=self.clock.now())
        self._send_or_fail(guest, text, choices)

    def _contact_choice(self, guest: Guest, choice: str) -> Outcome:
        if guest.awaiting is not Awaiting.CONTACT_CHOICE or choice not in ("email", "phone", "both", "none"):
            return Outcome.IGNORED
        if choice == "none":
            self._guest(guest, awaiting=None)
            self._send(guest, self._text(guest, "contact_skipped"))
            return Outcome.REPLIED
        first = Awaiting.PHONE if choice == "phone" else Awaiting.EMAIL
        self._guest(guest, awaiting=first, channels_left="phone" if choice == "both" else None, tries=0)
        self._ask_value(guest, first)
        return Outcome.REPLIED

    def _ask_value(self, guest: Guest, channel: Awaiting, key: str | None = None) -> None:
        # Meta offers the guest's own email / phone as a one-tap quick reply.
        content_type: Literal["user_email", "user_phone_number"] = (
            "user_email" if channel is Awaiting.EMAIL else "user_phone_number"
        )
        prompt = key or ("ask_email" if channel is Awaiting.EMAIL else "ask_phone")
        self._send(guest, self._text(guest, prompt), [QuickReply("", "", content_type)])

    def _contact_value(self, guest: Guest, answer: str) -> Outcome:
        channel = guest.awaiting
        assert channel in (Awaiting.EMAIL, Awaiting.PHONE)
        capture = self.config.contact_capture
        value = valid_email(answer) if channel is Awaiting.EMAIL else self.valid_phone(answer, capture.phone_region)
        if value is None:
            if guest.tries + 1 < _ANSWER_TRIES:
                self._guest(guest, tries=guest.tries + 1)
                self._ask_value(guest, channel, f"invalid_{channel.value}")
                return Outcome.REPLIED
            self._send(guest, self._text(guest, "contact_skipped"))  # two tries, then move on
        else:
            now = self.clock.now()
            self._guest(
                guest,
                **{
                    channel.value: value,
                    f"{channel.value}_consent_version": capture.consent_version,
                    f"{channel.value}_consent_at": now,
                },
            )
            event_id = f"contact-{guest.guest_id}-{channel.value}-{int(now.timestamp())}"
            self.store.outbox.add(self._owner_event(guest, "contact", event_id), self._expiry())
            self._count(f"contacts_{channel.value}")
        if guest.channels_left == "phone":
            self._guest(guest, awaiting=Awaiting.PHONE, channels_left=None, tries=0)
            self._ask_value(guest, Awaiting.PHONE)
            return Outcome.REPLIED
        self._guest(guest, awaiting=None, tries=0)
        if guest.email or guest.phone:
            self._send(guest, self._text(guest, "contact_thanks"))
        return Outcome.REPLIED
