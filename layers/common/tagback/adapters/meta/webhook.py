"""Meta's Instagram messaging webhook: the handshake, the signature, and the payload's shapes.

Facts relied on (../shared/reference/meta-messaging.md): the signature is HMAC-SHA256 of the raw body bytes
(Meta escapes unicode and "/" so a re-serialised body would not match); a POST may batch many entries and
many messaging items; the dashboard's "Test" button sends `entry[].changes[]` instead of `messaging[]`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic reads only this module's TypedDicts before Python 3.12

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


# The payload's shapes as typed dicts (no model instances to build: pydantic validates the raw bytes straight into
# dicts, in one pass). Meta adds fields over time: unknown ones are ignored; the ones we read must have the right type.
_SHAPE = ConfigDict(extra="ignore", strict=True)


@with_config(_SHAPE)
class Party(TypedDict):
    id: str


@with_config(_SHAPE)
class QuickReply(TypedDict):
    payload: str


@with_config(_SHAPE)
class AttachmentPayload(TypedDict):
    url: NotRequired[str | None]


@with_config(_SHAPE)
class Attachment(TypedDict):
    type: str
    payload: NotRequired[AttachmentPayload | None]


@with_config(_SHAPE)
class StoryRef(TypedDict):
    id: NotRequired[str | None]
    url: NotRequired[str | None]


@with_config(_SHAPE)
class ReplyTo(TypedDict):
    mid: NotRequired[str | None]
    story: NotRequired[StoryRef | None]


@with_config(_SHAPE)
class Message(TypedDict):
    mid: str
    text: NotRequired[str | None]
    attachments: NotRequired[list[Attachment]]
    quick_reply: NotRequired[QuickReply | None]
    reply_to: NotRequired[ReplyTo | None]
    is_echo: NotRequired[bool]
    is_deleted: NotRequired[bool]
    is_unsupported: NotRequired[bool]


@with_config(_SHAPE)
class Postback(TypedDict):
    mid: str
    title: NotRequired[str | None]
    payload: str


# When Instagram can have sent a message: from its launch to the end of the century. A signed item stamped outside
# is malformed, quarantined; stored, a date at the calendar's ends would crash the conversation's local-day arithmetic.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST_MS = (datetime(2010, 10, 6, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
LATEST_MS = (datetime(2100, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1) - 1


@with_config(_SHAPE)
class Messaging(TypedDict):
    sender: Party
    recipient: Party
    timestamp: Annotated[int, Field(ge=EARLIEST_MS, le=LATEST_MS)]
    message: NotRequired[Message | None]
    postback: NotRequired[Postback | None]
    # The kinds only counted: their contents are never read.
    read: NotRequired[dict[str, Any] | None]
    reaction: NotRequired[dict[str, Any] | None]
    message_edit: NotRequired[dict[str, Any] | None]


@dataclass(frozen=True)
class Unread:
    """An item of `messaging[]` that is not a messaging item, as it came: read alone later, to say why."""

    raw: object


@with_config(_SHAPE)
class Entry(TypedDict):
    id: str
    time: NotRequired[int | None]
    # An item that is not a messaging item is kept as it came, so it does not sink its whole batch.
    messaging: NotRequired[
        list[Annotated[Messaging | Annotated[Any, AfterValidator(Unread)], Field(union_mode="left_to_right")]]
    ]
    changes: NotRequired[list[Any]]


@with_config(_SHAPE)
class Envelope(TypedDict):
    object: Literal["instagram"]
    entry: list[Entry]


_ENVELOPE: TypeAdapter[Envelope] = TypeAdapter(Envelope)
_MESSAGING: TypeAdapter[Messaging] = TypeAdapter(Messaging)


class MalformedItem(ValueError):
    """A messaging item of the right envelope whose own fields have the wrong shape."""

    def __init__(self, raw: object, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(reason)


def parse_envelope(body: bytes) -> Envelope:
    """The envelope and its messaging items, validated in one pass over the raw bytes. Raises ValueError (with a
    short reason) when the body is not Instagram's webhook envelope."""
    try:
        return _ENVELOPE.validate_json(body)
    except ValidationError as error:
        if not any(e["type"] == "json_invalid" for e in error.errors()):
            raise ValueError(f"not an Instagram webhook envelope: {_summary(error)}") from None
    # What pydantic's parser refuses and Python's accepts (a lone surrogate escape) is read as before.
    try:
        return _ENVELOPE.validate_python(_json(body))
    except ValidationError as error:
        raise ValueError(f"not an Instagram webhook envelope: {_summary(error)}") from None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"body is not JSON: {error}") from None


