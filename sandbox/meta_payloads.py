"""Webhook bodies shaped as Meta delivers them (../shared/reference/meta-messaging.md), for the demo and tests, and
delivered as Meta delivers them, for the benches.

Bodies are serialised the way Meta does: unicode escaped and "/" escaped as "\\/", and signed as those bytes.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

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


def webhook_connection(url: str) -> http.client.HTTPConnection:
    """A keep-alive connection to the webhook served at `url` (`http://host:port`), as each of Meta's senders holds."""
    return http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)


def post(connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One POST to /webhook: the answer's status and body; status 0 when none came (the connection is closed, and
    opened again by the next request)."""
    try:
        connection.request("POST", "/webhook", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        connection.close()
        return 0, b""


def sent_again(status: int) -> bool:
    """Whether a delivery so answered is sent again: a 429, a 5xx or no answer (0). Meta resends whatever is not a 200;
    a 4xx to a bench's signed delivery is a refusal the bench reports instead of waiting it out."""
    return status in (0, 429) or status >= 500


def deliver(
    connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str], pauses: Iterable[float]
) -> tuple[list[int], bytes]:
    """POST a delivery as Meta does: again while `sent_again` says so, waiting each of `pauses` in turn until they run
    out. Every try's status and the last answer's body."""
    statuses: list[int] = []
    answer = b""
    for pause in pauses:
        status, answer = post(connection, body, headers)
        statuses.append(status)
        if not sent_again(status):
            break
        time.sleep(pause)
    return statuses, answer
