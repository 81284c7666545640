"""Anything the engine did not ask for: one reply that says how to take part (a story that mentions the venue's
Instagram account), in the guest's language — before they chose one, in the default language with the language
buttons, so they can have it in theirs. A guest whose story of this claim period is in hand (its award claimed, or
its table asked) is not told to post one: a story now would bring nothing new, so their reply only says what this
chat is for (`fallback_after_prize`).

One a local day in each language, then silence: a guest who had it in the default language and then chose theirs
gets it again in theirs, and is not ignored for the rest of the day for having written before choosing. Our reply
never changes the guest's language, so an auto-responder answering each of our messages gets one a day: no loop."""

from __future__ import annotations

from datetime import date

from tagback.conversation.claims import same_period
from tagback.conversation.context import Context
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Guest


def fallback(ctx: Context, guest: Guest) -> Outcome:
    language = ctx.language(guest)
    if fallback_sent_today(ctx, guest) and guest.fallback_language == language:
        return Outcome.IGNORED
    undecided = len(ctx.config.languages) > 1 and guest.language not in ctx.config.languages
    if _story_in_hand(ctx, guest):
        text = ctx.text(guest, "fallback_after_prize")
    else:
        text = ctx.text(guest, "fallback", instagram_username=ctx.config.instagram_username)
    ctx.send(guest, text, ctx.language_choices() if undecided else ())
    ctx.save(guest, fallback_on=_today(ctx), fallback_language=language)
    return Outcome.FALLBACK_SENT


def fallback_sent_today(ctx: Context, guest: Guest) -> bool:
    return guest.fallback_on == _today(ctx)


def _story_in_hand(ctx: Context, guest: Guest) -> bool:
    """The guest's story of the current claim period has its award, or is held for its table."""
    now = ctx.clock.now()
    if guest.pending_at is not None and same_period(ctx.config, guest.pending_at, now):
        return True
    award = ctx.store.awards.latest(guest.guest_id)
    return award is not None and same_period(ctx.config, award.mentioned_at, now)


def _today(ctx: Context) -> date:
    return ctx.clock.now().astimezone(ctx.config.tz).date()
