"""The edge's table: the venue registry (which client each Instagram account belongs to, and where its table is),
the quarantine of deliveries no venue can take, and Meta's data deletion requests with each venue's outcome.

A registration is two items written together: by account (the webhook routes deliveries by `entry[].id`) and by
client (tracked links name their client). The account item is the lock that makes one account one venue.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from tagback.adapters.aws import boto3_client
from tagback.domain.erasure import DataDeletion, DeletionStatus
from tagback.domain.registrations import AccountTaken, Registration
from tagback.domain.watchdog import Silence
from tagback.store.codec import epoch, to_dynamo
from tagback.store.repositories import Repositories
from tagback.store.schema import (
    DATA_DELETION,
    ITEM_TYPE,
    PARTITION_KEY,
    QUARANTINED,
    REGISTRATION,
    SORT_KEY,
    TTL_ATTRIBUTE,
    WATCHDOG_ALERT,
    WATCHDOG_SILENCE,
    key,
)
from tagback.store.table import Table

REGISTRATION_CACHE_SECONDS = 60  # a venue deleted or moved is routed anew within a minute


def _by_account(account_id: str) -> dict[str, str]:
    return key(f"ACCOUNT#{account_id}", "REGISTRATION")


def _by_client(client_id: str) -> dict[str, str]:
    return key(f"CLIENT#{client_id}", "REGISTRATION")


_STRINGS = ("client_id", "account_id", "venue_name", "table", "region", "timezone", "link_prefix")


def _registration(item: dict[str, Any]) -> Registration:
    """A registration from its item (one written before the watchdog's or the redemption page's fields has none of
    them)."""
    registered_on = item.get("registered_on")
    return Registration(
        **{name: str(item[name]) for name in _STRINGS},
        retention_days=int(item["retention_days"]),
        no_mention_days=int(item.get("no_mention_days", 0)),
        closed=tuple(filter(None, str(item.get("closed", "")).split(","))),
        registered_on=date.fromisoformat(registered_on) if registered_on else None,
        language=str(item.get("language", "en")),
        prize_names=tuple(sorted(json.loads(item.get("prize_names", "{}")).items())),
    )


def _attributes(registration: Registration) -> dict[str, Any]:
    attributes = {name: getattr(registration, name) for name in _STRINGS}
    return {
        ITEM_TYPE: REGISTRATION,
        **attributes,
        "retention_days": registration.retention_days,
        "no_mention_days": registration.no_mention_days,
        "closed": ",".join(registration.closed),
        "language": registration.language,
        "prize_names": json.dumps(dict(registration.prize_names), ensure_ascii=False),
        **({"registered_on": registration.registered_on.isoformat()} if registration.registered_on else {}),
    }


class Registry:
    """Registrations, read through a short cache: the webhook looks up every delivery's accounts."""

    def __init__(
        self,
        table: Table,
        cache_seconds: float = REGISTRATION_CACHE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self._cache_seconds = cache_seconds
        self._now = now
        self._cache: dict[str, tuple[Registration, float]] = {}
        self._lock = threading.Lock()

    def by_account(self, account_id: str) -> Registration | None:
        return self._cached(_by_account(account_id))

    def by_client(self, client_id: str) -> Registration | None:
        return self._cached(_by_client(client_id))

    def _cached(self, item_key: dict[str, str]) -> Registration | None:
        partition = item_key[PARTITION_KEY]
        with self._lock:
            hit = self._cache.get(partition)
        if hit is not None and self._now() - hit[1] < self._cache_seconds:
            return hit[0]
        item = self.table.get(item_key)  # an unknown account is looked up again each time: a new venue counts at once
        if item is None:
            return None
        registration = _registration(item)
        with self._lock:
            self._cache[partition] = (registration, self._now())
        return registration

    def clients(self) -> list[Registration]:
        """Every registered venue, by client id (a scan, uncached: Meta's data deletion callback is rare)."""
        items = self.table.scan(
            FilterExpression="#t = :type AND begins_with(#pk, :client)",
            ExpressionAttributeNames={"#t": ITEM_TYPE, "#pk": PARTITION_KEY},
            ExpressionAttributeValues=to_dynamo({":type": REGISTRATION, ":client": "CLIENT#"}),
        )
        return sorted((_registration(item) for item in items), key=lambda venue: venue.client_id)

    def register(self, registration: Registration) -> None:
        """Register (or update) a client under its account. Raises AccountTaken when another client holds it."""
        client = self.table.client
        me = registration.client_id
        attributes = _attributes(registration)
        previous = self.table.get(_by_client(me))
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_dynamo({**_by_account(registration.account_id), **attributes}),
                    "ConditionExpression": "attribute_not_exists(#pk) OR client_id = :me",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                    "ExpressionAttributeValues": to_dynamo({":me": me}),
                }
            },
            {"Put": {"TableName": self.table.name, "Item": to_dynamo({**_by_client(me), **attributes})}},
        ]
        if previous is not None and previous["account_id"] != registration.account_id:
            writes.append(self._release(str(previous["account_id"]), me))
        try:
            client.transact_write_items(TransactItems=writes)
        except client.exceptions.TransactionCanceledException:
            owner = self.table.get(_by_account(registration.account_id))
            if owner is not None and owner["client_id"] != me:
                raise AccountTaken(registration.account_id, _registration(owner), me) from None
            raise  # not the account lock: a concurrent change of this client's own registration; CloudFormation retries

    def unregister(self, client_id: str) -> Registration | None:
        """Remove a client's registration, and its account's while that is still the client's; the one removed."""
        previous = self.table.get(_by_client(client_id))
        if previous is None:
            return None
        registration = _registration(previous)
        # The account first: a retry after a failure in between still finds the client's item, and so the account.
        self.table.delete_if(_by_account(registration.account_id), "client_id = :me", {":me": client_id})
        self.table.delete(_by_client(client_id))
        return registration

    def _release(self, account_id: str, client_id: str) -> dict[str, Any]:
        """A transaction's delete of the account's item, only while it is this client's (or gone already: an unregister
        that failed half way)."""
        return {
            "Delete": {
                "TableName": self.table.name,
                "Key": to_dynamo(_by_account(account_id)),
                "ConditionExpression": "attribute_not_exists(#pk) OR client_id = :me",
                "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                "ExpressionAttributeValues": to_dynamo({":me": client_id}),
            }
        }


