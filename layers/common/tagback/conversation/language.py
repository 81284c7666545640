"""The language question (more than one language configured, none chosen yet): asked with one quick reply per
language and a timeout step; the answer, or the timeout in the client's default language, lets the mention go on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tagback.conversation import payloads
from tagback.conversation.context import Context
from tagback.conversation.delivery import Delivery
from tagback.conversation.outcome import Outcome
from tagback.conversation.ports import StepScheduler
from tagback.conversation.table import Tables
from tagback.domain.awards import Awaiting, AwardKey, Guest
from tagback.domain.events import InboundEvent
from tagback.domain.languages import LANGUAGE_NAMES
from tagback.domain.messaging import ErrorKind, GraphError, QuickReply
from tagback.domain.steps import Step
from tagback.observability import logger


def named(answer: str) -> str | None:
    """The language a typed answer names, by code or by name."""
    typed = answer.strip().casefold()
    return next((code for code, name in LANGUAGE_NAMES.items() if typed in (code, name.casefold())), None)


def _settling(guest: Guest) -> bool:
    """The language is asked for a mention, or answered while that mention's delivery has not finished yet."""
    return guest.pending_period is not None and guest.awaiting in (Awaiting.LANGUAGE, None)


@dataclass(frozen=True)
class Languages:
    ctx: Context
    scheduler: StepScheduler
    tables: Tables
    delivery: Delivery

    def ask(self, event: InboundEvent, guest: Guest, key: AwardKey) -> Outcome:
        ctx = self.ctx
        ctx.save(
            guest,
            awaiting=Awaiting.LANGUAGE,
            pending_mid=event.mid,
            pending_at=event.sent_at,
            pending_period=key.period,
            tries=0,
        )
        choices = [
            QuickReply(LANGUAGE_NAMES[lang], payloads.encode(payloads.LanguageChoice(lang)))
            for lang in ctx.config.languages
        ]
        try:
            ctx.send(guest, ctx.text(guest, "language_question"), choices)
        except GraphError as error:
            if error.kind is ErrorKind.AUTH:
                # The venue's token: no question reaches the guest now. Go on in the default language, so the prize
                # waits for a new token at once (and the alarm goes off now, not at the timeout).
                ctx.save(guest, awaiting=None)
                return self._settled(guest)
            logger.warning("language question not delivered", extra={"error": str(error)})
        due = ctx.clock.now() + timedelta(minutes=ctx.config.language_timeout_minutes)
        self.scheduler.schedule(Step.LANGUAGE_TIMEOUT, key, due)
        return Outcome.LANGUAGE_ASKED

    def chosen(self, guest: Guest, code: str) -> Outcome:
        if code not in self.ctx.config.languages:
            return Outcome.IGNORED
        settling = _settling(guest)
        waiting = guest.awaiting is Awaiting.LANGUAGE
        self.ctx.save(guest, language=code, awaiting=None if waiting else guest.awaiting)
        return self._settled(guest) if settling else Outcome.REPLIED

    def timeout(self, key: AwardKey) -> Outcome:
        """No language chosen in time: go on in the client's default language (or, answered, with a delivery that
        has not finished)."""
        guest = self.ctx.store.guests.get(key.guest_id)
        if guest is None or not _settling(guest) or guest.pending_period != key.period:
            return Outcome.IGNORED  # answered and delivered meanwhile, or STOP dropped the question
        self.ctx.save(guest, awaiting=None)
        return self._settled(guest)

    def _settled(self, guest: Guest) -> Outcome:
        """The language is settled (chosen or timed out): ask the table, or deliver the waiting award."""
        ctx = self.ctx
        if guest.pending_period is None:
            return Outcome.IGNORED
        if ctx.config.per_table:
            ctx.save(guest, awaiting=Awaiting.TABLE, tries=0)
            self.tables.ask(guest)
            return Outcome.TABLE_ASKED
        award = ctx.store.awards.get(AwardKey(guest.guest_id, guest.pending_period))
        outcome = self.delivery.resume(award, guest) if award is not None else Outcome.IGNORED
        # Only once delivered (or failed for good): the retry of an answer whose delivery Meta throttled finds it here.
        ctx.save(guest, pending_mid=None, pending_at=None, pending_period=None)
        return outcome
