"""An award's messages — the prize text, the coupon image, the review question — each sent at most once, and none
lost without a trace.

Intent before the send, outcome after: the send of a message is first recorded on its award (`<message>_sending_at`
and, for a text, `<message>_digest`, the fingerprint of exactly what is sent) with a conditional write, so one
attempt sends it; the caller records the outcome (Meta's message id, or the refusal) in its own update. When Meta
answers that the message was not sent (throttled, temporary, refused) the intent is withdrawn and a later attempt
sends it. When Meta's answer is lost (GraphError UNCERTAIN), or an attempt died between the send and the outcome (the
next attempt finds the intent alone: every send of an award happens under its delivery hold, so no other attempt can
still be sending), the text is looked up in the guest's conversation: found, it was delivered; not found once the
send is `SETTLE` old, it was not, and the next attempt sends it; the conversation unreadable, its fate is unknown for
good — never sent again, and counted (`dms_uncertain`). An image is never looked up: its intent alone makes it
uncertain (the text carries the code)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tagback.conversation.context import Context
from tagback.conversation.outcome import DeliveryPending, pending_while_throttled
from tagback.domain.awards import Award, AwardMessage, Guest
from tagback.domain.messaging import ErrorKind, GraphError, QuickReply, fingerprint
from tagback.domain.runtime import seconds_left
from tagback.observability import logger

# A send's answer is long over by then (the Graph client gives up reading after 10 s): a message the conversation
# does not list by then was not sent.
SETTLE = timedelta(seconds=30)
SKEW = timedelta(minutes=2)  # the conversation is read from a little before the send: Meta's clock is not ours
LOOKUP_SECONDS = 30.0  # kept free for the lookup after waiting for a send to settle


@dataclass(frozen=True)
class Sent:
    mid: str | None  # Meta's id of the message; None: it may or may not have reached the guest, never to be known


@dataclass(frozen=True)
class Once:
    ctx: Context

    def send_text(
        self,
        award: Award,
        message: AwardMessage,
        guest: Guest,
        text: str,
        quick_replies: Sequence[QuickReply] = (),
    ) -> Sent:
        """Send `text` (composed for the guest) as the award's `message`, unless an earlier attempt did. Raises
        DeliveryPending when it is to be sent (or looked up) again later, the GraphError when Meta refused it."""
        ctx = self.ctx
        began = getattr(award, f"{message}_sending_at")
        if began is not None:  # an earlier attempt began it and never learnt the outcome
            settled = self._settle(award, message, guest, began, getattr(award, f"{message}_digest"))
            if settled is not None:
                return settled
        composed = ctx.compose(guest, text)
        digest, at = fingerprint(composed), ctx.clock.now()
        self._begin(award, message, at, digest)
        try:
            with pending_while_throttled():
                mid = ctx.messenger.send_text(guest.guest_id, composed, quick_replies)
        except DeliveryPending:
            self._withdraw(award, message)
            raise
        except GraphError as error:
            if error.kind is not ErrorKind.UNCERTAIN:
                self._withdraw(award, message)
                raise
            logger.warning("answer to a send lost: looked up", extra={"award_message": message, "error": str(error)})
            settled = self._settle(award, message, guest, at, digest)
            if settled is None:  # not delivered: one send per attempt, so the next attempt sends it
                raise DeliveryPending(f"the {message} did not arrive ({error}): sent again on the retry") from error
            return settled
        ctx.greeted(guest)
        return Sent(mid)

    def send_image(self, award: Award, url: str) -> Sent:
        """Send the image at `url` as the award's coupon image, unless an earlier attempt began to; raises the
        GraphError when Meta refused it."""
        ctx = self.ctx
        if award.image_sending_at is not None:
            ctx.uncertain(AwardMessage.IMAGE)
            return Sent(None)
        self._begin(award, AwardMessage.IMAGE, ctx.clock.now(), None)
        try:
            return Sent(ctx.messenger.send_image(award.key.guest_id, url))
        except GraphError as error:
            if error.kind is not ErrorKind.UNCERTAIN:
                raise
            ctx.uncertain(AwardMessage.IMAGE, error)
            return Sent(None)

    def _begin(self, award: Award, message: AwardMessage, at: datetime, digest: str | None) -> None:
        if not self.ctx.store.awards.begin_send(award.key, message, at=at, digest=digest):
            # Only a delivery that lost its hold (or an award erased meanwhile) gets here: the retry sorts it out.
            raise DeliveryPending(f"award {award.key.award_id}: its {message} is being sent by another attempt")

    def _withdraw(self, award: Award, message: AwardMessage) -> None:
        withdrawn: dict[str, Any] = {f"{message}_sending_at": None, f"{message}_digest": None}
        self.ctx.store.awards.update(award.key, **withdrawn)

    def _settle(
        self, award: Award, message: AwardMessage, guest: Guest, began: datetime, digest: str | None
    ) -> Sent | None:
        """What became of a send begun at `began`: Sent (with Meta's id when the conversation lists it, else None:
        unknown for good), or None when it was not delivered (the intent is withdrawn: it may be sent now). Raises
        DeliveryPending when the conversation cannot be read now, or there is no time left to wait for the send to
        settle."""
        ctx = self.ctx
        found = self._look_up(guest, began, digest)
        wait = (began + SETTLE - ctx.clock.now()).total_seconds()
        if found is None and wait > 0:
            if seconds_left() < wait + LOOKUP_SECONDS:
                raise DeliveryPending(f"the {message} may still arrive: looked up again on the retry")
            ctx.clock.sleep(wait)
            found = self._look_up(guest, began, digest)
        if found is None:
            self._withdraw(award, message)
            return None
        if found.mid is None:
            ctx.uncertain(message)
        else:
            ctx.greeted(guest)
        return found

    def _look_up(self, guest: Guest, began: datetime, digest: str | None) -> Sent | None:
        """The message in the guest's conversation: Sent with its id, None when it is not there, Sent(None) when the
        conversation cannot be read for good."""
        try:
            sent = self.ctx.messenger.sent_since(guest.guest_id, began - SKEW)
        except GraphError as error:
            if error.retryable:
                raise DeliveryPending(f"the conversation could not be read now ({error})") from error
            logger.warning("conversation unreadable", extra={"error": str(error)})
            return Sent(None)
        mid = next((m.mid for m in sent if digest is not None and fingerprint(m.text) == digest), None)
        return Sent(mid) if mid is not None else None
