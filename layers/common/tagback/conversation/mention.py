"""A story mention: the guest's display name, the claim of the period's award (a conditional write: exactly one
winner under any concurrency or redelivery) — or, with the per-table option, the mention held until the table
answer — then the language question if one is needed, the delivery, or for a repeat what `Delivery.repeat` says."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tagback.conversation.claims import claim_period, new_award
from tagback.conversation.context import Context
from tagback.conversation.delivery import Delivery
from tagback.conversation.language import Languages
from tagback.conversation.outcome import Outcome
from tagback.conversation.table import Tables
from tagback.domain.awards import Awaiting, Award, AwardKey, AwardState, Guest
from tagback.domain.events import InboundEvent
from tagback.domain.messaging import GraphError
from tagback.observability import logger


@dataclass(frozen=True)
class Mentions:
    ctx: Context
    languages: Languages
    tables: Tables
    delivery: Delivery

    def handle(self, event: InboundEvent, guest: Guest) -> Outcome:
        self._remember_name(guest)
        needs_language = len(self.ctx.config.languages) > 1 and guest.language is None
        if self.ctx.config.per_table:
            return self._at_table(event, guest, needs_language)
        award, claimed = self._claim(event)
        if claimed:
            self.ctx.count("mentions", at=event.sent_at)
        if award.mention_mid != event.mid:
            return self._repeat(event, guest, award)
        if award.state is AwardState.CLAIMED and needs_language and guest.pending_period != award.key.period:
            return self.languages.ask(event, guest, award.key)
        if award.state is AwardState.CLAIMED and guest.awaiting is Awaiting.LANGUAGE:
            return Outcome.LANGUAGE_ASKED  # a redelivery while the guest has not answered yet
        return self.delivery.resume(award, guest)

    def _claim(self, event: InboundEvent) -> tuple[Award, bool]:
        ctx = self.ctx
        period, day, since = claim_period(ctx.config, event)
        award = new_award(event.guest_id, event.mid, event.sent_at, period, day, now=ctx.clock.now())
        return ctx.store.awards.claim(award, ctx.expiry(), cooldown_since=since)

    def _at_table(self, event: InboundEvent, guest: Guest, needs_language: bool) -> Outcome:
        ctx = self.ctx
        period, _, _ = claim_period(ctx.config, event)
        existing = ctx.store.awards.get(AwardKey(event.guest_id, period))
        if existing is not None:
            if existing.mention_mid == event.mid:
                return self.delivery.resume(existing, guest)
            return self._repeat(event, guest, existing)
        awaiting = Awaiting.LANGUAGE if needs_language else Awaiting.TABLE
        held = ctx.store.guests.hold_mention(
            event.guest_id, event.mid, at=event.sent_at, period=period, awaiting=awaiting, expires_at=ctx.expiry()
        )
        if not held:
            return Outcome.MENTION_PENDING
        if ctx.store.inbound.handled(event):
            return Outcome.LANGUAGE_ASKED if needs_language else Outcome.TABLE_ASKED
        guest = dataclasses.replace(
            guest, pending_mid=event.mid, pending_at=event.sent_at, pending_period=period, awaiting=awaiting, tries=0
        )
        if needs_language:
            outcome = self.languages.ask(event, guest, AwardKey(event.guest_id, period))
        else:
            self.tables.ask(guest)
            outcome = Outcome.TABLE_ASKED
        ctx.store.inbound.mark_handled(event, ctx.clock.now())
        ctx.count("mentions", at=event.sent_at)  # once: a redelivery stops at the handled marker above
        return outcome

    def _repeat(self, event: InboundEvent, guest: Guest, award: Award) -> Outcome:
        """Another mention of the period: answered once (the polite reply, the award's delivery resumed, or nothing),
        and counted once."""
        ctx = self.ctx
        outcome = ctx.answer_once(event, lambda: self.delivery.repeat(award, guest))
        if outcome not in (Outcome.ALREADY_HANDLED, Outcome.REPLY_FAILED):
            replied = ["repeat_replies"] if outcome is Outcome.REPEAT_REPLIED else []
            ctx.count("mentions", *replied, at=event.sent_at)
        return outcome

    def _remember_name(self, guest: Guest) -> None:
        """The guest's display name (never the @handle) for the owner's sheet, fetched once."""
        if guest.display_name is not None:
            return
        try:
            profile = self.ctx.messenger.profile(guest.guest_id)
        except GraphError as error:
            logger.info("guest profile not available yet", extra={"error": str(error)})
            return
        self.ctx.save(guest, display_name=profile.name)
