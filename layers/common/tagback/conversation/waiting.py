"""Messages waiting for the venue's token: when Meta refused the token (code 190, or a permission), the prize DM or
the review question waited (delivery.py, review.py). Once the token works again they go out, the oldest mention
first, while Meta's 24-hour window is open; after it they end as failed, counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tagback.conversation.context import Context
from tagback.conversation.delivery import Delivery
from tagback.conversation.outcome import Outcome
from tagback.conversation.review import MESSAGING_WINDOW, Reviews
from tagback.domain.awards import AwardState, FollowUpState, Guest, WaitingForToken
from tagback.observability import logger


@dataclass(frozen=True)
class Waiting:
    ctx: Context
    delivery: Delivery
    reviews: Reviews

    def resume(self) -> Counter[str]:
        """Send what waits, oldest first; stop at the first the token is still refused for. Outcomes, counted."""
        outcomes: Counter[str] = Counter()
        for waiting in self.ctx.store.awards.waiting_for_token():
            outcome = self._resume(waiting)
            outcomes[outcome] += 1
            if outcome in (AwardState.WAITING_FOR_TOKEN, FollowUpState.WAITING_FOR_TOKEN):
                break  # still refused: the rest waits too (the alarm has been raised again)
            self.ctx.store.awards.done_waiting(waiting)
        return outcomes

    def _resume(self, waiting: WaitingForToken) -> str:
        ctx = self.ctx
        award = ctx.store.awards.get(waiting.key)
        if award is None:
            return "waiting_award_gone"  # expired meanwhile (or erased)
        guest = ctx.store.guests.get(waiting.key.guest_id) or Guest(waiting.key.guest_id)
        window_closed = ctx.clock.now() >= award.mentioned_at + MESSAGING_WINDOW
        if waiting.message == "followup":
            # None: a resume that Meta throttled (the retry asks again); anything else was settled meanwhile.
            if award.followup_state not in (FollowUpState.WAITING_FOR_TOKEN, None):
                return "waiting_already_resumed"
            if window_closed:
                ctx.update(award, followup_state=FollowUpState.SKIPPED_WINDOW)
                return FollowUpState.SKIPPED_WINDOW.value
            ctx.update(award, followup_state=None)
            state = self.reviews.follow_up(waiting.key)
            return state.value if state is not None else "waiting_award_gone"
        # CLAIMED: a resume that Meta throttled (its marker kept, the retry sends); anything else was settled.
        if award.state not in (AwardState.WAITING_FOR_TOKEN, AwardState.CLAIMED):
            return "waiting_already_resumed"
        # A STOP after the story cancels its prize; a story after a STOP is the guest's own request.
        stopped_since = guest.opted_out_at is not None and guest.opted_out_at >= award.mentioned_at
        if window_closed or stopped_since:
            why = "Meta's 24-hour window closed" if window_closed else "the guest opted out"
            logger.warning("waiting prize DM given up", extra={"award": award.key.award_id, "reason": why})
            ctx.count("dms_failed")
            ctx.update(award, state=AwardState.DM_FAILED_PERMANENT, dm_error=f"waited for the token until {why}")
            return Outcome.DM_FAILED_PERMANENT.value
        return self.delivery.resume(ctx.update(award, state=AwardState.CLAIMED), guest).value
