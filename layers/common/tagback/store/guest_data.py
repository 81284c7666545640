"""Everything the table holds about one guest: found for an export (GDPR Art. 15) or an erasure (Art. 17).

The guest's partition holds their inbound events, awards, cooldown claim and profile; other items name the guest in
`guest_id`: coupons, tracked links, outbox events, table claims, the markers of what waits for the token. One
strongly consistent scan finds those (and any kind of item added later that names the guest): O(table), which an
erasure or an export — rare, an operator's or Meta's request — can afford, and which no hot path uses.

Erasing keeps what the month's figures are made of, without the guest: awards, coupons and table claims stay, their
guest id replaced by an anonymous one (awards move to that id's partition, without Meta's message ids, which would
lead back to the conversation); everything else naming the guest is deleted.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from tagback.domain.erasure import GUEST_ERASED
from tagback.store.codec import plain
from tagback.store.schema import (
    AWARD,
    COUPON,
    ERASURE_REQUEST,
    ITEM_TYPE,
    OUTBOX,
    PARTITION_KEY,
    SORT_KEY,
    TABLE_CLAIM,
    guest_key,
    key,
)
from tagback.store.table import Table

# Kept without the guest: the month's awards (reports, exports), a coupon still redeemable at the counter, the table
# that won its prize that day.
ANONYMIZED_KINDS = frozenset({AWARD, COUPON, TABLE_CLAIM})
# An award's pointers into the guest's chat with the venue (Meta's message ids, and the fingerprints that find its
# texts there): not kept.
_MESSAGE_IDS = ("mention_mid", "text_mid", "image_mid", "followup_mid", "text_digest", "followup_digest")


def _item_key(item: dict[str, Any]) -> dict[str, str]:
    return key(item[PARTITION_KEY], item[SORT_KEY])


def _erasure_bookkeeping(item: dict[str, Any]) -> bool:
    """An erasure's own items name the guest until they are done: the request, and the guest.erased owner event."""
    kind = item.get(ITEM_TYPE)
    return kind == ERASURE_REQUEST or (kind == OUTBOX and item.get("event_type") == GUEST_ERASED)


class GuestData:
    def __init__(self, table: Table) -> None:
        self.table = table

    def of(self, guest_id: str) -> list[dict[str, Any]]:
        """Every item about the guest, as stored: their partition's, then those elsewhere that name them."""
        partition = guest_key(guest_id)
        own = self.table.items_under(partition)
        elsewhere = [i for i in self.table.items_where("guest_id", guest_id) if i[PARTITION_KEY] != partition]
        return [item for item in own + elsewhere if not _erasure_bookkeeping(item)]

    def guests_with_contact(self, *, email: str | None = None, phone: str | None = None) -> list[str]:
        """The guests whose items hold this email (any case) or phone (E.164): profiles and the owner's events."""
        wanted_email = (email or "").strip().casefold()
        found: set[str] = set()
        for item in self.table.items_having("email", "phone"):
            same_email = wanted_email and str(item.get("email", "")).casefold() == wanted_email
            if (same_email or (phone and item.get("phone") == phone)) and item.get("guest_id"):
                found.add(str(item["guest_id"]))
        return sorted(found)

    def erase(
        self, items: list[dict[str, Any]], anonymous_id: str, at: datetime
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Erase the guest's `items` (as `of` found them): the counts of items deleted and anonymized, by kind."""
        deleted: Counter[str] = Counter()
        anonymized: Counter[str] = Counter()
        for item in items:
            kind = str(item.get(ITEM_TYPE, "unknown"))
            if kind == AWARD:
                moved = {name: value for name, value in item.items() if name not in _MESSAGE_IDS}
                moved |= key(guest_key(anonymous_id), item[SORT_KEY]) | {
                    "guest_id": anonymous_id,
                    "erased_at": plain(at),
                }
                if self.table.move(_item_key(item), moved):
                    anonymized[kind] += 1
            elif kind in ANONYMIZED_KINDS:
                if self.table.update(
                    _item_key(item), {"guest_id": anonymous_id, "erased_at": at}, condition="attribute_exists(guest_id)"
                ):
                    anonymized[kind] += 1
            else:
                self.table.delete(_item_key(item))
                deleted[kind] += 1
        return dict(deleted), dict(anonymized)
