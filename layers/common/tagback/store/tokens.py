"""What is known about the venue's Instagram token (who it belongs to, which SSM version, when it was stored, when it
expires): one item, which never expires itself. The token lives in SSM only."""

from __future__ import annotations

from datetime import datetime

from tagback.domain.tokens import TokenRecord
from tagback.store.schema import ITEM_TYPE, TOKEN, key
from tagback.store.table import Table

_KEY = key("TOKEN", "INSTAGRAM")


class Tokens:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self) -> TokenRecord | None:
        item = self.table.get(_KEY)
        if item is None:
            return None
        expires_at = item.get("token_expires_at")
        return TokenRecord(
            account_id=item["account_id"],
            username=item.get("username"),
            stored_at=datetime.fromisoformat(item["stored_at"]),
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
            ssm_version=int(item["ssm_version"]),
        )

    def put(self, record: TokenRecord) -> None:
        # `token_expires_at`, not `expires_at`: that is the table's TTL attribute, and this item must not expire.
        item = {
            **_KEY,
            ITEM_TYPE: TOKEN,
            "account_id": record.account_id,
            "stored_at": record.stored_at.isoformat(),
            "ssm_version": record.ssm_version,
        }
        if record.username is not None:
            item["username"] = record.username
        if record.expires_at is not None:
            item["token_expires_at"] = record.expires_at.isoformat()
        self.table.put(item)
