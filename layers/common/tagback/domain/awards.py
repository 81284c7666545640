"""What the conversation engine records: the award (one per guest — or table — per claim period), its coupon,
the guest and where their conversation stands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal


class AwardState(StrEnum):
    CLAIMED = "claimed"  # the claim is won; prize, coupon and DM still to come (or being retried)
    DM_SENT = "dm_sent"  # terminal: the prize text (with the code) reached the guest
    NO_PRIZE_LEFT = "no_prize_left"  # terminal: every prize was capped out; the guest was told so
    DM_FAILED_PERMANENT = "dm_failed_permanent"  # terminal: outside the window, guest unavailable, refused
    WAITING_FOR_TOKEN = "waiting_for_token"  # noqa: S105 - Meta refused the venue's token: sent once it works
    DM_FAILED_AUTH = "dm_failed_auth"  # terminal, written before tokens were renewable: still read, never written
    # Terminal: Meta's answer to the prize text was lost and its conversation could not be read, so whether it
    # arrived is unknown; never sent again. The prize stands (the owner's sheet has it) and the rest follows as
    # after dm_sent: the coupon image carries the code either way.
    DM_UNCERTAIN = "dm_uncertain"


class FollowUpState(StrEnum):
    SENT = "followup_sent"
    SKIPPED_WINDOW = "followup_skipped_window"  # Meta's 24-hour window had closed
    SKIPPED_OPTED_OUT = "followup_skipped_opted_out"  # the guest sent STOP
    SKIPPED_NOT_MESSAGED = "followup_skipped_not_messaged"  # the prize DM never reached the guest
    FAILED_PERMANENT = "followup_failed_permanent"
    WAITING_FOR_TOKEN = "followup_waiting_for_token"  # noqa: S105 - asked once the venue's token works
    FAILED_AUTH = "followup_failed_auth"  # written before tokens were renewable: still read, never written
    UNCERTAIN = "followup_uncertain"  # its answer lost, its conversation unreadable: maybe asked; never asked again


# The prize reached the guest (or may have: uncertain): the coupon image, the owner's sheet and the contact question
# follow.
PRIZE_GIVEN = frozenset({AwardState.DM_SENT, AwardState.DM_UNCERTAIN})
GUEST_WAS_MESSAGED = PRIZE_GIVEN | {AwardState.NO_PRIZE_LEFT}


class AwardMessage(StrEnum):
    """The messages of an award, each sent at most once: its attributes are named after it (`text_sending_at`,
    `text_digest`, `text_mid`)."""

    TEXT = "text"  # the prize DM (or the "all prizes given" text)
    IMAGE = "image"  # the coupon image
    FOLLOWUP = "followup"  # the review question


@dataclass(frozen=True)
class AwardKey:
    guest_id: str
    period: str  # the client's local date (one per day), or local date and time (cooldown policy)

    @property
    def award_id(self) -> str:
        """A name usable in schedule names and payloads: letters, digits, '-', '_' and '.' only."""
        return re.sub(r"[^0-9A-Za-z_.-]", "", f"{self.guest_id}_{self.period}")


@dataclass
class Award:
    key: AwardKey
    mention_mid: str
    mentioned_at: datetime  # when the guest posted (Meta's timestamp): opens the 24-hour messaging window
    claimed_at: datetime
    local_date: date
    state: AwardState = AwardState.CLAIMED
    prize_id: str | None = None
    prize_name: str | None = None
    coupon_code: str | None = None
    valid_until: date | None = None
    text_sending_at: datetime | None = None  # the prize text's send began (its intent): set before the send
    text_digest: str | None = None  # the fingerprint of exactly what was sent, to find it in the conversation
    text_mid: str | None = None
    image_sending_at: datetime | None = None
    image_mid: str | None = None
    image_error: str | None = None
    dm_error: str | None = None
    followup_at: datetime | None = None
    followup_sending_at: datetime | None = None
    followup_digest: str | None = None
    followup_state: FollowUpState | None = None
    followup_mid: str | None = None
    table: str | None = None  # per-table claims: the table that won
    review_answer: str | None = None  # "yes" or "no", the first answer only
    review_answered_at: datetime | None = None
    questions_begun_at: datetime | None = None  # the venue's first question was asked (once per award)


@dataclass(frozen=True)
class WaitingForToken:
    """A message Meta refused because of the venue's token: sent once the token works, oldest first."""

    key: AwardKey
    message: Literal["prize", "followup"]  # the prize DM, or the review question
    mentioned_at: datetime  # Meta's 24-hour window runs from here


@dataclass(frozen=True)
class Coupon:
    code: str
    award: AwardKey
    prize_id: str
    prize_name: str
    issued_at: datetime
    valid_until: date


@dataclass(frozen=True)
class CouponFace:
    """What the coupon image shows, in the guest's language."""

    venue: str
    prize: str
    code: str
    valid_until: str  # the whole line, already in the guest's language
    staff_line: str  # "Show this coupon to our staff", in the guest's language


class Awaiting(StrEnum):
    """What the engine last asked the guest, so their next message is read as the answer."""

    LANGUAGE = "language"
    TABLE = "table"
    CONTACT_CHOICE = "contact_choice"
    EMAIL = "email"
    PHONE = "phone"
    QUESTION = "question"  # one of the venue's own questions (`Guest.question`)


@dataclass
class Guest:
    guest_id: str
    display_name: str | None = None  # the profile's name, never the @handle; None when Meta has none
    language: str | None = None  # chosen by the guest; None: the client's default applies
    awaiting: Awaiting | None = None
    tries: int = 0  # wrong answers to the current question
    pending_mid: str | None = None  # a mention waiting for the language or table answer
    pending_at: datetime | None = None
    pending_period: str | None = None  # the claim period of that mention
    question: str | None = None  # the id of the venue's question asked (awaiting QUESTION)
    question_period: str | None = None  # the claim period of the award it follows
    channels_left: str | None = None  # contact channels still to ask for ("phone" after the email)
    greeted_at: datetime | None = None  # when the first DM (with disclosure and terms) went out
    opted_out_at: datetime | None = None  # STOP: nothing more is ever sent
    fallback_on: date | None = None  # the local day the last fallback reply was sent
    fallback_language: str | None = None  # the language it was sent in
    contact_asked_at: datetime | None = None
    email: str | None = None
    email_consent_version: str | None = None
    email_consent_at: datetime | None = None
    phone: str | None = None  # E.164
    phone_consent_version: str | None = None
    phone_consent_at: datetime | None = None
