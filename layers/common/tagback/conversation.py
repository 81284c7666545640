"""The conversation engine: what Tagback does with each inbound event. The only place that decides.

A story mention claims the guest's award for the claim period (a conditional write: exactly one winner under
any concurrency or redelivery), draws a prize within the daily caps, issues a coupon, DMs the prize text with the
code, schedules the follow-up, then sends the coupon image. Every step records its result on the award before
the next, so a redelivered record resumes where the last one stopped and never sends a second prize DM.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from tagback.awards import GUEST_WAS_MESSAGED, Award, AwardKey, AwardState, Coupon, FollowUpState, Guest
from tagback.clock import Clock
from tagback.config import ClientConfig, Prize
from tagback.coupons import CouponFace, render_coupon
from tagback.messages import format_date, render
from tagback.meta.graph import ErrorKind, GraphError, Profile, QuickReply
from tagback.meta.webhook import EventKind, InboundEvent
from tagback.observability import logger
from tagback.prizes import RandomSource, draw_within_caps, new_coupon_code
from tagback.scheduling import FollowUpScheduler
from tagback.secrets import SecretReader

_CODE_ATTEMPTS = 5
MESSAGING_WINDOW = timedelta(hours=24)  # opened by the guest's story mention (Meta's rule)


class ConversationStore(Protocol):
    def claim_award(
        self, award: Award, expires_at: datetime, cooldown_since: datetime | None = None
    ) -> tuple[Award, bool]: ...
    def get_award(self, key: AwardKey) -> Award | None: ...
    def update_award(self, key: AwardKey, *, only_if_no_prize: bool = False, **changes: Any) -> bool: ...
    def reserve_prize(self, prize_id: str, local_date: Any, cap: int, expires_at: datetime) -> bool: ...
    def add_coupon(self, coupon: Coupon, expires_at: datetime) -> bool: ...
    def get_guest(self, guest_id: str) -> Guest | None: ...
    def save_guest(self, guest: Guest, expires_at: datetime) -> None: ...
    def replied(self, event: InboundEvent) -> bool: ...
    def record_reply(self, event: InboundEvent, *, reply_mid: str | None = None, error: str | None = None) -> None: ...


class Messenger(Protocol):
    def send_text(self, recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str: ...
    def send_image(self, recipient: str, url: str) -> str: ...
    def profile(self, guest_id: str) -> Profile: ...


class CouponImages(Protocol):
    def publish(self, code: str, png: bytes) -> str:
        """Store the image and return a short-lived URL Meta can fetch it from."""
        ...


class Outcome(StrEnum):
    DM_SENT = AwardState.DM_SENT.value
    NO_PRIZE_LEFT = AwardState.NO_PRIZE_LEFT.value
    DM_FAILED_PERMANENT = AwardState.DM_FAILED_PERMANENT.value
    DM_FAILED_AUTH = AwardState.DM_FAILED_AUTH.value
    REPEAT_REPLIED = "repeat_replied"
    REPEAT_ALREADY_REPLIED = "repeat_already_replied"
    REPEAT_REPLY_FAILED = "repeat_reply_failed"
    NOT_HANDLED = "not_handled"


class DeliveryPending(Exception):
    """Meta was throttling or unavailable beyond the client's own retries: the stream retries the record."""


