"""What the prize engine records: the award (one per guest per claim period), its coupon, the guest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class AwardState(StrEnum):
    CLAIMED = "claimed"  # the claim is won; prize, coupon and DM still to come (or being retried)
    DM_SENT = "dm_sent"  # terminal: the prize text (with the code) reached the guest
    NO_PRIZE_LEFT = "no_prize_left"  # terminal: every prize was capped out; the guest was told so
    DM_FAILED_PERMANENT = "dm_failed_permanent"  # terminal: outside the window, guest unavailable, refused
    DM_FAILED_AUTH = "dm_failed_auth"  # terminal: our token or permissions are wrong (alarmed)


class FollowUpState(StrEnum):
    SENT = "followup_sent"
    SKIPPED_WINDOW = "followup_skipped_window"  # Meta's 24-hour window had closed
    SKIPPED_NOT_MESSAGED = "followup_skipped_not_messaged"  # the prize DM never reached the guest
    FAILED_PERMANENT = "followup_failed_permanent"
    FAILED_AUTH = "followup_failed_auth"


TERMINAL_STATES = frozenset(AwardState) - {AwardState.CLAIMED}
GUEST_WAS_MESSAGED = frozenset({AwardState.DM_SENT, AwardState.NO_PRIZE_LEFT})


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
    text_mid: str | None = None
    image_mid: str | None = None
    image_error: str | None = None
    dm_error: str | None = None
    followup_at: datetime | None = None
    followup_state: FollowUpState | None = None
    followup_mid: str | None = None


@dataclass(frozen=True)
class Coupon:
    code: str
    award: AwardKey
    prize_id: str
    prize_name: str
    issued_at: datetime
    valid_until: date


@dataclass(frozen=True)
class Guest:
    guest_id: str
    display_name: str | None  # the profile's name, never the @handle; None when Meta has none
