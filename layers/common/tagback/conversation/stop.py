"""STOP (the whole message, case- and accent-insensitive, in every catalog language): one confirmation, then
nothing, ever."""

from __future__ import annotations

import re
import unicodedata

from tagback.conversation.context import Context
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Guest
from tagback.messages.catalog import STOP_WORDS


def is_stop(text: str | None) -> bool:
    if not text:
        return False
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split()) in STOP_WORDS


def opt_out(ctx: Context, guest: Guest) -> Outcome:
    text = ctx.text(guest, "opted_out")
    ctx.save(
        guest,
        opted_out_at=ctx.clock.now(),
        awaiting=None,
        pending_mid=None,
        pending_at=None,
        pending_period=None,
        channels_left=None,
    )
    ctx.count("opt_outs")
    ctx.messenger.send_text(guest.guest_id, text)  # the one confirmation; then nothing, ever
    return Outcome.OPTED_OUT
