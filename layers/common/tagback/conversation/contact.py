"""Contact capture: after the prize, one question with the client's consent text; only an explicit choice (tapped, or a
typed yes or no: `yes_no`) leads to asking the value (email, phone or both), two wrong tries each, then the
conversation moves on: to the venue's own questions (`questions`), which a personal one asks only after consent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tagback.conversation import payloads
from tagback.conversation.context import ANSWER_TRIES, Context
from tagback.conversation.outcome import Outcome
from tagback.conversation.ports import PhoneReader
from tagback.domain.awards import Awaiting, Guest
from tagback.domain.events import OutboxEvent
from tagback.domain.messaging import QuickReply
from tagback.messages.render import channels_text

if TYPE_CHECKING:  # questions.py reads answers as this module reads contacts (valid_email)
    from tagback.conversation.questions import Questions

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)


def valid_email(text: str) -> str | None:
    candidate = text.strip()
    return candidate if len(candidate) <= 254 and _EMAIL.match(candidate) else None


@dataclass(frozen=True)
class Contacts:
    ctx: Context
    valid_phone: PhoneReader
    questions: Questions

    def offer(self, guest: Guest) -> bool:
        """Ask the contact question; False when the client asks none."""
        ctx = self.ctx
        capture = ctx.config.contact_capture
        if capture.channels == "off":
            return False
        language = ctx.language(guest)
        if capture.channels == "both":
            choices = [
                QuickReply(ctx.text(guest, f"channel_{c}"), payloads.encode(payloads.ContactChoice(c)))
                for c in payloads.CONTACT_CHOICES
            ]
        else:
            choices = [
                QuickReply(ctx.text(guest, "answer_yes"), payloads.encode(payloads.ContactChoice(capture.channels))),
                QuickReply(ctx.text(guest, "answer_no"), payloads.encode(payloads.ContactChoice("none"))),
            ]
        text = ctx.text(
            guest,
            "contact_question",
            channels=channels_text(ctx.config, language),
            consent=capture.consent_text[language],
        )
        ctx.save(guest, awaiting=Awaiting.CONTACT_CHOICE, contact_asked_at=ctx.clock.now())
        ctx.ask(guest, text, choices)
        return True

    def choice(self, guest: Guest, choice: str) -> Outcome:
        ctx = self.ctx
        if guest.awaiting is not Awaiting.CONTACT_CHOICE or choice not in payloads.CONTACT_CHOICES:
            return Outcome.IGNORED
        if choice == "none":
            ctx.save(guest, awaiting=None)
            ctx.send(guest, ctx.text(guest, "contact_skipped"))
            self.questions.after_contact(guest)
            return Outcome.REPLIED
        first = Awaiting.PHONE if choice == "phone" else Awaiting.EMAIL
        ctx.save(guest, awaiting=first, channels_left="phone" if choice == "both" else None, tries=0)
        self._ask_value(guest, first)
        return Outcome.REPLIED

    def typed_choice(self, *, yes: bool) -> str | None:
        """What a typed yes or no chooses: yes the one channel asked about, no none. With both channels offered, the
        buttons name the channels: a yes names none of them (None)."""
        channels = self.ctx.config.contact_capture.channels
        if not yes:
            return "none"
        return None if channels == "both" else channels

    def value(self, guest: Guest, answer: str) -> Outcome:
        ctx = self.ctx
        channel = guest.awaiting
        assert channel in (Awaiting.EMAIL, Awaiting.PHONE)
        capture = ctx.config.contact_capture
        value = valid_email(answer) if channel is Awaiting.EMAIL else self.valid_phone(answer, capture.phone_region)
        if value is None:
            if guest.tries + 1 < ANSWER_TRIES:
                ctx.save(guest, tries=guest.tries + 1)
                self._ask_value(guest, channel, f"invalid_{channel.value}")
                return Outcome.REPLIED
            ctx.send(guest, ctx.text(guest, "contact_skipped"))  # two tries, then move on
        else:
            now = ctx.clock.now()
            ctx.save(
                guest,
                **{
                    channel.value: value,
                    f"{channel.value}_consent_version": capture.consent_version,
                    f"{channel.value}_consent_at": now,
                },
            )
            # The contact goes with its consent (channel, text version, language, time) wherever it goes.
            event = OutboxEvent(
                event_id=f"contact-{guest.guest_id}-{channel.value}-{int(now.timestamp())}",
                event_type="contact",
                occurred_at=now,
                guest_id=guest.guest_id,
                display_name=guest.display_name,
                language=ctx.language(guest),
                email=value if channel is Awaiting.EMAIL else None,
                phone=value if channel is Awaiting.PHONE else None,
                channel=channel.value,
                consent_version=capture.consent_version,
                consent_at=now,
            )
            ctx.store.outbox.add(event, ctx.expiry())
            ctx.count(f"contacts_{channel.value}")
        if guest.channels_left == "phone":
            ctx.save(guest, awaiting=Awaiting.PHONE, channels_left=None, tries=0)
            self._ask_value(guest, Awaiting.PHONE)
            return Outcome.REPLIED
        ctx.save(guest, awaiting=None, tries=0)
        if guest.email or guest.phone:
            ctx.send(guest, ctx.text(guest, "contact_thanks"))
        self.questions.after_contact(guest)
        return Outcome.REPLIED

    def _ask_value(self, guest: Guest, channel: Awaiting, key: str | None = None) -> None:
        # Meta offers the guest's own email / phone as a one-tap quick reply.
        content_type: Literal["user_email", "user_phone_number"] = (
            "user_email" if channel is Awaiting.EMAIL else "user_phone_number"
        )
        prompt = key or ("ask_email" if channel is Awaiting.EMAIL else "ask_phone")
        self.ctx.send(guest, self.ctx.text(guest, prompt), [QuickReply("", "", content_type)])
