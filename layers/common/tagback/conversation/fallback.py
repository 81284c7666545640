"""Anything the engine did not ask for: one helpful reply per local day, then silence (no loops)."""

from __future__ import annotations

from tagback.conversation.context import Context
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Guest


def fallback(ctx: Context, guest: Guest) -> Outcome:
    today = ctx.clock.now().astimezone(ctx.config.tz).date()
    if guest.fallback_on == today:
        return Outcome.IGNORED
    ctx.save(guest, fallback_on=today)
    ctx.send(guest, ctx.text(guest, "fallback"))
    return Outcome.FALLBACK_SENT
