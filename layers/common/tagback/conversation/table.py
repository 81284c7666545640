"""The per-table option: the table question, and the answer that claims the table and the guest's award for the day
(first table wins). The question stays open for the story's day: an answer naming no table of the client file's
`tables` is asked again, twice at most (a bot answering each of our messages gets no loop), and a table of the venue
is taken whenever it comes. The mention stays held until its award's delivery ends, so the retry of an answer whose
delivery Meta throttled finds the question still open."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from tagback.conversation.claims import new_award, same_period
from tagback.conversation.context import Context
from tagback.conversation.delivery import Delivery
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Awaiting, Guest

_TABLE = re.compile(r"^\D{0,12}?(\d{1,4})\D{0,3}$")
TABLE_REASKS = 2  # the question asked again at most this often; then silence, still listening for a table


@dataclass(frozen=True)
class Tables:
    ctx: Context
    delivery: Delivery

    def ask(self, guest: Guest) -> None:
        self.ctx.ask(guest, self.ctx.text(guest, "table_question"))

    def asking(self, guest: Guest) -> bool:
        """The table question is open: asked for a story of the current claim period (the table's prize is for the
        story's day)."""
        mentioned_at = guest.pending_at
        return (
            guest.awaiting is Awaiting.TABLE
            and mentioned_at is not None
            and same_period(self.ctx.config, mentioned_at, self.ctx.clock.now())
        )

    def close(self, guest: Guest) -> None:
        """The question is over: the mention is no longer held."""
        self.ctx.save(guest, awaiting=None, tries=0, pending_mid=None, pending_at=None, pending_period=None)

    def answer(self, guest: Guest, answer: str) -> Outcome:
        ctx = self.ctx
        match = _TABLE.match(answer.strip())
        number = int(match.group(1)) if match else None
        if (
            number not in ctx.config.table_numbers  # unreadable, or no such table at this venue
            or guest.pending_mid is None
            or guest.pending_at is None
            or guest.pending_period is None
        ):
            if guest.tries >= TABLE_REASKS:
                return Outcome.IGNORED
            ctx.save(guest, tries=guest.tries + 1)
            ctx.send(guest, ctx.text(guest, "table_invalid", tables=ctx.config.table_list))
            return Outcome.REPLIED
        table = str(number)
        local_date = guest.pending_at.astimezone(ctx.config.tz).date()
        mention = new_award(
            guest.guest_id, guest.pending_mid, guest.pending_at, guest.pending_period, local_date, now=ctx.clock.now()
        )
        claimed, how = ctx.store.awards.claim_table(dataclasses.replace(mention, table=table), table, ctx.expiry())
        if how == "table_taken":
            ctx.send(guest, ctx.text(guest, "table_claimed"))
            self.close(guest)
            return Outcome.TABLE_TAKEN
        if claimed is None:  # the guest's earlier award expired meanwhile
            self.close(guest)
            return Outcome.IGNORED
        # This story's award (claimed now, or by an earlier try of this answer) is delivered; another story's (claimed
        # in a race with this one) is a repeat.
        if claimed.mention_mid == guest.pending_mid:
            outcome = self.delivery.resume(claimed, guest)
        else:
            outcome = self.delivery.repeat(claimed, guest)[0]
        self.close(guest)  # only once answered: the retry of an answer Meta throttled finds the question open
        return outcome
