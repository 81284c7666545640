"""Meta's Instagram messaging webhook: the handshake, the signature, and the payload's shapes.

Facts relied on (../shared/reference/meta-messaging.md): the signature is HMAC-SHA256 of the raw body bytes
(Meta escapes unicode and "/" so a re-serialised body would not match); a POST may batch many entries and
many messaging items; the dashboard's "Test" button sends `entry[].changes[]` instead of `messaging[]`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tagback.domain.events import STORED_KINDS, EventKind, InboundEvent

SIGNATURE_PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` header value Meta sends for `body`."""
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    if not header:
        return False
    # Constant-time compare on bytes: a header with non-ASCII characters is simply wrong, not an error.
    return hmac.compare_digest(sign(body, app_secret).encode(), header.strip().encode("utf-8", "replace"))


def handshake_challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo when Meta's subscription handshake is ours, else None."""
    token = params.get("hub.verify_token", "")
    challenge = params.get("hub.challenge")
    if params.get("hub.mode") != "subscribe" or not challenge:
        return None
    if not hmac.compare_digest(token.encode("utf-8", "replace"), verify_token.encode()):
        return None
    return challenge


class _Model(BaseModel):
    # Meta adds fields over time: unknown ones are ignored; the ones we read must have the right type.
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class Party(_Model):
    id: str


class QuickReply(_Model):
    payload: str


class AttachmentPayload(_Model):
    url: str | None = None


class Attachment(_Model):
    type: str
    payload: AttachmentPayload | None = None


class StoryRef(_Model):
    id: str | None = None
    url: str | None = None


class ReplyTo(_Model):
    mid: str | None = None
    story: StoryRef | None = None


class Message(_Model):
    mid: str
    text: str | None = None
    attachments: list[Attachment] = []
    quick_reply: QuickReply | None = None
    reply_to: ReplyTo | None = None
    is_echo: bool = False
    is_deleted: bool = False
    is_unsupported: bool = False


class Postback(_Model):
    mid: str
    title: str | None = None
    payload: str


class Messaging(_Model):
    sender: Party
    recipient: Party
    timestamp: int
    message: Message | None = None
    postback: Postback | None = None
    read: dict[str, Any] | None = None
    reaction: dict[str, Any] | None = None
    message_edit: dict[str, Any] | None = None


class Entry(_Model):
    id: str
    time: int | None = None
    # Kept raw here and validated one by one, so one malformed item does not sink its whole batch.
    messaging: list[Any] = []
    changes: list[Any] = []


class Envelope(_Model):
    object: Literal["instagram"]
    entry: list[Entry]


class MalformedItem(ValueError):
    """A messaging item of the right envelope whose own fields have the wrong shape."""

    def __init__(self, raw: object, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(reason)


def parse_envelope(body: bytes) -> Envelope:
    """Raises ValueError (with a short reason) when the body is not Instagram's webhook envelope."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"body is not JSON: {error}") from None
    try:
        return Envelope.model_validate(data)
    except ValidationError as error:
        raise ValueError(f"not an Instagram webhook envelope: {_summary(error)}") from None


def _summary(error: ValidationError) -> str:
    # Field locations and error types only: the values may be a guest's message.
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['type']}" for e in error.errors()[:5])


def _from_change(change: object) -> object:
    """The dashboard "Test" form → the messaging item shape (its timestamp is seconds, as a string).
    Changes of other fields (comments, mentions in posts, …) are not messaging: they become UNKNOWN."""
    if not isinstance(change, dict):
        return change
    if change.get("field") != "messages":
        return EventKind.UNKNOWN
    item = change.get("value")
    if not isinstance(item, dict):
        return item
    stamp = item.get("timestamp")
    if isinstance(stamp, str) and stamp.isdigit():
        item = {**item, "timestamp": int(stamp) * 1000}
    return item


def iter_items(envelope: Envelope) -> Iterator[object]:
    """Every messaging item of every entry, in both delivery forms."""
    for entry in envelope.entry:
        yield from entry.messaging
        for change in entry.changes:
            yield _from_change(change)


def _kind(item: Messaging) -> EventKind:  # noqa: PLR0912 - one branch per documented kind reads best
    message = item.message
    if message is not None and message.is_echo:
        return EventKind.ECHO
    if item.read is not None:
        return EventKind.READ
    if item.reaction is not None:
        return EventKind.REACTION
    if item.message_edit is not None:
        return EventKind.EDIT
    if item.postback is not None:
        return EventKind.POSTBACK
    if message is None:
        return EventKind.UNKNOWN
    if message.is_deleted:
        return EventKind.DELETED
    if message.is_unsupported:
        return EventKind.UNSUPPORTED
    if any(a.type == "story_mention" for a in message.attachments):
        return EventKind.STORY_MENTION
    if message.reply_to is not None and message.reply_to.story is not None:
        return EventKind.STORY_REPLY
    if message.quick_reply is not None:
        return EventKind.QUICK_REPLY
    if message.text is not None:
        return EventKind.TEXT
    if message.attachments:
        return EventKind.ATTACHMENT
    return EventKind.UNKNOWN


def classify(raw: object) -> InboundEvent | EventKind:
    """A storable `InboundEvent`, or the kind of an item we only acknowledge. Raises MalformedItem."""
    if isinstance(raw, EventKind):
        return raw
    try:
        item = Messaging.model_validate(raw)
    except ValidationError as error:
        raise MalformedItem(raw, _summary(error)) from None
    kind = _kind(item)
    if kind not in STORED_KINDS:
        return kind
    message, postback = item.message, item.postback
    mid = postback.mid if postback is not None else message.mid if message is not None else None
    if mid is None:  # every stored kind carries a mid; kept explicit for the type checker
        return EventKind.UNKNOWN
    story_url = None
    if message is not None:
        mention = next((a for a in message.attachments if a.type == "story_mention"), None)
        if mention is not None and mention.payload is not None:
            story_url = mention.payload.url
        elif message.reply_to is not None and message.reply_to.story is not None:
            story_url = message.reply_to.story.url
    return InboundEvent(
        kind=kind,
        mid=mid,
        guest_id=item.sender.id,
        account_id=item.recipient.id,
        sent_at=datetime.fromtimestamp(item.timestamp / 1000, UTC),
        text=message.text if message is not None else None,
        payload=(
            postback.payload
            if postback is not None
            else message.quick_reply.payload
            if message is not None and message.quick_reply is not None
            else None
        ),
        story_url=story_url,
    )
