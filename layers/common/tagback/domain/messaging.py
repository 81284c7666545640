"""What the engine sends a guest, and how a send can fail: quick replies, URL buttons, the guest's profile, Meta's
limits on them, and the kinds of failure that decide between retrying, recording and alarming."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

# Meta's Send API limits (../shared/reference/meta-messaging.md).
TEXT_LIMIT_BYTES: Final = 1000  # a text message
BUTTON_TEXT_LIMIT: Final = 640  # a button template's text
QUICK_REPLY_LIMIT: Final = 13
QUICK_REPLY_TITLE_LIMIT: Final = 20


class ErrorKind(StrEnum):
    THROTTLED = "throttled"
    TEMPORARY = "temporary"
    OUTSIDE_WINDOW = "outside_window"
    USER_UNAVAILABLE = "user_unavailable"
    AUTH = "auth"
    REJECTED = "rejected"  # any other permanent error (bad request, unsupported)
    # A send whose answer was lost after the request left (a read timeout, a connection closed before the answer, a
    # gateway's 5xx, Meta's "unknown error"): the message may have been delivered, so it is never sent again blindly.
    UNCERTAIN = "uncertain"


# Meta said the request failed and may be made again; a request that never reached Meta is TEMPORARY too.
RETRYABLE = frozenset({ErrorKind.THROTTLED, ErrorKind.TEMPORARY})


class GraphError(Exception):
    def __init__(self, kind: ErrorKind, status: int | None, code: int | None, subcode: int | None, message: str):
        self.kind, self.status, self.code, self.subcode, self.message = kind, status, code, subcode, message
        super().__init__(f"{kind}: HTTP {status}, code {code}/{subcode}: {message}")

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


@dataclass(frozen=True)
class QuickReply:
    title: str
    payload: str
    content_type: Literal["text", "user_email", "user_phone_number"] = "text"


@dataclass(frozen=True)
class UrlButton:
    title: str
    url: str


@dataclass(frozen=True)
class Profile:
    name: str | None
    username: str | None


@dataclass(frozen=True)
class SentMessage:
    """A message the venue sent a guest, as the guest's conversation lists it."""

    mid: str
    text: str  # empty for an attachment


def fingerprint(text: str) -> str:
    """What identifies a text among the messages of a conversation: a digest of its words (NFC, whitespace collapsed,
    so a conversation that lists it re-spaced still matches), kept instead of the text."""
    words = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(words.encode()).hexdigest()[:16]
