"""What every flow shares: the client's config, the table, Meta's messenger and the clock, and the helpers on top —
the guest's language and texts, sending, counting, and updating the guest's and the award's records."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tagback.config.model import ClientConfig
from tagback.conversation import payloads
from tagback.conversation.outcome import Outcome, pending_while_throttled
from tagback.conversation.ports import ConversationStore, Messenger
from tagback.domain.awards import Award, Guest
from tagback.domain.clock import Clock
from tagback.domain.events import InboundEvent, OutboxEvent
from tagback.domain.languages import Language, language_name
from tagback.domain.messaging import ErrorKind, GraphError, QuickReply
from tagback.domain.stats import count_event
from tagback.messages.render import first_dm_footer, render
from tagback.observability import DMS_UNCERTAIN, count, logger

ANSWER_TRIES = 2  # wrong answers to a question before the engine moves on


@dataclass(frozen=True)
class Context:
    config: ClientConfig
    store: ConversationStore
    messenger: Messenger
    clock: Clock

    def language(self, guest: Guest) -> Language:
        chosen = guest.language
        return next((lang for lang in self.config.languages if lang == chosen), self.config.default_language)

    def text(self, guest: Guest, key: str, **values: str) -> str:
        return self.text_in(self.language(guest), key, **values)

    def text_in(self, language: Language, key: str, **values: str) -> str:
        return render(self.config, key, language, venue=self.config.venue_name, **values)

    def language_choices(self) -> list[QuickReply]:
        """The language buttons: one per offered language, titled with its own name."""
        return [
            QuickReply(language_name(language), payloads.encode(payloads.LanguageChoice(language)))
            for language in self.config.languages
        ]

    def expiry(self) -> datetime:
        return self.clock.now() + timedelta(days=self.config.retention_days)

    def save(self, guest: Guest, **changes: Any) -> Guest:
        self.store.guests.update(guest.guest_id, self.expiry(), **changes)
        for name, value in changes.items():
            setattr(guest, name, value)
        return guest

    def update(self, award: Award, **changes: Any) -> Award:
        self.store.awards.update(award.key, **changes)
        return dataclasses.replace(award, **changes)

    def count(self, *names: str, at: datetime | None = None) -> None:
        count_event(self.store.stats, self.config.tz, at or self.clock.now(), *names)

    def compose(self, guest: Guest, text: str) -> str:
        """The text as sent: the guest's first DM carries the bot disclosure and the promotion terms."""
        footer = first_dm_footer(self.config, self.language(guest)) if guest.greeted_at is None else ""
        return f"{text}\n\n{footer}" if footer else text

    def greeted(self, guest: Guest) -> None:
        """A composed text reached the guest: the next one goes without the first DM's footer."""
        if guest.greeted_at is None:
            self.save(guest, greeted_at=self.clock.now())

    def send(self, guest: Guest, text: str, quick_replies: Sequence[QuickReply] = ()) -> str:
        """A text to the guest (composed). Raises DeliveryPending when Meta throttles, the GraphError when it refuses
        for good or its answer was lost (UNCERTAIN: counted, never sent again)."""
        try:
            with pending_while_throttled():
                mid = self.messenger.send_text(guest.guest_id, self.compose(guest, text), quick_replies)
        except GraphError as error:
            if error.kind is ErrorKind.UNCERTAIN:
                self.uncertain("message", error)
            raise
        self.greeted(guest)
        return mid

    def uncertain(self, what: str, error: GraphError | None = None) -> None:
        """A message that may or may not have reached the guest, for good: logged, and counted in the month's
        figures (`dms_uncertain`) and as the `DmsUncertain` metric, for the agency to see."""
        logger.warning("message may not have reached the guest", extra={"what": what, "error": str(error or "")})
        self.count(DMS_UNCERTAIN)
        count(DMS_UNCERTAIN)

    def ask(self, guest: Guest, text: str, quick_replies: Sequence[QuickReply] = ()) -> str | None:
        """For questions the engine asks on its own: a refusal for good is logged, not answered."""
        try:
            return self.send(guest, text, quick_replies)
        except GraphError as error:
            logger.warning("message not delivered", extra={"error": str(error)})
            return None

    def answer_once(self, event: InboundEvent, respond: Callable[[], tuple[Outcome, str | None]]) -> Outcome:
        """Answer an inbound event unless it was answered already, then mark it handled (with the reply's id):
        a redelivery sends nothing twice. Meta refusing for good is recorded; throttling retries the event."""
        if self.store.inbound.handled(event):
            return Outcome.ALREADY_HANDLED
        try:
            with pending_while_throttled():
                outcome, reply_mid = respond()
        except GraphError as error:
            self.store.inbound.mark_handled(event, self.clock.now(), error=str(error)[:300])
            return Outcome.REPLY_UNCERTAIN if error.kind is ErrorKind.UNCERTAIN else Outcome.REPLY_FAILED
        self.store.inbound.mark_handled(event, self.clock.now(), reply_mid=reply_mid)
        return outcome

    def owner_event(self, guest: Guest, event_type: str, event_id: str, award: Award | None = None) -> OutboxEvent:
        """What the owner's sinks get: the display name (never the handle), and contacts the guest agreed to give."""
        return OutboxEvent(
            event_id=event_id,
            event_type=event_type,
            occurred_at=self.clock.now(),
            guest_id=guest.guest_id,
            display_name=guest.display_name,
            prize=award.prize_name if award else None,
            coupon_code=award.coupon_code if award else None,
            language=self.language(guest),
            email=guest.email if guest.email_consent_at else None,
            phone=guest.phone if guest.phone_consent_at else None,
            table=award.table if award else None,
        )