def _summary(error: ValidationError) -> str:
    # Field locations and error types only: the values may be a guest's message.
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['type']}" for e in error.errors()[:5])


def read_item(raw: object) -> Messaging:
    """A messaging item from its JSON value. Raises MalformedItem."""
    try:
        return _MESSAGING.validate_python(raw)
    except ValidationError as error:
        raise MalformedItem(raw, _summary(error)) from None


def _change_item(change: object) -> object:
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


def iter_items(envelope: Envelope) -> Iterator[Messaging | EventKind | MalformedItem]:
    """Every messaging item of every entry, in both delivery forms: read, or why it cannot be."""
    for entry in envelope["entry"]:
        for item in entry.get("messaging", ()):
            if isinstance(item, Unread):
                try:
                    item = read_item(item.raw)  # noqa: PLW2901 - the same item, now read (or found malformed)
                except MalformedItem as malformed:
                    yield malformed
                    continue
            yield item
        for change in entry.get("changes", ()):
            item = _change_item(change)
            if isinstance(item, EventKind):
                yield item
                continue
            try:
                yield read_item(item)
            except MalformedItem as malformed:
                yield malformed


def raw_items(body: bytes) -> list[object]:
    """The items of `iter_items`, in its order, as the JSON of a body `parse_envelope` accepted has them (read
    again only for the rare item quarantined whole)."""
    items: list[object] = []
    for entry in _json(body)["entry"]:
        items += entry.get("messaging", [])
        items += [_change_item(change) for change in entry.get("changes", [])]
    return items


def _kind(item: Messaging) -> EventKind:  # noqa: PLR0912 - one branch per documented kind reads best
    message = item.get("message")
    if message is not None and message.get("is_echo", False):
        return EventKind.ECHO
    if item.get("read") is not None:
        return EventKind.READ
    if item.get("reaction") is not None:
        return EventKind.REACTION
    if item.get("message_edit") is not None:
        return EventKind.EDIT
    if item.get("postback") is not None:
        return EventKind.POSTBACK
    if message is None:
        return EventKind.UNKNOWN
    if message.get("is_deleted", False):
        return EventKind.DELETED
    if message.get("is_unsupported", False):
        return EventKind.UNSUPPORTED
    attachments = message.get("attachments", ())
    if _story_mention(attachments) is not None:
        return EventKind.STORY_MENTION
    reply_to = message.get("reply_to")
    if reply_to is not None and reply_to.get("story") is not None:
        return EventKind.STORY_REPLY
    if message.get("quick_reply") is not None:
        return EventKind.QUICK_REPLY
    if message.get("text") is not None:
        return EventKind.TEXT
    if attachments:
        return EventKind.ATTACHMENT
    return EventKind.UNKNOWN


def _story_mention(attachments: Iterable[Attachment]) -> Attachment | None:
    for attachment in attachments:  # a loop, not any() or next(): called for every message, it is the cheaper
        if attachment["type"] == "story_mention":
            return attachment
    return None


def _story_url(message: Message) -> str | None:
    """The URL of the story a message mentions (when its mention has a payload), or else of the one it replies to."""
    mention = _story_mention(message.get("attachments", ()))
    mentioned = mention.get("payload") if mention is not None else None
    if mentioned is not None:
        return mentioned.get("url")
    reply_to = message.get("reply_to")
    story = reply_to.get("story") if reply_to is not None else None
    return story.get("url") if story is not None else None


def classify(item: Messaging | EventKind) -> InboundEvent | EventKind:
    """A storable `InboundEvent`, or the kind of an item we only acknowledge."""
    if isinstance(item, EventKind):
        return item
    kind = _kind(item)
    if kind not in STORED_KINDS:
        return kind
    message, postback = item.get("message"), item.get("postback")
    payload: str | None
    if postback is not None:
        mid, payload = postback["mid"], postback["payload"]
    elif message is not None:
        quick_reply = message.get("quick_reply")
        mid, payload = message["mid"], quick_reply["payload"] if quick_reply is not None else None
    else:  # every stored kind carries a mid; kept explicit for the type checker
        return EventKind.UNKNOWN
    return InboundEvent(
        kind=kind,
        mid=mid,
        guest_id=item["sender"]["id"],
        account_id=item["recipient"]["id"],
        sent_at=datetime.fromtimestamp(item["timestamp"] / 1000, UTC),
        text=message.get("text") if message is not None else None,
        payload=payload,
        story_url=_story_url(message) if message is not None else None,
    )
