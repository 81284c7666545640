"""The per-table option: the table question, and the answer that claims the table and the guest's award for the day
(first table wins; an answer naming no table of the client file's `tables` is asked again; two such answers end the
question)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from tagback.conversation.claims import new_award
from tagback.conversation.context import ANSWER_TRIES, Context
from tagback.conversation.delivery import Delivery
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Guest

_TABLE = re.compile(r"^\D{0,12}?(\d{1,4})\D{0,3}$")


@dataclass(frozen=True)
class Tables:
    ctx: Context
    delivery: Delivery

    def ask(self, guest: Guest) -> None:
        self.ctx.ask(guest, self.ctx.text(guest, "table_question"))

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
            if guest.tries + 1 >= ANSWER_TRIES:
                ctx.save(guest, awaiting=None, tries=0, pending_mid=None, pending_at=None, pending_period=None)
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
        ctx.save(guest, awaiting=None, tries=0, pending_mid=None, pending_at=None, pending_period=None)
        if how == "table_taken":
            ctx.send(guest, ctx.text(guest, "table_claimed"))
            return Outcome.TABLE_TAKEN
        if claimed is None:  # the guest's earlier award expired meanwhile
            return Outcome.IGNORED
        if how == "guest_repeat":
            return self.delivery.repeat(claimed, guest)[0]
        return self.delivery.resume(claimed, guest)