class Quarantine:
    """Deliveries kept instead of lost: malformed messaging items, and items for an account no venue has registered.
    They hold guests' messages, so they expire like any personal data."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, raw: object, reason: str, received_at: datetime, expires_at: datetime) -> None:
        body = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        self.table.put_new(
            {
                # One partition per day: a flood of unknown deliveries does not heat one key for ever.
                **key(f"QUARANTINE#{received_at.date().isoformat()}", f"{received_at.isoformat()}#{digest}"),
                ITEM_TYPE: QUARANTINED,
                "reason": reason,
                "raw": body,
                "received_at": received_at.isoformat(),
                TTL_ATTRIBUTE: epoch(expires_at),
            }
        )

    def erase(self, user_id: str) -> int:
        """Delete every quarantined item that names the user (as a JSON string: a sender or recipient id); how many."""
        items = self.table.scan(
            FilterExpression="#t = :type AND contains(#raw, :id)",
            ExpressionAttributeNames={"#t": ITEM_TYPE, "#raw": "raw"},
            ExpressionAttributeValues=to_dynamo({":type": QUARANTINED, ":id": json.dumps(user_id)}),
        )
        for item in items:
            self.table.delete(key(item[PARTITION_KEY], item[SORT_KEY]))
        return len(items)


def _deletion_key(code: str) -> dict[str, str]:
    return key(f"DELETION#{code}", "STATUS")


SILENCE = "silence"  # the sort key of a venue's Silence under its watchdog partition (alerts' keys never take it)
_VENUE = "venue_"  # the attribute of each venue's outcome: venue_<client-id>


class DataDeletions:
    """Meta's data deletion requests, by confirmation code: each venue's outcome, which the venue reports itself (its
    role may update these items only). They name no user."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, deletion: DataDeletion, expires_at: datetime) -> None:
        self.table.put_new(
            {
                **_deletion_key(deletion.code),
                ITEM_TYPE: DATA_DELETION,
                "requested_at": deletion.requested_at.isoformat(),
                **{f"{_VENUE}{client}": status.value for client, status in deletion.venues.items()},
                TTL_ATTRIBUTE: epoch(expires_at),
            }
        )

    def get(self, code: str) -> DataDeletion | None:
        item = self.table.get(_deletion_key(code))
        if item is None:
            return None
        venues = {name.removeprefix(_VENUE): DeletionStatus(v) for name, v in item.items() if name.startswith(_VENUE)}
        return DataDeletion(code, datetime.fromisoformat(item["requested_at"]), venues)

    def report(self, code: str, client_id: str, status: DeletionStatus) -> None:
        """A venue's outcome (only on a request that exists: an operator's erasure has none)."""
        self.table.update(
            _deletion_key(code), {f"{_VENUE}{client_id}": status}, condition="attribute_exists(requested_at)"
        )


