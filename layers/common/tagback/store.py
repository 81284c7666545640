"""The client's DynamoDB table: its definition and the repository. The only module that knows keys.

Single-table design (docs/design.md): PK/SK strings, `item_type` names the kind of item (stream filters
match on it), `expires_at` (epoch seconds) is the TTL attribute on everything that holds personal data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from enum import Enum
from functools import cached_property
from typing import Any, Final, TypeVar, get_args, get_type_hints

from tagback.awards import Awaiting, Award, AwardKey, Coupon, Guest
from tagback.aws import boto3_client
from tagback.integrations import OutboxEvent
from tagback.meta.webhook import EventKind, InboundEvent

PARTITION_KEY: Final = "PK"
SORT_KEY: Final = "SK"
TTL_ATTRIBUTE: Final = "expires_at"
ITEM_TYPE: Final = "item_type"
INBOUND_EVENT: Final = "inbound_event"
T = TypeVar("T")
QUARANTINED: Final = "quarantined"
AWARD: Final = "award"
COUPON: Final = "coupon"
PRIZE_CAP: Final = "prize_cap"
GUEST: Final = "guest"
CLAIM: Final = "claim"
LINK: Final = "link"
OUTBOX: Final = "outbox"
STATS: Final = "stats"


def table_definition(table_name: str) -> dict[str, Any]:
    """The table as `CreateTable` takes it: the sandbox creates exactly what the stack declares (infra uses
    the same constants; tests/infra checks both agree)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    }


def guest_key(guest_id: str) -> str:
    return f"GUEST#{guest_id}"


def inbound_key(event: InboundEvent) -> dict[str, str]:
    # A deletion reuses the deleted message's mid: it gets its own key so it is not deduped away.
    suffix = "#DELETED" if event.kind is EventKind.DELETED else ""
    return {PARTITION_KEY: guest_key(event.guest_id), SORT_KEY: f"IN#{event.mid}{suffix}"}


def award_key(key: AwardKey) -> dict[str, str]:
    return {PARTITION_KEY: guest_key(key.guest_id), SORT_KEY: f"AWARD#{key.period}"}


def coupon_key(code: str) -> dict[str, str]:
    return {PARTITION_KEY: f"COUPON#{code}", SORT_KEY: "COUPON"}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _plain(value: Any) -> Any:
    """Domain values as stored: dates and times as ISO text, enums as their value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return value


def _parse(kind: Any, raw: Any) -> Any:
    """A stored value back as the field's type (`X | None` fields take X)."""
    options = [t for t in get_args(kind) if t is not type(None)] or [kind]
    target = options[0]
    if target is datetime:
        return datetime.fromisoformat(raw)
    if target is date:
        return date.fromisoformat(raw)
    if isinstance(target, type) and issubclass(target, Enum):
        return target(raw)
    if target is int:
        return int(raw)
    return raw


def record_fields(record: Any) -> dict[str, Any]:
    """A dataclass record's attributes as stored, None left out."""
    values = {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}
    return {name: value for name, value in values.items() if value is not None}


