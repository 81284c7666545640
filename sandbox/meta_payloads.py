"""Webhook bodies shaped as Meta delivers them (../shared/reference/meta-messaging.md), for the demo and tests.

Bodies are serialised the way Meta does: unicode escaped and "/" escaped as "\\/", and signed as those bytes.
"""

from __future__ import annotations

import json
from typing import Any

from tagback.adapters.meta.webhook import sign


def meta_json(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def signed(payload: object, app_secret: str) -> tuple[bytes, dict[str, str]]:
    body = meta_json(payload)
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, app_secret)}


def envelope(account_id: str, *messaging_per_entry: list[dict[str, Any]], time_ms: int = 1_764_000_000_000) -> dict:
    return {
        "object": "instagram",
        "entry": [{"id": account_id, "time": time_ms, "messaging": items} for items in messaging_per_entry],
    }


def entries(*per_account: tuple[str, list[dict[str, Any]]], time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    """One delivery for several venues of the app: an entry per (account id, messaging items)."""
    return {
        "object": "instagram",
        "entry": [{"id": account, "time": time_ms, "messaging": items} for account, items in per_account],
    }


def _item(guest: str, account: str, time_ms: int, **fields: Any) -> dict[str, Any]:
    return {"sender": {"id": guest}, "recipient": {"id": account}, "timestamp": time_ms, **fields}


def story_mention(guest: str, account: str, mid: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    cdn = f"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id={mid[-6:]}&signature=abc"
    return _item(
        guest,
        account,
        time_ms,
        message={"mid": mid, "attachments": [{"type": "story_mention", "payload": {"url": cdn}}]},
    )


def text(guest: str, account: str, mid: str, body: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    return _item(guest, account, time_ms, message={"mid": mid, "text": body})


def quick_reply(
    guest: str, account: str, mid: str, payload: str, time_ms: int = 1_764_000_000_000, *, title: str | None = None
) -> dict[str, Any]:
    message = {"mid": mid, "text": title or payload.title(), "quick_reply": {"payload": payload}}
    return _item(guest, account, time_ms, message=message)


def postback(guest: str, account: str, mid: str, payload: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    return _item(guest, account, time_ms, postback={"mid": mid, "title": "Yes", "payload": payload})


def story_reply(guest: str, account: str, mid: str, body: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    story = {"id": "1789", "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1789"}
    return _item(guest, account, time_ms, message={"mid": mid, "text": body, "reply_to": {"story": story}})


def deleted(guest: str, account: str, mid: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    return _item(guest, account, time_ms, message={"mid": mid, "is_deleted": True})


def echo(guest: str, account: str, mid: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    return _item(account, guest, time_ms, message={"mid": mid, "text": "our own DM", "is_echo": True})


def read(guest: str, account: str, mid: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    return _item(guest, account, time_ms, read={"mid": mid})


def reaction(guest: str, account: str, mid: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    return _item(guest, account, time_ms, reaction={"mid": mid, "action": "react", "reaction": "love", "emoji": "❤"})


def edit(guest: str, account: str, mid: str, time_ms: int = 1_764_000_000_000) -> dict[str, Any]:
    return _item(guest, account, time_ms, message_edit={"mid": mid, "text": "edited", "num_edit": 1})


def dashboard_test(guest: str, account: str, mid: str, body: str) -> dict[str, Any]:
    """The App Dashboard's "Test" button form: `changes[]`, timestamp in seconds as a string."""
    value = {
        "sender": {"id": guest},
        "recipient": {"id": account},
        "timestamp": "1764000000",
        "message": {"mid": mid, "text": body},
    }
    return {
        "object": "instagram",
        "entry": [{"id": account, "time": 1_764_000_000, "changes": [{"field": "messages", "value": value}]}],
    }
