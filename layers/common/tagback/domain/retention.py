"""Retention beyond the table's TTLs: how long the venue's bucket keeps what it holds, and which of the owner's sheet
rows are past the client's `retention_days`.

The bucket's S3 lifecycle rules, by key prefix: a coupon image as long as its coupon is valid and a short margin, a
report copy (its CSV names guests) the client's `retention_days`.

S3 lifecycle expires an object a number of days after its upload (rounded up to the next midnight UTC) and cannot
read a date off the object, so each image is stored under its coupon's validity, `coupons/<valid_days>d/`, with one
rule per validity the client's prizes have. Where rules overlap S3 honours the shorter expiration, so a rule for all
of `coupons/`, at the longest validity, bounds what no other rule covers (images of a validity no prize has any
more, images stored as `coupons/<code>.png` before).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

COUPON_IMAGES = "coupons"
REPORT_COPIES = "reports"
# A coupon is valid through the local day `valid_until` = award day + validity; whatever the timezone, that day ends
# at most a day after S3's expiry of an image uploaded on the award day with the validity alone. One day covers that,
# the second is the margin.
COUPON_IMAGE_MARGIN_DAYS = 2


def coupon_image_key(code: str, valid_days: int) -> str:
    """Where the image of a coupon valid `valid_days` days is stored."""
    return f"{COUPON_IMAGES}/{valid_days}d/{code}.png"


@dataclass(frozen=True)
class Expiry:
    """One lifecycle rule: objects under `prefix` expire `days` days after their upload."""

    rule_id: str
    prefix: str
    days: int


def bucket_expiries(valid_days: Iterable[int], retention_days: int) -> list[Expiry]:
    """The bucket's lifecycle rules, for prizes valid `valid_days` and the client's `retention_days`."""
    validities = sorted(set(valid_days))
    return [
        *(
            Expiry(f"coupon-images-{days}d", f"{COUPON_IMAGES}/{days}d/", days + COUPON_IMAGE_MARGIN_DAYS)
            for days in validities
        ),
        Expiry("coupon-images", f"{COUPON_IMAGES}/", validities[-1] + COUPON_IMAGE_MARGIN_DAYS),
        Expiry("report-copies", f"{REPORT_COPIES}/", retention_days),
    ]


def retention_cutoff(now: datetime, tz: ZoneInfo, retention_days: int) -> date:
    """The oldest local day still within retention: what is dated before it is past retention."""
    return now.astimezone(tz).date() - timedelta(days=retention_days)


@dataclass(frozen=True)
class Purged:
    """What a purge of the owner's sheet did."""

    deleted: int  # rows dated before the cutoff
    kept: int  # rows dated on or after it (rows without a date are neither: left alone)