@dataclass
class Engine:
    config: ClientConfig
    store: ConversationStore
    messenger: Messenger
    images: CouponImages
    followups: FollowUpScheduler
    clock: Clock
    rng: RandomSource
    secret: SecretReader  # read when needed, so a function that never issues coupons never reads the key

    def handle(self, event: InboundEvent) -> Outcome:
        if event.kind is EventKind.STORY_MENTION:
            return self._story_mention(event)
        return Outcome.NOT_HANDLED

    # -- story mention ---------------------------------------------------------------------------------------
    def _story_mention(self, event: InboundEvent) -> Outcome:
        self._remember_name(event.guest_id)
        award, _ = self._claim(event)
        if award.mention_mid != event.mid:
            return self._reply_to_repeat(event)
        if award.state is AwardState.CLAIMED:
            award = self._deliver(award)
        if award.state in GUEST_WAS_MESSAGED and award.followup_at is None:
            due = award.claimed_at + timedelta(minutes=self.config.followup_delay_minutes)
            self.followups.schedule_followup(award.key, due)
            award = self._update(award, followup_at=due)
        if award.state is AwardState.DM_SENT and award.image_mid is None and award.image_error is None:
            self._send_coupon_image(award)
        return Outcome(award.state.value)

    def _expiry(self) -> datetime:
        return self.clock.now() + timedelta(days=self.config.retention_days)

    def _claim(self, event: InboundEvent) -> tuple[Award, bool]:
        local = event.sent_at.astimezone(self.config.tz)
        policy = self.config.claim_policy
        if policy.cooldown_hours is None:
            period, since = local.date().isoformat(), None
        else:
            period, since = local.strftime("%Y-%m-%dT%H:%M"), event.sent_at - timedelta(hours=policy.cooldown_hours)
        award = Award(
            key=AwardKey(event.guest_id, period),
            mention_mid=event.mid,
            mentioned_at=event.sent_at,
            claimed_at=self.clock.now(),
            local_date=local.date(),
        )
        return self.store.claim_award(award, self._expiry(), cooldown_since=since)

    def _update(self, award: Award, **changes: Any) -> Award:
        self.store.update_award(award.key, **changes)
        return dataclasses.replace(award, **changes)

    def _deliver(self, award: Award) -> Award:
        if award.prize_id is None:
            prize = draw_within_caps(self.config.prizes, self.rng, lambda p: self._reserve(p, award))
            if prize is None:
                return self._send_text(award, "all_prizes_given", AwardState.NO_PRIZE_LEFT)
            coupon = self._issue_coupon(award, prize)
            drawn: dict[str, Any] = {
                "prize_id": prize.id,
                "prize_name": prize.name,
                "coupon_code": coupon.code,
                "valid_until": coupon.valid_until,
            }
            if self.store.update_award(award.key, only_if_no_prize=True, **drawn):
                award = dataclasses.replace(award, **drawn)
            else:  # a concurrent delivery of the same mention drew first: use its prize
                current = self.store.get_award(award.key)
                assert current is not None
                award = current
        return self._send_text(award, "prize_awarded", AwardState.DM_SENT)

    def _reserve(self, prize: Prize, award: Award) -> bool:
        assert prize.daily_cap is not None
        return self.store.reserve_prize(prize.id, award.local_date, prize.daily_cap, self._expiry())

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
            if self.store.add_coupon(coupon, self._expiry() + timedelta(days=prize.valid_days)):
                return coupon
        raise RuntimeError(f"no unique coupon code after {_CODE_ATTEMPTS} attempts")

    def _texts(self, award: Award) -> dict[str, str]:
        language = self.config.default_language
        return {
            "venue": self.config.venue_name,
            "prize": award.prize_name or "",
            "code": award.coupon_code or "",
            "valid_until": format_date(award.valid_until, language) if award.valid_until else "",
        }

    def _send_text(self, award: Award, key: str, success: AwardState) -> Award:
        text = render(self.config, key, self.config.default_language, **self._texts(award))
        try:
            mid = self.messenger.send_text(award.key.guest_id, text)
        except GraphError as error:
            return self._failed(award, error)
        return self._update(award, state=success, text_mid=mid, dm_error=None)

    def _failed(self, award: Award, error: GraphError) -> Award:
        if error.retryable:
            self._update(award, dm_error=str(error)[:300])
            raise DeliveryPending(str(error)) from error
        state = AwardState.DM_FAILED_AUTH if error.kind is ErrorKind.AUTH else AwardState.DM_FAILED_PERMANENT
        logger.warning("prize DM failed for good", extra={"award": award.key.award_id, "error": str(error)})
        return self._update(award, state=state, dm_error=str(error)[:300])

    def _send_coupon_image(self, award: Award) -> None:
        # The text already carries the code, so the image is best effort: any failure is recorded, not retried.
        assert award.coupon_code is not None
        texts = self._texts(award)
        face = CouponFace(
            venue=texts["venue"],
            prize=texts["prize"],
            code=texts["code"],
            valid_until=render(self.config, "coupon_valid_until", self.config.default_language, **texts),
        )
        try:
            image = render_coupon(face, self.config)
            if image.missing_glyphs:
                logger.warning(
                    "coupon text has characters no font covers: add a font to coupon.fonts",
                    extra={"characters": image.missing_glyphs},
                )
            url = self.images.publish(award.coupon_code, image.png)
            self._update(award, image_mid=self.messenger.send_image(award.key.guest_id, url))
        except Exception as error:
            logger.warning("coupon image not delivered", extra={"award": award.key.award_id, "error": repr(error)})
            self._update(award, image_error=repr(error)[:300])

    def _reply_to_repeat(self, event: InboundEvent) -> Outcome:
        if self.store.replied(event):
            return Outcome.REPEAT_ALREADY_REPLIED
        text = render(self.config, "repeat_mention", self.config.default_language, venue=self.config.venue_name)
        try:
            mid = self.messenger.send_text(event.guest_id, text)
        except GraphError as error:
            if error.retryable:
                raise DeliveryPending(str(error)) from error
            self.store.record_reply(event, error=str(error)[:300])
            return Outcome.REPEAT_REPLY_FAILED
        self.store.record_reply(event, reply_mid=mid)
        return Outcome.REPEAT_REPLIED

    # -- the review follow-up --------------------------------------------------------------------------------
    def follow_up(self, key: AwardKey) -> FollowUpState | None:
        """Ask for a review, once per award, the same way for every guest who got a DM (no gating, no reward).
        Returns the follow-up's state, or None when there is no such award."""
        award = self.store.get_award(key)
        if award is None:
            logger.error("follow-up for an unknown award", extra={"award": key.award_id})
            return None
        if award.followup_state is not None:
            return award.followup_state  # already asked (or skipped): a second trigger is a no-op
        if award.state not in GUEST_WAS_MESSAGED:
            return self._followup_done(award, FollowUpState.SKIPPED_NOT_MESSAGED)
        if self.clock.now() >= award.mentioned_at + MESSAGING_WINDOW:
            return self._followup_done(award, FollowUpState.SKIPPED_WINDOW)
        language = self.config.default_language
        answers = [
            QuickReply(render(self.config, "answer_yes", language), f"REVIEW_YES:{key.award_id}"),
            QuickReply(render(self.config, "answer_no", language), f"REVIEW_NO:{key.award_id}"),
        ]
        question = render(self.config, "review_question", language, venue=self.config.venue_name)
        try:
            mid = self.messenger.send_text(key.guest_id, question, answers)
        except GraphError as error:
            if error.retryable:
                raise DeliveryPending(str(error)) from error
            failed = FollowUpState.FAILED_AUTH if error.kind is ErrorKind.AUTH else FollowUpState.FAILED_PERMANENT
            return self._followup_done(award, failed)
        return self._followup_done(award, FollowUpState.SENT, mid)

    def _followup_done(self, award: Award, state: FollowUpState, mid: str | None = None) -> FollowUpState:
        self._update(award, followup_state=state, followup_mid=mid)
        return state

    def _remember_name(self, guest_id: str) -> None:
        """The guest's display name (never the @handle) for the owner's sheet, fetched once."""
        if self.store.get_guest(guest_id) is not None:
            return
        try:
            profile = self.messenger.profile(guest_id)
        except GraphError as error:
            logger.info("guest profile not available yet", extra={"error": str(error)})
            return
        self.store.save_guest(Guest(guest_id, profile.name), self._expiry())
