"""Retention beyond the table's TTLs: the bucket's expiry rules (domain/retention.py), the owner's sheet purged past
`retention_days` (app/retention.py), and the first DM's bot disclosure, on unless a client turns it off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from tagback.app.retention import purge_owner_sheet
from tagback.config.loading import parse_client_config
from tagback.config.model import ClientConfig
from tagback.domain.retention import COUPON_IMAGE_MARGIN_DAYS, Expiry, Purged, bucket_expiries, coupon_image_key
from tests.conftest import DEMO_CONFIG


def test_each_validity_has_its_rule_and_the_longest_bounds_every_coupon_image() -> None:
    assert bucket_expiries([14, 30, 14], retention_days=90) == [
        Expiry("coupon-images-14d", "coupons/14d/", 14 + COUPON_IMAGE_MARGIN_DAYS),
        Expiry("coupon-images-30d", "coupons/30d/", 30 + COUPON_IMAGE_MARGIN_DAYS),
        Expiry("coupon-images", "coupons/", 30 + COUPON_IMAGE_MARGIN_DAYS),
        Expiry("report-copies", "reports/", 90),
    ]


@pytest.mark.parametrize("valid_days", [1, 7, 14, 365])
def test_a_coupon_image_is_stored_under_the_rule_of_its_validity(valid_days: int) -> None:
    key = coupon_image_key("7KQ4-M2XZ-9HJT", valid_days)
    rules = [e for e in bucket_expiries([valid_days, 30], 90) if key.startswith(e.prefix)]
    # S3 honours the shortest of the rules that match: the image's validity and the margin, not a day less.
    assert min(rule.days for rule in rules) == valid_days + COUPON_IMAGE_MARGIN_DAYS


@pytest.mark.parametrize("hours_ahead_of_utc", [-12, 0, 14])
def test_the_margin_outlasts_the_coupons_last_day_in_any_timezone(hours_ahead_of_utc: int) -> None:
    """S3 expires an object `days` after its upload, rounded up to the next midnight UTC; the coupon is valid to the
    end of its `valid_until` day, local. An image uploaded at the very start of the award's local day still lives."""
    award_day, valid_days = date(2026, 10, 15), 14
    offset = timedelta(hours=hours_ahead_of_utc)
    uploaded = datetime(award_day.year, award_day.month, award_day.day, tzinfo=UTC) - offset
    due = uploaded + timedelta(days=valid_days + COUPON_IMAGE_MARGIN_DAYS)
    midnight = datetime(due.year, due.month, due.day, tzinfo=UTC)
    expires = midnight if midnight == due else midnight + timedelta(days=1)
    last_valid_moment = datetime.combine(award_day + timedelta(days=valid_days + 1), datetime.min.time(), UTC) - offset
    assert expires - last_valid_moment >= timedelta(days=1)  # a day of margin, at the least


class RecordingSheet:
    def __init__(self) -> None:
        self.cutoffs: list[date] = []

    def purge_before(self, cutoff: date) -> Purged:
        self.cutoffs.append(cutoff)
        return Purged(deleted=3, kept=5)


def test_the_sheet_keeps_the_rows_of_the_last_retention_days_local(demo_config: ClientConfig) -> None:
    sheet = RecordingSheet()
    late_evening = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # already 2 July in Lisbon (summer time)
    assert purge_owner_sheet(demo_config, sheet, late_evening) == (date(2026, 4, 3), Purged(deleted=3, kept=5))
    assert sheet.cutoffs == [date(2026, 7, 2) - timedelta(days=demo_config.retention_days)]


def test_the_bot_disclosure_is_on_unless_the_client_turns_it_off() -> None:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data.pop("bot_disclosure")
    assert parse_client_config(data, "no disclosure given", DEMO_CONFIG.parent).bot_disclosure is True
    turned_off = parse_client_config(data | {"bot_disclosure": False}, "turned off", DEMO_CONFIG.parent)
    assert turned_off.bot_disclosure is False
