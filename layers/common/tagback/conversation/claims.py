"""The claim a mention makes: its period in the client's timezone, and the award it claims (by the mention or, with
the per-table option, by the table answer)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tagback.config.model import ClientConfig
from tagback.domain.awards import Award, AwardKey
from tagback.domain.events import InboundEvent


def claim_period(config: ClientConfig, event: InboundEvent) -> tuple[str, date, datetime | None]:
    """The claim period of a mention in the client's timezone, its local date, and the cooldown's start."""
    local = event.sent_at.astimezone(config.tz)
    hours = config.claim_policy.cooldown_hours
    if hours is None:
        return local.date().isoformat(), local.date(), None
    return local.strftime("%Y-%m-%dT%H:%M"), local.date(), event.sent_at - timedelta(hours=hours)


def same_period(config: ClientConfig, mentioned_at: datetime, now: datetime) -> bool:
    """Whether a story posted `now` falls in the claim period of one posted at `mentioned_at` (the same local day,
    or within the cooldown): it would claim nothing new."""
    hours = config.claim_policy.cooldown_hours
    if hours is None:
        return mentioned_at.astimezone(config.tz).date() == now.astimezone(config.tz).date()
    return mentioned_at > now - timedelta(hours=hours)


def new_award(guest_id: str, mid: str, mentioned_at: datetime, period: str, day: date, *, now: datetime) -> Award:
    return Award(
        key=AwardKey(guest_id, period),
        mention_mid=mid,
        mentioned_at=mentioned_at,
        claimed_at=now,
        local_date=day,
    )