def record_from_item(cls: type[T], item: dict[str, Any], **given: Any) -> T:
    hints = get_type_hints(cls)
    values = {
        f.name: _parse(hints[f.name], item[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in item and f.name not in given
    }
    return cls(**values, **given)


def award_item(award: Award, expires_at: datetime) -> dict[str, Any]:
    fields = record_fields(award)
    fields.pop("key")
    return {
        **award_key(award.key),
        ITEM_TYPE: AWARD,
        "guest_id": award.key.guest_id,
        "period": award.key.period,
        **fields,
        TTL_ATTRIBUTE: _epoch(expires_at),
    }


def award_from_item(item: dict[str, Any]) -> Award:
    return record_from_item(Award, item, key=AwardKey(item["guest_id"], item["period"]))


def inbound_event_item(event: InboundEvent, received_at: datetime, expires_at: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        **inbound_key(event),
        ITEM_TYPE: INBOUND_EVENT,
        "kind": event.kind.value,
        "mid": event.mid,
        "guest_id": event.guest_id,
        "account_id": event.account_id,
        "sent_at": event.sent_at.isoformat(),
        "received_at": received_at.isoformat(),
        TTL_ATTRIBUTE: _epoch(expires_at),
    }
    optional = {"text": event.text, "payload": event.payload, "story_url": event.story_url}
    item.update({name: value for name, value in optional.items() if value is not None})
    return item


def outbox_key(event_id: str) -> dict[str, str]:
    return {PARTITION_KEY: f"OUTBOX#{event_id}", SORT_KEY: "OUTBOX"}


def outbox_from_item(item: dict[str, Any]) -> OutboxEvent:
    if item.get(ITEM_TYPE) != OUTBOX:
        raise ValueError(f"not an outbox item: {item.get(ITEM_TYPE)!r}")
    return record_from_item(OutboxEvent, item)


def inbound_event_from_item(item: dict[str, Any]) -> InboundEvent:
    """The inbound event back from its item (as a stream record's NewImage carries it)."""
    if item.get(ITEM_TYPE) != INBOUND_EVENT:
        raise ValueError(f"not an inbound event item: {item.get(ITEM_TYPE)!r}")
    return InboundEvent(
        kind=EventKind(item["kind"]),
        mid=str(item["mid"]),
        guest_id=str(item["guest_id"]),
        account_id=str(item["account_id"]),
        sent_at=datetime.fromisoformat(item["sent_at"]),
        text=item.get("text"),
        payload=item.get("payload"),
        story_url=item.get("story_url"),
    )


def _to_attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    raise TypeError(f"unsupported attribute value {type(value).__name__}")


def _from_attribute(attribute: dict[str, Any]) -> Any:
    ((tag, value),) = attribute.items()
    return {"S": str, "N": int, "BOOL": bool}[tag](value)


def to_dynamo(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: _to_attribute(value) for name, value in item.items()}


def from_dynamo(item: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: _from_attribute(attribute) for name, attribute in item.items()}


class DynamoRepository:
    """The table through boto3's low-level client (thread-safe, unlike resources), created on first use."""

    def __init__(self, table_name: str, client: Any = None, max_workers: int = 8) -> None:
        self.table_name = table_name
        self._given_client = client
        self._max_workers = max_workers

    @cached_property
    def client(self) -> Any:
        return self._given_client or boto3_client("dynamodb")

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Put unless the key exists; False when it did (a redelivery)."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_dynamo(item),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_inbound_events(
        self, events: Sequence[InboundEvent], received_at: datetime, expires_at: datetime
    ) -> list[bool]:
        items = [inbound_event_item(e, received_at, expires_at) for e in events]
        if len(items) <= 1:
            return [self._put_new(item) for item in items]
        # Meta batches up to 1000 updates and wants its 200 within 5 s: write in parallel. The client is made here,
        # once, rather than raced for by the pool's threads.
        assert self.client is not None
        with ThreadPoolExecutor(max_workers=min(self._max_workers, len(items))) as pool:
            return list(pool.map(self._put_new, items))

    def quarantine(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None:
        """Keep a malformed item (and why) instead of losing it; it expires like any personal data."""
        body = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        self._put_new(
            {
                PARTITION_KEY: "QUARANTINE",
                SORT_KEY: f"{received_at.isoformat()}#{digest}",
                ITEM_TYPE: QUARANTINED,
                "reason": reason,
                "raw": body,
                "received_at": received_at.isoformat(),
                TTL_ATTRIBUTE: _epoch(expires_at),
            }
        )

    def _all(self, operation: str, **request: Any) -> list[dict[str, Any]]:
        """Every item a query or scan returns, page after page."""
        items: list[dict[str, Any]] = []
        request["TableName"] = self.table_name
        while True:
            page = getattr(self.client, operation)(**request)
            items.extend(from_dynamo(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def items_under(self, partition: str) -> list[dict[str, Any]]:
        """All items of one partition (a guest's history; the quarantine), oldest key first."""
        return self._all(
            "query",
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues={":pk": {"S": partition}},
        )

    # -- awards ----------------------------------------------------------------------------------------------
    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table_name, Key=to_dynamo(key), ConsistentRead=True).get("Item")
        return from_dynamo(item) if item else None

    def get_award(self, key: AwardKey) -> Award | None:
        item = self._get(award_key(key))
        return award_from_item(item) if item else None

    def claim_award(
        self, award: Award, expires_at: datetime, cooldown_since: datetime | None = None
    ) -> tuple[Award, bool]:
        """Create the award unless one exists for its period (or, with a cooldown, since `cooldown_since`).
        Returns the award that holds the claim and whether this call created it."""
        plain = award_item(award, expires_at)
        item = to_dynamo(plain)
        if cooldown_since is None:
            if self._put_new(plain):
                return award, True
            existing = self.get_award(award.key)
            assert existing is not None  # award items are never deleted while their claim matters
            return existing, False
        claim_key = {PARTITION_KEY: guest_key(award.key.guest_id), SORT_KEY: "CLAIM"}
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": to_dynamo(claim_key),
                            "UpdateExpression": (
                                "SET #t = :type, last_claimed_at = :at, last_period = :period, #ttl = :ttl"
                            ),
                            "ConditionExpression": "attribute_not_exists(last_claimed_at) OR last_claimed_at <= :since",
                            "ExpressionAttributeNames": {"#t": ITEM_TYPE, "#ttl": TTL_ATTRIBUTE},
                            "ExpressionAttributeValues": to_dynamo(
                                {
                                    ":type": CLAIM,
                                    ":at": _plain(award.mentioned_at),
                                    ":period": award.key.period,
                                    ":since": _plain(cooldown_since),
                                    ":ttl": _epoch(expires_at),
                                }
                            ),
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                        }
                    },
                ]
            )
            return award, True
        except self.client.exceptions.TransactionCanceledException:
            claim = self._get(claim_key)
            holder = AwardKey(award.key.guest_id, claim["last_period"]) if claim else award.key
            existing = self.get_award(holder)
            assert existing is not None
            return existing, False

    def _update(
        self,
        key: dict[str, str],
        changes: dict[str, Any],
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """SET the changes (REMOVE those that are None); False when `condition` does not hold."""
        names = {f"#a{i}": name for i, name in enumerate(changes)}
        all_values = {f":v{i}": _plain(v) for i, v in enumerate(changes.values()) if v is not None} | (values or {})
        sets = [f"#a{i} = :v{i}" for i, v in enumerate(changes.values()) if v is not None]
        removes = [f"#a{i}" for i, v in enumerate(changes.values()) if v is None]
        clauses = ([f"SET {', '.join(sets)}"] if sets else []) + ([f"REMOVE {', '.join(removes)}"] if removes else [])
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_dynamo(key),
            "UpdateExpression": " ".join(clauses),
            "ExpressionAttributeNames": names,
        }
        if all_values:
            kwargs["ExpressionAttributeValues"] = to_dynamo(all_values)
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self.client.update_item(**kwargs)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update_award(self, key: AwardKey, *, only_if_no_prize: bool = False, **changes: Any) -> bool:
        """Set (or, for None, remove) award attributes; False when `only_if_no_prize` and a prize is recorded."""
        return self._update(
            award_key(key), changes, condition="attribute_not_exists(prize_id)" if only_if_no_prize else None
        )

    def claim_table_award(self, award: Award, table: str, expires_at: datetime) -> tuple[Award | None, str]:
        """Per-table policy: claim the table for the day and the guest's award in one transaction.
        Returns (the award, "new"), (the guest's earlier award, "guest_repeat") or (None, "table_taken")."""
        table_claim = {
            PARTITION_KEY: f"TABLE#{table}",
            SORT_KEY: f"DAY#{award.local_date.isoformat()}",
            ITEM_TYPE: "table_claim",
            "guest_id": award.key.guest_id,
            TTL_ATTRIBUTE: _epoch(expires_at),
        }
        new = {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PARTITION_KEY}}
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table_name, "Item": to_dynamo(table_claim), **new}},
                    {"Put": {"TableName": self.table_name, "Item": to_dynamo(award_item(award, expires_at)), **new}},
                ]
            )
        except self.client.exceptions.TransactionCanceledException as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return self.get_award(award.key), "guest_repeat"
            return None, "table_taken"
        return award, "new"

    def reserve_prize(self, prize_id: str, local_date: date, cap: int, expires_at: datetime) -> bool:
        """Take one unit of the prize's cap for the day; False when the cap is reached."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=to_dynamo({PARTITION_KEY: f"PRIZE#{prize_id}", SORT_KEY: f"DAY#{local_date.isoformat()}"}),
                UpdateExpression="SET #t = :type, #ttl = :ttl ADD given :one",
                ConditionExpression="attribute_not_exists(given) OR given < :cap",
                ExpressionAttributeNames={"#t": ITEM_TYPE, "#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues=to_dynamo(
                    {":type": PRIZE_CAP, ":ttl": _epoch(expires_at), ":one": 1, ":cap": cap}
                ),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_coupon(self, coupon: Coupon, expires_at: datetime) -> bool:
        """Store a new coupon; False if the code is taken (the caller mints another)."""
        return self._put_new(
            {
                **coupon_key(coupon.code),
                ITEM_TYPE: COUPON,
                "code": coupon.code,
                "guest_id": coupon.award.guest_id,
                "period": coupon.award.period,
                "prize_id": coupon.prize_id,
                "prize_name": coupon.prize_name,
                "issued_at": _plain(coupon.issued_at),
                "valid_until": _plain(coupon.valid_until),
                TTL_ATTRIBUTE: _epoch(expires_at),
            }
        )

    def get_coupon(self, code: str) -> dict[str, Any] | None:
        return self._get(coupon_key(code))

    # -- guests ----------------------------------------------------------------------------------------------
    def get_guest(self, guest_id: str) -> Guest | None:
        item = self._get({PARTITION_KEY: guest_key(guest_id), SORT_KEY: "PROFILE"})
        return record_from_item(Guest, item, guest_id=guest_id) if item else None

    def update_guest(self, guest_id: str, expires_at: datetime, **changes: Any) -> None:
        """Set (None: remove) guest attributes, creating the guest item if needed; its expiry moves on."""
        changes = {ITEM_TYPE: GUEST, "guest_id": guest_id, **changes, TTL_ATTRIBUTE: _epoch(expires_at)}
        self._update({PARTITION_KEY: guest_key(guest_id), SORT_KEY: "PROFILE"}, changes)

    def first_award_of_month(self, guest_id: str, month: str) -> bool:
        """True the first time a guest is counted for `month` (the report's unique guests)."""
        return self._update(
            {PARTITION_KEY: guest_key(guest_id), SORT_KEY: "PROFILE"},
            {"counted_month": month},
            condition="attribute_not_exists(counted_month) OR counted_month <> :month",
            values={":month": month},
        )

    def hold_mention(
        self, guest_id: str, mid: str, *, at: datetime, period: str, awaiting: Awaiting, expires_at: datetime
    ) -> bool:
        """Park a mention while its language or table is asked; False if another mention is parked already."""
        changes = {
            ITEM_TYPE: GUEST,
            "guest_id": guest_id,
            "pending_mid": mid,
            "pending_at": at,
            "pending_period": period,
            "awaiting": awaiting,
            "tries": 0,
            TTL_ATTRIBUTE: _epoch(expires_at),
        }
        return self._update(
            {PARTITION_KEY: guest_key(guest_id), SORT_KEY: "PROFILE"},
            changes,
            condition="attribute_not_exists(pending_mid) OR pending_mid = :mid",
            values={":mid": mid},
        )

    # -- tracked links and the month's counters --------------------------------------------------------------
    def create_link(self, token: str, target: str, platform: str, award: AwardKey, expires_at: datetime) -> None:
        self._put_new(
            {
                PARTITION_KEY: f"LINK#{token}",
                SORT_KEY: "LINK",
                ITEM_TYPE: LINK,
                "target": target,
                "platform": platform,
                "guest_id": award.guest_id,
                "period": award.period,
                "clicks": 0,
                TTL_ATTRIBUTE: _epoch(expires_at),
            }
        )

    def click_link(self, token: str, at: datetime) -> dict[str, Any] | None:
        """Count a click on an existing link; the link (target, platform) or None for an unknown token."""
        try:
            answer = self.client.update_item(
                TableName=self.table_name,
                Key=to_dynamo({PARTITION_KEY: f"LINK#{token}", SORT_KEY: "LINK"}),
                UpdateExpression="ADD clicks :one SET last_clicked_at = :at",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
                ExpressionAttributeValues=to_dynamo({":one": 1, ":at": _plain(at)}),
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return from_dynamo(answer["Attributes"])

    def add_to_month(self, month: str, counters: dict[str, int]) -> None:
        """Atomic ADDs on the month's totals (`STATS#<yyyy-mm>`), which the monthly report reads in one get."""
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        self.client.update_item(
            TableName=self.table_name,
            Key=to_dynamo({PARTITION_KEY: f"STATS#{month}", SORT_KEY: "TOTALS"}),
            UpdateExpression="SET #t = :type ADD " + ", ".join(f"#c{i} :n{i}" for i in range(len(counters))),
            ExpressionAttributeNames={"#t": ITEM_TYPE, **names},
            ExpressionAttributeValues=to_dynamo(
                {":type": STATS, **{f":n{i}": n for i, n in enumerate(counters.values())}}
            ),
        )

    def set_day_values(self, month: str, day: int, values: dict[str, Any]) -> None:
        """The daily snapshot's values, as `<name>_d<DD>` on the month's stats item."""
        if values:
            self._update(
                {PARTITION_KEY: f"STATS#{month}", SORT_KEY: "TOTALS"},
                {ITEM_TYPE: STATS, **{f"{name}_d{day:02d}": value for name, value in values.items()}},
            )

    def month_totals_item(self, month: str) -> dict[str, Any]:
        """The month's stats item as stored (counters and daily snapshots), {} when nothing happened."""
        return self._get({PARTITION_KEY: f"STATS#{month}", SORT_KEY: "TOTALS"}) or {}

    def month_totals(self, month: str) -> dict[str, int]:
        item = self._get({PARTITION_KEY: f"STATS#{month}", SORT_KEY: "TOTALS"}) or {}
        return {name: value for name, value in item.items() if isinstance(value, int) and name not in (ITEM_TYPE,)}

    # -- replies to inbound events ---------------------------------------------------------------------------
    def handled(self, event: InboundEvent) -> bool:
        """Whether the engine already answered this inbound event (so a redelivery sends nothing again)."""
        item = self._get(inbound_key(event))
        return bool(item and "handled_at" in item)

    def mark_handled(
        self, event: InboundEvent, at: datetime, *, reply_mid: str | None = None, error: str | None = None
    ) -> None:
        self._update(inbound_key(event), {"handled_at": at, "reply_mid": reply_mid, "reply_error": error})

    # -- the outbox (owner integrations) ---------------------------------------------------------------------
    def add_outbox(self, event: OutboxEvent, expires_at: datetime) -> bool:
        """Queue an event for the owner's sinks; False if it was queued already (its id is deterministic)."""
        item = {
            **outbox_key(event.event_id),
            ITEM_TYPE: OUTBOX,
            **record_fields(event),
            TTL_ATTRIBUTE: _epoch(expires_at),
        }
        return self._put_new(item)

    def outbox_delivered(self, event_id: str) -> set[str]:
        item = self._get(outbox_key(event_id)) or {}
        return {name.removeprefix("delivered_") for name in item if name.startswith("delivered_")}

    def mark_outbox_delivered(self, event_id: str, sink: str, at: datetime) -> None:
        self._update(outbox_key(event_id), {f"delivered_{sink}": at})

    def get_outbox(self, event_id: str) -> dict[str, Any] | None:
        return self._get(outbox_key(event_id))

    # -- coupons at the counter ------------------------------------------------------------------------------
    def redeem_coupon(self, code: str, at: datetime) -> dict[str, Any] | None:
        """Mark a coupon redeemed, once; the coupon, or None when it is unknown or was redeemed already."""
        try:
            answer = self.client.update_item(
                TableName=self.table_name,
                Key=to_dynamo(coupon_key(code)),
                UpdateExpression="SET redeemed_at = :at",
                ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(redeemed_at)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
                ExpressionAttributeValues=to_dynamo({":at": _plain(at)}),
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return from_dynamo(answer["Attributes"])

    # -- reading many (exports, reports) ---------------------------------------------------------------------
    def items_of_type(self, item_type: str) -> list[dict[str, Any]]:
        """Every item of one kind (a scan: for exports and reports, not for the hot path)."""
        return self._all(
            "scan",
            FilterExpression="#t = :type",
            ExpressionAttributeNames={"#t": ITEM_TYPE},
            ExpressionAttributeValues=to_dynamo({":type": item_type}),
        )
