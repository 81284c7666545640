"""Everything a venue holds about one guest, as JSON (GDPR Art. 15, the right of access): `tagback guest export`.

The profile; the contacts with their consent records (channel, value, consent text version and time); awards,
coupons, inbound events (what the guest sent), tracked links; the outbox events (what went to the owner's sheet and
CRM) with the sinks each reached and when; and whatever else names the guest (claims, the markers of what waits for
the token). Internal keys are left out; expiry times are given as times.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from tagback.store.schema import (
    AWARD,
    COUPON,
    GUEST,
    INBOUND_EVENT,
    ITEM_TYPE,
    LINK,
    OUTBOX,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)

CONTACT_CHANNELS = ("email", "phone")
_SECTIONS = {AWARD: "awards", COUPON: "coupons", INBOUND_EVENT: "inbound_events", LINK: "links"}
_DELIVERED = "delivered_"


class GuestItems(Protocol):
    def of(self, guest_id: str) -> list[dict[str, Any]]: ...


def _record(item: dict[str, Any]) -> dict[str, Any]:
    record = {name: value for name, value in item.items() if name not in (PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE)}
    if TTL_ATTRIBUTE in item:
        record["kept_until"] = datetime.fromtimestamp(int(item[TTL_ATTRIBUTE]), UTC).isoformat()
    return dict(sorted(record.items()))


def _contacts(profile: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "channel": channel,
            "value": profile[channel],
            "consent_version": profile.get(f"{channel}_consent_version"),
            "consent_at": profile.get(f"{channel}_consent_at"),
        }
        for channel in CONTACT_CHANNELS
        if profile.get(channel)
    ]


def _outbox_event(item: dict[str, Any]) -> dict[str, Any]:
    record = {name: value for name, value in _record(item).items() if not name.startswith(_DELIVERED)}
    record["delivered"] = {
        name.removeprefix(_DELIVERED): at for name, at in sorted(item.items()) if name.startswith(_DELIVERED)
    }
    return record


def guest_export(guest_id: str, guest_data: GuestItems, *, client_id: str, now: datetime) -> dict[str, Any] | None:
    """What the venue holds about the guest, by kind; None when it holds nothing."""
    items = guest_data.of(guest_id)
    if not items:
        return None
    profiles = [i for i in items if i.get(ITEM_TYPE) == GUEST]
    profile = _record(profiles[0]) if profiles else None
    held: dict[str, Any] = {
        "client_id": client_id,
        "guest_id": guest_id,
        "exported_at": now.isoformat(),
        "profile": profile,
        "contacts": _contacts(profile or {}),
        **{section: [] for section in _SECTIONS.values()},
        "outbox_events": [],
        "other": [],
    }
    for item in items:
        kind = item.get(ITEM_TYPE)
        if kind == GUEST:
            continue
        if kind == OUTBOX:
            held["outbox_events"].append(_outbox_event(item))
        else:
            held[_SECTIONS.get(str(kind), "other")].append(_record(item))
    return held
