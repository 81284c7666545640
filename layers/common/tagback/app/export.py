"""CSV export of a period's awards and of the contacts guests agreed to give, straight from the table; the awards'
CSV is also the monthly report's attachment. Both are written by `domain.spreadsheets.csv_bytes` (UTF-8 with BOM,
every cell safe from formula injection)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from tagback.config.model import ClientConfig
from tagback.domain.spreadsheets import csv_bytes

AWARD_COLUMNS = [
    "date",
    "time",
    "display_name",
    "prize",
    "coupon_code",
    "valid_until",
    "redeemed_at",
    "language",
    "dm_state",
    "review_question",
    "review_answer",
    "table",
]
CONTACT_COLUMNS = [
    "display_name",
    "language",
    "email",
    "email_consent_version",
    "email_consent_at",
    "phone",
    "phone_consent_version",
    "phone_consent_at",
]


class Items(Protocol):
    def all_items(self) -> list[dict[str, Any]]: ...


class ExportStore(Protocol):
    @property
    def awards(self) -> Items: ...
    @property
    def guests(self) -> Items: ...
    @property
    def coupons(self) -> Items: ...


@dataclass(frozen=True)
class Exported:
    awards: Path
    contacts: Path
    award_rows: int
    contact_rows: int


def _local(config: ClientConfig, stamp: str | None) -> str:
    return datetime.fromisoformat(stamp).astimezone(config.tz).strftime("%Y-%m-%d %H:%M") if stamp else ""


def award_rows(store: ExportStore, config: ClientConfig, start: date, end: date) -> list[list[str]]:
    """A row per award whose local date is in [start, end], in the order they were claimed."""
    guests = {g["guest_id"]: g for g in store.guests.all_items()}
    coupons = {c["code"]: c for c in store.coupons.all_items()}
    awards = sorted(
        (a for a in store.awards.all_items() if start.isoformat() <= a["local_date"] <= end.isoformat()),
        key=lambda a: a["claimed_at"],
    )
    rows = []
    for award in awards:
        guest = guests.get(award["guest_id"], {})
        coupon = coupons.get(award.get("coupon_code", ""), {})
        local = _local(config, award["claimed_at"])
        rows.append(
            [
                local[:10],
                local[11:],
                guest.get("display_name", ""),
                award.get("prize_name", ""),
                award.get("coupon_code", ""),
                award.get("valid_until", ""),
                _local(config, coupon.get("redeemed_at")),
                guest.get("language") or config.default_language,
                award["state"],
                award.get("followup_state", ""),
                award.get("review_answer", ""),
                award.get("table", ""),
            ]
        )
    return rows


def contact_rows(store: ExportStore, config: ClientConfig, start: date, end: date) -> list[list[str]]:
    """A row per guest who consented to be contacted in [start, end] (local dates)."""
    contacts = [
        g
        for g in store.guests.all_items()
        if not g.get("opted_out_at")  # STOP withdrew them (a STOP before withdrawal existed kept the values)
        and any(
            start.isoformat() <= _local(config, g.get(f"{c}_consent_at"))[:10] <= end.isoformat()
            for c in ("email", "phone")
            if g.get(f"{c}_consent_at")
        )
    ]
    return [
        [
            guest.get("display_name", ""),
            guest.get("language") or config.default_language,
            guest.get("email", ""),
            guest.get("email_consent_version", ""),
            _local(config, guest.get("email_consent_at")),
            guest.get("phone", ""),
            guest.get("phone_consent_version", ""),
            _local(config, guest.get("phone_consent_at")),
        ]
        for guest in sorted(contacts, key=lambda g: g.get("email_consent_at") or g.get("phone_consent_at") or "")
    ]


def awards_csv(store: ExportStore, config: ClientConfig, start: date, end: date) -> bytes:
    """The awards of [start, end] as the CSV file the export writes and the monthly report attaches."""
    return csv_bytes(AWARD_COLUMNS, award_rows(store, config, start, end))


def export(store: ExportStore, config: ClientConfig, start: date, end: date, out_dir: Path) -> Exported:
    """Awards whose local date is in [start, end], and contacts consented to in that period, as two CSV files."""
    awards = award_rows(store, config, start, end)
    contacts = contact_rows(store, config, start, end)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{config.client_id}-{start.isoformat()}-{end.isoformat()}"
    awards_path, contacts_path = out_dir / f"{stem}-awards.csv", out_dir / f"{stem}-contacts.csv"
    awards_path.write_bytes(csv_bytes(AWARD_COLUMNS, awards))
    contacts_path.write_bytes(csv_bytes(CONTACT_COLUMNS, contacts))
    return Exported(awards_path, contacts_path, len(awards), len(contacts))
