"""Guests chatting with a venue through the running sandbox, as Meta would deliver them, with a transcript.

`Guest.mention/tap/say` post signed webhook deliveries over HTTP; after each, the sandbox settles (stream pumped)
and what the fake Graph API delivered to the guest since is added to the transcript (unless told not to wait: the
sandbox's own pump delivers it then, and `collect` adds what arrived).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import requests

from sandbox import meta_payloads
from sandbox.runtime import Sandbox

_mids = itertools.count(1)


@dataclass(frozen=True)
class Line:
    speaker: str  # "guest" or "venue"
    text: str
    buttons: tuple[str, ...] = ()  # quick reply or button titles
    urls: tuple[str, ...] = ()  # the buttons' links (button template)
    image: bool = False

    def __str__(self) -> str:
        arrow = "guest →" if self.speaker == "guest" else "venue →"
        body = "[coupon image]" if self.image else self.text.replace("\n", " ⏎ ")
        buttons = f"  [{' | '.join(self.buttons)}]" if self.buttons else ""
        return f"{arrow} {body}{buttons}"


def _venue_line(message: dict[str, Any]) -> Line:
    if "text" in message:
        titles = tuple(q.get("title") or f"({q['content_type']})" for q in message.get("quick_replies", []))
        return Line("venue", message["text"], titles)
    attachment = message["attachment"]
    if attachment["type"] == "image":
        return Line("venue", "", image=True)
    payload = attachment["payload"]
    buttons = payload["buttons"]
    return Line("venue", payload["text"], tuple(b["title"] for b in buttons), tuple(b["url"] for b in buttons))


@dataclass
class Guest:
    sandbox: Sandbox
    guest_id: str
    client_id: str | None = None  # the venue they chat with: the sandbox's first unless named
    transcript: list[Line] = field(default_factory=list)
    _seen: int = 0

    @property
    def account(self) -> str:
        """The venue's Instagram account: the recipient of what the guest sends, the sender of what they get."""
        return self.sandbox.venue(self.client_id).config.instagram_account_id

    def _post(self, item: dict[str, Any], said: Line, *, wait: bool = True) -> None:
        body, headers = meta_payloads.signed(
            meta_payloads.envelope(self.account, [item]), self.sandbox.options.app_secret
        )
        requests.post(f"{self.sandbox.url}/webhook", data=body, headers=headers, timeout=10).raise_for_status()
        self.transcript.append(said)
        if wait:
            self.sandbox.settle()
            self.collect()

    def collect(self) -> list[Line]:
        """Add what the venue sent since the last look; returns those lines."""
        mine = [
            m
            for m in self.sandbox.graph.sent_messages()
            if m["json"]["recipient"]["id"] == self.guest_id and m["account_id"] == self.account
        ]
        new = [_venue_line(m["json"]["message"]) for m in mine[self._seen :]]
        self._seen = len(mine)
        self.transcript.extend(new)
        return new

    def _now_ms(self) -> int:
        return int(self.sandbox.clock.now().timestamp() * 1000)

    def mention(self) -> str:
        mid = f"mid.story.{self.guest_id}.{next(_mids)}"
        account = self.account
        self._post(
            meta_payloads.story_mention(self.guest_id, account, mid, self._now_ms()),
            Line("guest", "(posts a story that @mentions the venue)"),
        )
        return mid

    def tap(self, title: str, *, wait: bool = True) -> None:
        """Tap the quick reply with this title in the venue's last message that offered it."""
        offered = next(line for line in reversed(self.transcript) if line.speaker == "venue" and title in line.buttons)
        payload = self._payload_of(title, offered)
        account = self.account
        self._post(
            meta_payloads.quick_reply(
                self.guest_id, account, f"mid.qr.{next(_mids)}", payload, self._now_ms(), title=title
            ),
            Line("guest", f"(taps “{title}”)"),
            wait=wait,
        )

    def _payload_of(self, title: str, line: Line) -> str:
        for message in reversed(self.sandbox.graph.sent_messages()):
            if message["json"]["recipient"]["id"] != self.guest_id or message["account_id"] != self.account:
                continue
            for reply in message["json"]["message"].get("quick_replies", []):
                if reply.get("title") == title and line.text == message["json"]["message"].get("text"):
                    return str(reply["payload"])
        raise LookupError(f"no quick reply {title!r}")

    def say(self, text: str) -> None:
        account = self.account
        self._post(
            meta_payloads.text(self.guest_id, account, f"mid.text.{next(_mids)}", text, self._now_ms()),
            Line("guest", text),
        )

    def follow(self, url: str) -> requests.Response:
        """Open a link from the chat, as the guest's phone would (without following the redirect)."""
        return requests.get(url, allow_redirects=False, timeout=10)
