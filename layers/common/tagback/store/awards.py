"""Awards and the claims that make them exactly-once: the award (one per guest and claim period), the guest's
cooldown claim, the table's claim for the day (per-table policy), and each prize's daily cap counter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tagback.domain.awards import Award, AwardKey, AwardMessage, WaitingForToken
from tagback.store.codec import epoch, plain, record_fields, record_from_item, to_dynamo
from tagback.store.schema import (
    AWARD,
    CLAIM,
    ITEM_TYPE,
    PARTITION_KEY,
    PRIZE_CAP,
    TABLE_CLAIM,
    TTL_ATTRIBUTE,
    WAITING_FOR_TOKEN,
    guest_key,
    key,
)
from tagback.store.table import NEW_ITEM, Table

_AWARD = "AWARD#"  # then the period: a guest's awards sort by time (dates, or dates and times)


def award_key(award: AwardKey) -> dict[str, str]:
    return key(guest_key(award.guest_id), f"{_AWARD}{award.period}")


def award_item(award: Award, expires_at: datetime) -> dict[str, Any]:
    fields = record_fields(award)
    fields.pop("key")
    return {
        **award_key(award.key),
        ITEM_TYPE: AWARD,
        "guest_id": award.key.guest_id,
        "period": award.key.period,
        **fields,
        TTL_ATTRIBUTE: epoch(expires_at),
    }


def award_from_item(item: dict[str, Any]) -> Award:
    return record_from_item(Award, item, key=AwardKey(item["guest_id"], item["period"]))


_WAITING = "WAITING#TOKEN"  # one partition, sorted by mention time: the oldest is delivered first


def _waiting_key(waiting: WaitingForToken) -> dict[str, str]:
    return key(_WAITING, f"{waiting.mentioned_at.isoformat()}#{waiting.message}#{waiting.key.award_id}")


def _claim_key(guest_id: str) -> dict[str, str]:
    return key(guest_key(guest_id), "CLAIM")


class Awards:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, award: AwardKey) -> Award | None:
        item = self.table.get(award_key(award))
        return award_from_item(item) if item else None

    def latest(self, guest_id: str) -> Award | None:
        """The guest's most recent award, if any is still kept."""
        item = self.table.last_under(guest_key(guest_id), _AWARD)
        return award_from_item(item) if item else None

    def claim(self, award: Award, expires_at: datetime, cooldown_since: datetime | None = None) -> tuple[Award, bool]:
        """Create the award unless one exists for its period (or, with a cooldown, since `cooldown_since`).
        Returns the award that holds the claim and whether this call created it."""
        item = award_item(award, expires_at)
        if cooldown_since is None:
            if self.table.put_new(item):
                return award, True
            existing = self.get(award.key)
            assert existing is not None  # award items are never deleted while their claim matters
            return existing, False
        client = self.table.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table.name,
                            "Key": to_dynamo(_claim_key(award.key.guest_id)),
                            "UpdateExpression": (
                                "SET #t = :type, last_claimed_at = :at, last_period = :period, #ttl = :ttl"
                            ),
                            "ConditionExpression": "attribute_not_exists(last_claimed_at) OR last_claimed_at <= :since",
                            "ExpressionAttributeNames": {"#t": ITEM_TYPE, "#ttl": TTL_ATTRIBUTE},
                            "ExpressionAttributeValues": to_dynamo(
                                {
                                    ":type": CLAIM,
                                    ":at": plain(award.mentioned_at),
                                    ":period": award.key.period,
                                    ":since": plain(cooldown_since),
                                    ":ttl": epoch(expires_at),
                                }
                            ),
                        }
                    },
                    {"Put": {"TableName": self.table.name, "Item": to_dynamo(item), **NEW_ITEM}},
                ]
            )
            return award, True
        except client.exceptions.TransactionCanceledException:
            claim = self.table.get(_claim_key(award.key.guest_id))
            holder = AwardKey(award.key.guest_id, claim["last_period"]) if claim else award.key
            existing = self.get(holder)
            assert existing is not None
            return existing, False

    def claim_table(self, award: Award, table: str, expires_at: datetime) -> tuple[Award | None, str]:
        """Per-table policy: claim the table for the day and the guest's award in one transaction.
        Returns (the award, "new"), (the guest's earlier award, "guest_repeat") or (None, "table_taken")."""
        table_claim = {
            **key(f"TABLE#{table}", f"DAY#{award.local_date.isoformat()}"),
            ITEM_TYPE: TABLE_CLAIM,
            "guest_id": award.key.guest_id,
            TTL_ATTRIBUTE: epoch(expires_at),
        }
        client = self.table.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table.name, "Item": to_dynamo(item), **NEW_ITEM}}
                    for item in (table_claim, award_item(award, expires_at))
                ]
            )
        except client.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return self.get(award.key), "guest_repeat"
            return None, "table_taken"
        return award, "new"

    def update(self, award: AwardKey, *, only_if_no_prize: bool = False, **changes: Any) -> bool:
        """Set (or, for None, remove) award attributes; False when `only_if_no_prize` and a prize is recorded."""
        return self.table.update(
            award_key(award), changes, condition="attribute_not_exists(prize_id)" if only_if_no_prize else None
        )

    def begin_send(self, award: AwardKey, message: AwardMessage, *, at: datetime, digest: str | None) -> bool:
        """Record that `message` is being sent unless a send of it is recorded (or the award is gone): False then."""
        names = {"#pk": PARTITION_KEY, "#at": f"{message}_sending_at"}
        values = {":at": plain(at)}
        if digest is not None:
            names["#digest"], values[":digest"] = f"{message}_digest", digest
        sent = self.table.update_returning(
            award_key(award),
            UpdateExpression="SET #at = :at" + (", #digest = :digest" if digest is not None else ""),
            ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(#at)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(values),
        )
        return sent is not None

    def hold_delivery(self, award: AwardKey, *, now: datetime, until: datetime) -> Award | None:
        """Hold the award's delivery until `until`, unless another holds it (a hold past its time has lapsed): the
        award as it stands now, or None when held by another (or gone)."""
        item = self.table.update_returning(
            award_key(award),
            UpdateExpression="SET delivery_held_until = :until",
            ConditionExpression=(
                "attribute_exists(#pk) AND (attribute_not_exists(delivery_held_until) OR delivery_held_until <= :now)"
            ),
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues=to_dynamo({":until": epoch(until), ":now": epoch(now)}),
        )
        return award_from_item(item) if item else None

    def release_delivery(self, award: AwardKey) -> None:
        # Conditional: an award erased meanwhile is not brought back as a bare key.
        self.table.update(
            award_key(award), {"delivery_held_until": None}, condition="attribute_exists(delivery_held_until)"
        )

    def reserve_prize(self, prize_id: str, local_date: date, cap: int, expires_at: datetime) -> bool:
        """Take one unit of the prize's cap for the day; False when the cap is reached."""
        given = self.table.update_returning(
            key(f"PRIZE#{prize_id}", f"DAY#{local_date.isoformat()}"),
            UpdateExpression="SET #t = :type, #ttl = :ttl ADD given :one",
            ConditionExpression="attribute_not_exists(given) OR given < :cap",
            ExpressionAttributeNames={"#t": ITEM_TYPE, "#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues=to_dynamo(
                {":type": PRIZE_CAP, ":ttl": epoch(expires_at), ":one": 1, ":cap": cap}
            ),
        )
        return given is not None

    def all_items(self) -> list[dict[str, Any]]:
        """Every award as stored (a scan: for exports)."""
        return self.table.items_of_type(AWARD)

    def wait_for_token(self, waiting: WaitingForToken, expires_at: datetime) -> None:
        self.table.put(
            {
                **_waiting_key(waiting),
                ITEM_TYPE: WAITING_FOR_TOKEN,
                "guest_id": waiting.key.guest_id,
                "period": waiting.key.period,
                "message": waiting.message,
                "mentioned_at": waiting.mentioned_at.isoformat(),
                TTL_ATTRIBUTE: epoch(expires_at),
            }
        )

    def waiting_for_token(self) -> list[WaitingForToken]:
        """Every message waiting for the token, the oldest mention first."""
        return [
            WaitingForToken(
                AwardKey(item["guest_id"], item["period"]),
                item["message"],
                datetime.fromisoformat(item["mentioned_at"]),
            )
            for item in self.table.items_under(_WAITING)
        ]

    def done_waiting(self, waiting: WaitingForToken) -> None:
        self.table.delete(_waiting_key(waiting))
