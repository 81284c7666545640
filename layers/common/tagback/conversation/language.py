"""The language question (more than one language configured, none chosen yet): asked with one quick reply per
language and a timeout step; the answer, or the timeout in the client's default language, lets the mention go on.

Answers are read however guests type them (`named`). Anything else is answered once with the question again, in every
offered language, with the buttons; after that the guest's messages get nothing until the answer or the timeout (a
bot answering each of our messages gets one more, not a loop). Outside the question, a language chosen (its button on
the fallback reply, or its name typed) becomes the guest's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from tagback.conversation.context import ANSWER_TRIES, Context
from tagback.conversation.delivery import Delivery
from tagback.conversation.fallback import fallback, fallback_sent_today
from tagback.conversation.outcome import Outcome
from tagback.conversation.ports import StepScheduler
from tagback.conversation.stop import normalized
from tagback.conversation.table import Tables
from tagback.domain.awards import Awaiting, AwardKey, Guest
from tagback.domain.events import InboundEvent
from tagback.domain.languages import Language, names_of
from tagback.domain.messaging import ErrorKind, GraphError
from tagback.domain.steps import Step
from tagback.observability import logger


def named(answer: str, offered: Sequence[Language]) -> Language | None:
    """The offered language a typed answer names: its code, its own name, or its name in English or in another
    offered language, in any case, with or without accents ("portugues", "ESPAÑOL", "deutsch", "EN", "spanish",
    "Spanisch"). A language with a region or script also answers to its language's name or code alone ("portugues",
    "pt" for pt-BR), unless another offered language is called exactly that."""
    typed = normalized(answer)
    exact, loose = _names(tuple(offered))
    return exact.get(typed) or loose.get(typed)


@cache
def _names(offered: tuple[Language, ...]) -> tuple[dict[str, Language], dict[str, Language]]:
    exact: dict[str, Language] = {}
    loose: dict[str, Language] = {}
    for language in offered:
        full, bare = names_of(language, offered)
        for name in (language, *full):
            exact.setdefault(normalized(name), language)
        for name in (language.split("-")[0], *bare):
            loose.setdefault(normalized(name), language)
    return exact, loose


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
        try:
            ctx.send(guest, ctx.text(guest, "language_question"), ctx.language_choices())
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

    def answer(self, guest: Guest, answer: str) -> Outcome:
        """A typed answer to the language question: the language it names, else the question again, once."""
        ctx = self.ctx
        language = named(answer, ctx.config.languages)
        if language is not None:
            return self.chosen(guest, language)
        if guest.tries + 1 >= ANSWER_TRIES:
            return Outcome.IGNORED  # asked twice: the timeout goes on in the default language
        ctx.save(guest, tries=guest.tries + 1)
        again = "\n".join(ctx.text_in(offered, "language_unclear") for offered in ctx.config.languages)
        ctx.send(guest, again, ctx.language_choices())
        return Outcome.LANGUAGE_ASKED

    def chosen(self, guest: Guest, code: str, *, typed: bool = False) -> Outcome:
        """A language tapped, or `typed` by its name. Outside the question, a typed name is a message like any
        other and gets the fallback, now in that language; a tap gets it when the guest had it today in another
        (the fallback's buttons) — a late tap on the question's buttons only sets the language."""
        ctx = self.ctx
        if code not in ctx.config.languages:
            return Outcome.IGNORED
        settling = _settling(guest)
        waiting = guest.awaiting is Awaiting.LANGUAGE
        ctx.save(guest, language=code, awaiting=None if waiting else guest.awaiting)
        if settling:
            return self._settled(guest)
        if guest.awaiting is None and (typed or fallback_sent_today(ctx, guest)):
            return fallback(ctx, guest)
        return Outcome.REPLIED

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
