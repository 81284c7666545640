"""Tracked review links: a token whose target is fixed when it is created, and its clicks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tagback.domain.awards import AwardKey
from tagback.store.codec import epoch, plain, to_dynamo
from tagback.store.schema import ITEM_TYPE, LINK, PARTITION_KEY, TTL_ATTRIBUTE, key
from tagback.store.table import Table


def _link_key(token: str) -> dict[str, str]:
    return key(f"LINK#{token}", "LINK")


def link_item(
    token: str, target: str, platform: str, award: AwardKey, expires_at: datetime, *, language: str | None = None
) -> dict[str, Any]:
    """`language`: the guest's in the chat, which the hand-off page speaks (None: the venue's)."""
    return {
        **_link_key(token),
        ITEM_TYPE: LINK,
        "target": target,
        "platform": platform,
        "guest_id": award.guest_id,
        "period": award.period,
        "clicks": 0,
        **({"language": language} if language else {}),
        TTL_ATTRIBUTE: epoch(expires_at),
    }


class Links:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create(
        self,
        token: str,
        target: str,
        platform: str,
        award: AwardKey,
        expires_at: datetime,
        *,
        language: str | None = None,
    ) -> None:
        self.table.put_new(link_item(token, target, platform, award, expires_at, language=language))

    def preview(self, token: str) -> dict[str, Any] | None:
        """Count a link preview's fetch of an existing link (`previews`, never a click); the link or None for an
        unknown token. An update, not a read: the edge only ever writes a venue's table."""
        return self.table.update_returning(
            _link_key(token),
            UpdateExpression="ADD previews :one",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues=to_dynamo({":one": 1}),
        )

    def click(self, token: str, at: datetime) -> dict[str, Any] | None:
        """Count a click on an existing link; the link after it (target, platform, `clicks` counting this one) or None
        for an unknown token."""
        return self.table.update_returning(
            _link_key(token),
            UpdateExpression="ADD clicks :one SET last_clicked_at = :at",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues=to_dynamo({":one": 1, ":at": plain(at)}),
        )
