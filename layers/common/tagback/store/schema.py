"""The table's shape (docs/design.md, "Table"): `PK`/`SK` strings, `item_type` naming the kind of item (the stream
filters match on it), `expires_at` (epoch seconds) the TTL attribute on everything that holds personal data. Each
entity's key format lives in its repository (store/awards.py, coupons.py, …), the only code that builds it. The
stack declares the same table (infra uses these constants; tests/infra checks both agree)."""

from __future__ import annotations

from typing import Any, Final

PARTITION_KEY: Final = "PK"
SORT_KEY: Final = "SK"
TTL_ATTRIBUTE: Final = "expires_at"
ITEM_TYPE: Final = "item_type"
# The values of `item_type`, one per kind of item.
INBOUND_EVENT: Final = "inbound_event"
QUARANTINED: Final = "quarantined"
AWARD: Final = "award"
CLAIM: Final = "claim"
TABLE_CLAIM: Final = "table_claim"
PRIZE_CAP: Final = "prize_cap"
COUPON: Final = "coupon"
PIN_ATTEMPTS: Final = "pin_attempts"  # a coupon's recent wrong staff PINs and their lock (the redemption page)
GUEST: Final = "guest"
LINK: Final = "link"
OUTBOX: Final = "outbox"
STATS: Final = "stats"
TOKEN: Final = "token"  # noqa: S105 - what is known of the venue's token, never the token
WAITING_FOR_TOKEN: Final = "waiting_for_token"  # noqa: S105 - a message waiting for it
REGISTRATION: Final = "registration"  # the edge's table
SUPPRESSION: Final = "suppression"  # a guest's STOP, under a keyed hash of their id; never expires
# The partition of each suppression entry starts with this: the only items the prize function may delete (START).
SUPPRESSION_PREFIX: Final = "SUPPRESSED#"
ERASURE_REQUEST: Final = "erasure_request"  # a guest to erase (the prize function's stream filter admits it)
DATA_DELETION: Final = "data_deletion"  # the edge's table: Meta's data deletion request, each venue's outcome
WATCHDOG_ALERT: Final = "watchdog_alert"  # the edge's table: an alert the watchdog sent (app/watchdog.py)
WATCHDOG_SILENCE: Final = "watchdog_silence"  # the edge's table: a quiet venue's last mention, as last looked back


def table_definition(table_name: str) -> dict[str, Any]:
    """The table as `CreateTable` takes it: the sandbox creates exactly what the stack declares."""
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
    """The partition of everything about one guest: inbound events, awards, the claim, the profile."""
    return f"GUEST#{guest_id}"


def key(partition: str, sort: str) -> dict[str, str]:
    return {PARTITION_KEY: partition, SORT_KEY: sort}
