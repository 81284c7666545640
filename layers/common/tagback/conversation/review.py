"""The review: the follow-up question once per award, the same for every guest who got a DM (no gating, no reward),
and the answer, tapped or typed (`yes_no`) — Yes gets tracked links to the review platforms, No gets thanks; only the
first answer counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tagback.conversation import payloads
from tagback.conversation.context import Context
from tagback.conversation.delivery import DELIVERY_HOLD
from tagback.conversation.once import Once
from tagback.conversation.outcome import DeliveryPending, Outcome
from tagback.conversation.questions import Questions
from tagback.conversation.stop import Stops
from tagback.domain.awards import (
    GUEST_WAS_MESSAGED,
    Award,
    AwardKey,
    AwardMessage,
    FollowUpState,
    Guest,
    WaitingForToken,
)
from tagback.domain.messaging import ErrorKind, GraphError, QuickReply, UrlButton
from tagback.domain.prizes import RandomSource
from tagback.observability import logger

MESSAGING_WINDOW = timedelta(hours=24)  # opened by the guest's story mention (Meta's rule)
GOOGLE_REVIEW = "https://search.google.com/local/writereview?placeid={place_id}"
_LINK_SYMBOLS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TOKEN_LENGTH = 22  # 132 bits


@dataclass(frozen=True)
class Reviews:
    ctx: Context
    rng: RandomSource
    link_prefix: str  # where the client's tracked links start: the edge's /l/<client-id>
    stops: Stops
    once: Once
    questions: Questions

    def follow_up(self, key: AwardKey) -> FollowUpState | None:
        """Ask for a review, once per award, under the award's delivery hold (as every message of an award is sent).
        Returns the follow-up's state, or None when there is no such award; raises DeliveryPending while another
        delivery of the award is under way."""
        ctx = self.ctx
        award = ctx.store.awards.get(key)
        if award is None:
            logger.error("follow-up for an unknown award", extra={"award": key.award_id})
            return None
        if award.followup_state is not None:
            return award.followup_state  # already asked (or skipped, or waiting): a second trigger is a no-op
        now = ctx.clock.now()
        held = ctx.store.awards.hold_delivery(key, now=now, until=now + DELIVERY_HOLD)
        if held is None:
            raise DeliveryPending(f"award {key.award_id}: another delivery of it is under way")
        try:
            return held.followup_state or self._ask(held)
        finally:
            ctx.store.awards.release_delivery(key)

    def _ask(self, award: Award) -> FollowUpState:
        ctx = self.ctx
        key = award.key
        guest = ctx.store.guests.get(key.guest_id) or Guest(key.guest_id)
        if self.stops.suppressed(guest):  # said STOP since the prize, or before it and their profile expired
            return self._done(award, FollowUpState.SKIPPED_OPTED_OUT)
        if award.state not in GUEST_WAS_MESSAGED:
            return self._done(award, FollowUpState.SKIPPED_NOT_MESSAGED)
        if ctx.clock.now() >= award.mentioned_at + MESSAGING_WINDOW:
            return self._done(award, FollowUpState.SKIPPED_WINDOW)
        self.questions.close(guest)  # an unanswered question of the venue's never holds up the review
        answers = [
            QuickReply(ctx.text(guest, "answer_yes"), payloads.encode(payloads.ReviewAnswer(key.period, yes=True))),
            QuickReply(ctx.text(guest, "answer_no"), payloads.encode(payloads.ReviewAnswer(key.period, yes=False))),
        ]
        try:
            sent = self.once.send_text(award, AwardMessage.FOLLOWUP, guest, ctx.text(guest, "review_question"), answers)
        except GraphError as error:
            if error.kind is ErrorKind.AUTH:  # the venue's token: asked once a new one works
                waiting = WaitingForToken(key, "followup", award.mentioned_at)
                ctx.store.awards.wait_for_token(waiting, ctx.expiry())
                return self._done(award, FollowUpState.WAITING_FOR_TOKEN)
            return self._done(award, FollowUpState.FAILED_PERMANENT)
        ctx.count("review_questions")
        if sent.mid is None:
            return self._done(award, FollowUpState.UNCERTAIN)
        return self._done(award, FollowUpState.SENT, sent.mid)

    def open_question(self, guest: Guest) -> AwardKey | None:
        """The award whose review question the guest was asked and has not answered yet: their latest award's."""
        award = self.ctx.store.awards.latest(guest.guest_id)
        if award is None or award.followup_state is not FollowUpState.SENT or award.review_answer is not None:
            return None
        return award.key

    def answer(self, guest: Guest, key: AwardKey, *, yes: bool) -> Outcome:
        ctx = self.ctx
        award = ctx.store.awards.get(key)
        if award is None or award.review_answer is not None:
            return Outcome.IGNORED  # not ours, or answered already: one answer counts
        ctx.update(award, review_answer="yes" if yes else "no", review_answered_at=ctx.clock.now())
        ctx.count("review_yes" if yes else "review_no")
        if not yes:
            ctx.send(guest, ctx.text(guest, "review_declined"))
            return Outcome.REPLIED
        language = ctx.language(guest)
        links = [
            (title, self._tracked_link(award.key, platform, target, language))
            for platform, title, target in self._targets()
        ]
        if len(links) == 1:
            ctx.send(guest, ctx.text(guest, "review_link", link=links[0][1]))
        else:
            buttons = [UrlButton(title, url) for title, url in links]
            ctx.messenger.send_buttons(guest.guest_id, ctx.text(guest, "review_links"), buttons)
        return Outcome.REPLIED

    def _done(self, award: Award, state: FollowUpState, mid: str | None = None) -> FollowUpState:
        self.ctx.update(award, followup_state=state, followup_mid=mid)
        return state

    def _targets(self) -> list[tuple[str, str, str]]:
        links = self.ctx.config.review_links
        targets = [("google", "Google", GOOGLE_REVIEW.format(place_id=links.google_place_id))]
        if links.tripadvisor_url is not None:
            targets.append(("tripadvisor", "Tripadvisor", str(links.tripadvisor_url)))
        if links.facebook_url is not None:
            targets.append(("facebook", "Facebook", str(links.facebook_url)))
        return targets

    def _tracked_link(self, key: AwardKey, platform: str, target: str, language: str) -> str:
        """An unguessable token whose target is fixed now, so the edge's /l/<client>/<token> is no open redirect;
        it keeps the guest's language for the edge's hand-off page."""
        token = "".join(self.rng.choice(_LINK_SYMBOLS) for _ in range(_TOKEN_LENGTH))
        self.ctx.store.links.create(token, target, platform, key, self.ctx.expiry(), language=language)
        return f"{self.link_prefix.rstrip('/')}/{token}"
