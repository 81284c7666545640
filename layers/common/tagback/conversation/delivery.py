"""Everything after the claim, each step once: the prize draw and coupon, the prize DM, the owner's event, the
follow-up's schedule, the coupon image and the contact question (or, with none to ask, the venue's questions). Every
step records its result on the award before the next, and each message its intent before it is sent (`once.Once`),
so a redelivered record resumes where the last attempt stopped without sending a delivered message again; one
delivery of an award runs at a time (a hold on the award), so two paths that resume it together (a retry, a repeat
mention, the token step, the language timeout) never send a message twice. A guest who said STOP gets the prize and
its image only: no follow-up, no contact question, no question of the venue's. Another mention of the period (a
repeat) gets the polite reply only once the award reached the guest."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tagback.config.model import Prize
from tagback.conversation.contact import Contacts
from tagback.conversation.context import Context
from tagback.conversation.once import Once
from tagback.conversation.outcome import DeliveryPending, Outcome
from tagback.conversation.ports import CouponImages, SecretReader, StepScheduler
from tagback.conversation.questions import Questions
from tagback.conversation.stop import Stops
from tagback.domain.awards import (
    GUEST_WAS_MESSAGED,
    PRIZE_GIVEN,
    Awaiting,
    Award,
    AwardMessage,
    AwardState,
    Coupon,
    CouponFace,
    FollowUpState,
    Guest,
    WaitingForToken,
)
from tagback.domain.messaging import ErrorKind, GraphError
from tagback.domain.prizes import RandomSource, draw_within_caps, new_coupon_code
from tagback.domain.stats import month_of
from tagback.domain.steps import Step
from tagback.messages.render import format_date
from tagback.observability import logger

_CODE_ATTEMPTS = 5
FOLLOWUP_LEAD = timedelta(minutes=1)  # the earliest a follow-up is scheduled from now
# How long a delivery holds its award: longer than any function may run (Lambda's 15 minutes), so a live holder is
# never overtaken, and the hold of one that crashed lapses.
DELIVERY_HOLD = timedelta(minutes=15)


@dataclass(frozen=True)
class Delivery:
    ctx: Context
    images: CouponImages
    scheduler: StepScheduler
    rng: RandomSource
    secret: SecretReader  # read when needed, so a function that never issues coupons never reads the key
    contacts: Contacts
    questions: Questions
    stops: Stops
    once: Once

    def resume(self, award: Award, guest: Guest) -> Outcome:
        """Everything after the claim, each step once: prize DM, follow-up, coupon image, contact question. Raises
        DeliveryPending while another delivery of the award is under way: the retry finds its work done."""
        outcome = self._resume_if_free(award, guest)
        if outcome is None:
            raise DeliveryPending(f"award {award.key.award_id}: another delivery of it is under way")
        return outcome

    def repeat(self, award: Award, guest: Guest) -> tuple[Outcome, str | None]:
        """What another mention of the award's period gets, and its reply's id. Once the award reached the guest,
        the polite "again" reply. Before that, no "again": the award on its way is the guest's prize — its delivery
        resumed when a retryable failure left it stuck (no language question open, no token awaited), else nothing is
        sent."""
        ctx = self.ctx
        if award.state in GUEST_WAS_MESSAGED:
            return Outcome.REPEAT_REPLIED, ctx.send(guest, ctx.text(guest, "repeat_mention"))
        # The table question comes before its award: once the award exists, the table was answered.
        asked = guest.awaiting is Awaiting.LANGUAGE and guest.pending_period == award.key.period
        if award.state is AwardState.CLAIMED and award.dm_error is not None and not asked:
            return self._resume_if_free(award, guest) or Outcome.REPEAT_BEFORE_PRIZE, None
        return Outcome.REPEAT_BEFORE_PRIZE, None

    def _resume_if_free(self, award: Award, guest: Guest) -> Outcome | None:
        """The delivery, under the award's hold; None when another delivery holds it. The award and the guest are
        read again once held: another delivery may have moved them on since they were read."""
        ctx = self.ctx
        now = ctx.clock.now()
        held = ctx.store.awards.hold_delivery(award.key, now=now, until=now + DELIVERY_HOLD)
        if held is None:
            return None
        try:
            return self._deliver(held, ctx.store.guests.get(guest.guest_id) or guest)
        finally:
            ctx.store.awards.release_delivery(award.key)

    def _deliver(self, award: Award, guest: Guest) -> Outcome:
        ctx = self.ctx
        if award.state is AwardState.CLAIMED:
            award = self._prize_dm(award, guest)
        if award.state in PRIZE_GIVEN:  # the owner's sheet and CRM hear of it (idempotent: one event id)
            ctx.store.outbox.add(
                ctx.owner_event(guest, "award", f"award-{award.key.award_id}", award=award), ctx.expiry()
            )
        stopped = self.stops.suppressed(guest)
        if award.state in GUEST_WAS_MESSAGED and award.followup_at is None and award.followup_state is None:
            skipped = FollowUpState.SKIPPED_OPTED_OUT
            award = ctx.update(award, followup_state=skipped) if stopped else self._schedule_follow_up(award)
        if award.state in PRIZE_GIVEN and award.image_mid is None and award.image_error is None:
            self._send_coupon_image(award, guest)
        # The contact question, once per guest; the venue's questions follow it (so a personal one knows the guest's
        # consent): at its end, or now when there is none to ask.
        given = award.state in PRIZE_GIVEN and not stopped
        if given and not (guest.contact_asked_at is None and self.contacts.offer(guest)):
            self.questions.begin(award, guest)
        return Outcome(award.state.value)

    def _schedule_follow_up(self, award: Award) -> Award:
        ctx = self.ctx
        # Never in the past: a prize that waited for the venue's token gets its question a little later.
        due = max(
            award.claimed_at + timedelta(minutes=ctx.config.followup_delay_minutes),
            ctx.clock.now() + FOLLOWUP_LEAD,
        )
        self.scheduler.schedule(Step.FOLLOW_UP, award.key, due)
        return ctx.update(award, followup_at=due)

    def _prize_dm(self, award: Award, guest: Guest) -> Award:
        if award.prize_id is None:
            prize = draw_within_caps(self.ctx.config.prizes, self.rng, lambda p: self._reserve(p, award))
            if prize is None:
                return self._send_award_text(award, guest, "all_prizes_given", AwardState.NO_PRIZE_LEFT)
            coupon = self._issue_coupon(award, prize)
            drawn: dict[str, Any] = {
                "prize_id": prize.id,
                "prize_name": prize.name,
                "coupon_code": coupon.code,
                "valid_until": coupon.valid_until,
            }
            if self.ctx.store.awards.update(award.key, only_if_no_prize=True, **drawn):
                award = dataclasses.replace(award, **drawn)
            else:  # a concurrent delivery of the same mention drew first: use its prize
                current = self.ctx.store.awards.get(award.key)
                assert current is not None
                award = current
        return self._send_award_text(award, guest, "prize_awarded", AwardState.DM_SENT)

    def _reserve(self, prize: Prize, award: Award) -> bool:
        assert prize.daily_cap is not None
        return self.ctx.store.awards.reserve_prize(prize.id, award.local_date, prize.daily_cap, self.ctx.expiry())

    def _issue_coupon(self, award: Award, prize: Prize) -> Coupon:
        ctx = self.ctx
        valid_until = award.local_date + timedelta(days=prize.valid_days)
        for _ in range(_CODE_ATTEMPTS):
            coupon = Coupon(
                code=new_coupon_code(self.rng, self.secret(ctx.config.secrets.coupon_signing_key)),
                award=award.key,
                prize_id=prize.id,
                prize_name=prize.name,
                issued_at=ctx.clock.now(),
                valid_until=valid_until,
            )
            if ctx.store.coupons.add(coupon, ctx.expiry() + timedelta(days=prize.valid_days)):
                return coupon
        raise RuntimeError(f"no unique coupon code after {_CODE_ATTEMPTS} attempts")

    def _award_texts(self, award: Award, guest: Guest) -> dict[str, str]:
        language = self.ctx.language(guest)
        valid_until = format_date(award.valid_until, language) if award.valid_until else ""
        prizes = self.ctx.config.prizes
        prize = next((p.name_in(language) for p in prizes if p.id == award.prize_id), award.prize_name)
        return {"prize": prize or "", "code": award.coupon_code or "", "valid_until": valid_until}

    def _send_award_text(self, award: Award, guest: Guest, key: str, success: AwardState) -> Award:
        ctx = self.ctx
        text = ctx.text(guest, key, **self._award_texts(award, guest))
        try:
            sent = self.once.send_text(award, AwardMessage.TEXT, guest, text)
        except DeliveryPending as pending:  # the award keeps the error while the event source retries
            ctx.update(award, dm_error=str(pending)[:300])
            raise
        except GraphError as error:
            return self._failed(award, error)
        if success is AwardState.DM_SENT:  # given, even when uncertain: the coupon stands and its image follows
            first = ctx.store.guests.first_award_of_month(guest.guest_id, month_of(award.claimed_at, ctx.config.tz))
            by_table = [f"awards_table_{award.table}"] if award.table else []
            ctx.count("awards", f"awards_prize_{award.prize_id}", *by_table, *(["unique_guests"] if first else []))
        if sent.mid is None:
            uncertain = AwardState.DM_UNCERTAIN if success is AwardState.DM_SENT else success
            return ctx.update(award, state=uncertain, dm_error="Meta's answer was lost; the conversation unreadable")
        return ctx.update(award, state=success, text_mid=sent.mid, dm_error=None)

    def _failed(self, award: Award, error: GraphError) -> Award:
        ctx = self.ctx
        if error.kind is ErrorKind.AUTH:  # the venue's token: not the guest's fault, so the prize waits for a new one
            logger.warning("prize DM waits for the venue's token", extra={"award": award.key.award_id})
            ctx.store.awards.wait_for_token(WaitingForToken(award.key, "prize", award.mentioned_at), ctx.expiry())
            return ctx.update(award, state=AwardState.WAITING_FOR_TOKEN, dm_error=str(error)[:300])
        logger.warning("prize DM failed for good", extra={"award": award.key.award_id, "error": str(error)})
        ctx.count("dms_failed")
        return ctx.update(award, state=AwardState.DM_FAILED_PERMANENT, dm_error=str(error)[:300])

    def _send_coupon_image(self, award: Award, guest: Guest) -> None:
        # The text already carries the code, so the image is best effort: any failure is recorded, not retried.
        ctx = self.ctx
        assert award.coupon_code is not None and award.valid_until is not None
        texts = self._award_texts(award, guest)
        face = CouponFace(
            venue=ctx.config.venue_name,
            prize=texts["prize"],
            code=texts["code"],
            valid_until=ctx.text(guest, "coupon_valid_until", valid_until=texts["valid_until"]),
            staff_line=ctx.text(guest, "coupon_show_staff"),
        )
        try:
            url = self.images.publish(face, valid_days=(award.valid_until - award.local_date).days)
            sent = self.once.send_image(award, url)
        except Exception as error:
            logger.warning("coupon image not delivered", extra={"award": award.key.award_id, "error": repr(error)})
            ctx.update(award, image_error=repr(error)[:300])
            return
        if sent.mid is None:
            ctx.update(award, image_error="uncertain: Meta's answer was lost; not sent again")
        else:
            ctx.update(award, image_mid=sent.mid)
