"""STOP and START. STOP (a whole short message, in any catalog language) withdraws every consent, tells the owner's
sheet and CRM (`contact.withdrawn`), and puts the guest on the client's suppression list, which outlives their
profile; one confirmation, then nothing the guest did not ask for: a story they post later still gets its prize
reply, but no review question and no contact question. START takes them off the list again."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from tagback.conversation.context import Context
from tagback.conversation.outcome import Outcome
from tagback.conversation.ports import SecretReader
from tagback.domain.awards import Guest
from tagback.domain.events import InboundEvent, OutboxEvent
from tagback.domain.languages import Language
from tagback.domain.suppression import suppression_key
from tagback.messages.catalog import COURTESIES, START_PHRASES, STOP_PHRASES


def normalized(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: "Arrêtez !" → "arretez"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def _all(phrases: Mapping[Language, frozenset[str]]) -> frozenset[str]:
    return frozenset(normalized(phrase) for language in phrases.values() for phrase in language)


_STOPS: Final = _all(STOP_PHRASES)
_STARTS: Final = _all(START_PHRASES)
_COURTESIES: Final = _all(COURTESIES)


def _without_courtesies(words: str) -> str:
    """The message without "please", "bitte", "por favor", … before or after it."""
    stripped = None
    while stripped != words:
        stripped = words
        for courtesy in _COURTESIES:
            words = words.removeprefix(f"{courtesy} ").removesuffix(f" {courtesy}")
    return words


def is_stop(text: str | None) -> bool:
    return text is not None and _without_courtesies(normalized(text)) in _STOPS


def is_start(text: str | None) -> bool:
    return text is not None and _without_courtesies(normalized(text)) in _STARTS


# Every consent, withdrawn: the contact values and their consent records go together.
_NO_CONTACT: Final = {
    f"{channel}{field}": None for channel in ("email", "phone") for field in ("", "_consent_version", "_consent_at")
}


@dataclass(frozen=True)
class Stops:
    ctx: Context
    secret: SecretReader  # the coupon signing key keys the suppression list's hashes

    def suppressed(self, guest: Guest) -> bool:
        """The guest said STOP (and not START since): on their profile while it lives, on the list for ever."""
        return guest.opted_out_at is not None or self.ctx.store.suppressions.holds(self._key(guest))

    def stop(self, event: InboundEvent, guest: Guest) -> Outcome:
        ctx = self.ctx
        now = ctx.clock.now()
        # Always, even with no contact held here: the sheet and CRM keep contacts longer than this table does.
        ctx.store.outbox.add(self._withdrawal(event, guest), ctx.expiry())
        ctx.save(
            guest,
            opted_out_at=now,
            awaiting=None,
            question=None,  # no question of the venue's after STOP
            question_period=None,
            pending_mid=None,
            pending_at=None,
            pending_period=None,
            channels_left=None,
            contact_asked_at=None,  # after a START, the next prize offers the contact question again
            **_NO_CONTACT,
        )
        ctx.store.suppressions.add(self._key(guest), now)
        ctx.count("opt_outs")
        ctx.messenger.send_text(guest.guest_id, ctx.text(guest, "opted_out"))  # the one confirmation
        return Outcome.OPTED_OUT

    def stop_again(self, guest: Guest) -> Outcome:
        """STOP from a guest who is stopped already: the question of a story's prize they were asked is dropped."""
        self.ctx.save(guest, awaiting=None, pending_mid=None, pending_at=None, pending_period=None, tries=0)
        return Outcome.SILENCED

    def start(self, guest: Guest) -> Outcome:
        """Off the list, and one confirmation (to a guest who never said STOP too: it is true all the same)."""
        ctx = self.ctx
        ctx.store.suppressions.remove(self._key(guest))
        ctx.save(guest, opted_out_at=None)
        ctx.send(guest, ctx.text(guest, "opted_in"))
        return Outcome.OPTED_IN

    def _key(self, guest: Guest) -> str:
        return suppression_key(guest.guest_id, self.secret(self.ctx.config.secrets.coupon_signing_key))

    def _withdrawal(self, event: InboundEvent, guest: Guest) -> OutboxEvent:
        """What the owner's sinks need to drop the guest's contacts: who, and the values they hold, if still here."""
        now = self.ctx.clock.now()
        versions = sorted({v for v in (guest.email_consent_version, guest.phone_consent_version) if v})
        return OutboxEvent(
            event_id=f"contact.withdrawn-{guest.guest_id}-{int(event.sent_at.timestamp())}",  # one per STOP message
            event_type="contact.withdrawn",
            occurred_at=now,
            guest_id=guest.guest_id,
            display_name=guest.display_name,
            language=self.ctx.language(guest),
            email=guest.email,
            phone=guest.phone,
            channel="all",
            consent_version=", ".join(versions) or None,  # the consent withdrawn
            consent_at=now,
        )