def edge_table_definition(table_name: str) -> dict[str, Any]:
    """The edge's table as `CreateTable` takes it (the sandbox creates what the edge stack declares)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in (PARTITION_KEY, SORT_KEY)],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


class AlertMarks:
    """The watchdog's alerts already sent: one item per venue and alert (`WATCHDOG#<client-id>` / `<alert>`), claimed
    before the alert goes out, so each is sent once however often the watchdog runs; and beside them the venue's
    Silence, so an hourly run for a long-quiet venue reads only the days since the last look-back."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def claim(self, client_id: str, alert: str, at: datetime, expires_at: datetime) -> bool:
        """True for the first claim of this alert: the caller sends it."""
        return self.table.put_new(
            {
                **key(f"WATCHDOG#{client_id}", alert),
                ITEM_TYPE: WATCHDOG_ALERT,
                "sent_at": at.isoformat(),
                TTL_ATTRIBUTE: epoch(expires_at),
            }
        )

    def release(self, client_id: str, alert: str) -> None:
        """The alert could not be sent: the next run claims it again."""
        self.table.delete(key(f"WATCHDOG#{client_id}", alert))

    def silence(self, client_id: str) -> Silence | None:
        """The venue's last mention as a run last looked back for it (`WATCHDOG#<client-id>` / `silence`)."""
        item = self.table.get(key(f"WATCHDOG#{client_id}", SILENCE))
        if item is None:
            return None
        last = item.get("last_mention")
        return Silence(date.fromisoformat(last) if last else None, date.fromisoformat(item["through"]))

    def keep_silence(self, client_id: str, silence: Silence, expires_at: datetime) -> None:
        self.table.put(
            {
                **key(f"WATCHDOG#{client_id}", SILENCE),
                ITEM_TYPE: WATCHDOG_SILENCE,
                "through": silence.through.isoformat(),
                **({"last_mention": silence.last_mention.isoformat()} if silence.last_mention else {}),
                TTL_ATTRIBUTE: epoch(expires_at),
            }
        )


class VenueTables:
    """Each registered venue's table, as repositories: one DynamoDB client per region, each made on first use."""

    def __init__(
        self, client_in: Callable[[str], Any] = lambda region: boto3_client("dynamodb", region_name=region)
    ) -> None:
        self._client_in = client_in
        self._clients: dict[str, Any] = {}
        self._tables: dict[tuple[str, str], Repositories] = {}
        self._lock = threading.Lock()

    def of(self, venue: Registration) -> Repositories:
        with self._lock:
            if venue.region not in self._clients:
                self._clients[venue.region] = self._client_in(venue.region)
            found = self._tables.get((venue.region, venue.table))
            if found is None:
                found = self._tables[(venue.region, venue.table)] = Repositories.on(
                    venue.table, self._clients[venue.region]
                )
            return found
