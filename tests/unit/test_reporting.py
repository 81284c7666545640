"""The monthly report from seeded figures for two months: the numbers, the deltas, the email, SES and S3."""

from __future__ import annotations

import email
import email.policy
from decimal import Decimal
from email.message import EmailMessage

import boto3
import pytest
from moto import mock_aws

from tagback.adapters.report_delivery import ReportDelivery
from tagback.app.report import build_report
from tagback.app.report_email import compose_email, render_html, render_text
from tagback.config.model import ClientConfig

OCTOBER = {
    "mentions": 40,
    "unique_guests": 31,
    "awards": 33,
    "awards_prize_espresso": 20,
    "awards_prize_pastel-de-nata": 12,
    "awards_prize_brunch-for-two": 1,
    "review_link_clicks_google": 11,
    "review_link_clicks_tripadvisor": 3,
    "mentions_day_04": 9,
    "mentions_day_18": 14,
    "mentions_day_25": 17,
    "mentions_hour_13": 22,
    "mentions_hour_20": 18,
    "followers_d01": 1180,
    "followers_d31": 1242,
    "rating_count_d01": 201,
    "rating_count_d31": 214,
    "rating_d01": "4.5",
    "rating_d31": "4.6",
    "reach_d01": 300,
    "reach_d02": 420,
    "views_d01": 900,
}
SEPTEMBER = {
    "mentions": 25,
    "unique_guests": 20,
    "review_link_clicks_google": 6,
    "followers_d30": 1170,
    "rating_count_d30": 199,
    "rating_d30": "4.5",
    "reach_d10": 500,
}


@pytest.fixture
def report(demo_config: ClientConfig):  # type: ignore[no-untyped-def]
    return build_report(demo_config, "2026-10", OCTOBER, SEPTEMBER)


def figure(report, key):  # type: ignore[no-untyped-def]
    return next(f for f in report.direct + report.indirect if f.key == key)


def test_direct_figures_and_their_month_over_month_change(report) -> None:  # type: ignore[no-untyped-def]
    assert (figure(report, "mentions").value, figure(report, "mentions").delta) == (40, 15)
    assert (figure(report, "unique_guests").value, figure(report, "unique_guests").delta) == (31, 11)
    assert (figure(report, "review_clicks").value, figure(report, "review_clicks").delta) == (14, 8)
    assert figure(report, "reviews_gained").value == 214 - 199  # since September's last snapshot
    assert figure(report, "followers_gained").value == 1242 - 1170
    assert (figure(report, "rating").value, round(figure(report, "rating").delta, 1)) == (4.6, 0.1)


def test_indirect_figures_sum_the_days_and_missing_data_is_not_zero(report, demo_config: ClientConfig) -> None:  # type: ignore[no-untyped-def]
    assert figure(report, "reach").value == 720 and figure(report, "reach").delta == 220
    assert figure(report, "views").value == 900 and figure(report, "views").delta is None
    assert figure(report, "engaged").value is None
    empty = build_report(demo_config, "2026-10", {"mentions": 2}, {})
    assert all(f.value is None for f in empty.indirect)
    assert figure(empty, "followers_gained").value is None and figure(empty, "reviews_gained").value is None
    assert "Accounts reached: not available" in render_text(empty)
    assert "not available" in render_html(empty)


def test_prizes_cost_charts_and_best_day(report) -> None:  # type: ignore[no-untyped-def]
    assert report.prizes == [
        ("Free espresso", 20, Decimal("7.00")),
        ("Free pastel de nata", 12, Decimal("7.20")),
        ("Brunch for two", 1, Decimal("18.00")),
    ]
    assert report.estimated_cost == Decimal("32.20")
    assert len(report.daily) == 31 and report.best_day is not None and report.best_day[0].day == 25
    assert dict(report.hourly)[13] == 22


def test_the_email_has_both_parts_with_the_same_figures_and_the_csv(report) -> None:  # type: ignore[no-untyped-def]
    message = compose_email(report, "reports@tagback.example", ["owner@cafe.example"], b"date,prize\n")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/mixed"
    alternative = next(p for p in parsed.iter_parts() if p.get_content_type() == "multipart/alternative")
    text, page = (part.get_content() for part in alternative.iter_parts())
    for shown in ("40", "+15", "31", "14", "72", "4.6", "€32.20", "2026-10-25"):
        assert shown in text and shown in page, shown
    assert "<script" not in page and "http" not in page.split("<body", 1)[1]  # no JavaScript, no external assets
    (attachment,) = [p for p in parsed.iter_attachments()]
    assert attachment.get_filename() == "demo-2026-10-awards.csv"


def test_the_report_language_is_the_clients(demo_config: ClientConfig) -> None:
    german = demo_config.model_copy(update={"report": demo_config.report.model_copy(update={"language": "de"})})
    text = render_text(build_report(german, "2026-10", OCTOBER, SEPTEMBER))
    assert text.startswith("Dein Tagback-Monat — Café Aurora — 2026-10")
    assert "Story-Erwähnungen: 40 (+15 ggü. Vormonat)" in text and "Gratis-Espresso: 20" in text


@mock_aws
def test_ses_receives_the_report_and_s3_keeps_a_copy(report) -> None:  # type: ignore[no-untyped-def]
    s3, ses = boto3.client("s3", region_name="eu-west-1"), boto3.client("ses", region_name="eu-west-1")
    s3.create_bucket(Bucket="reports-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    ses.verify_email_identity(EmailAddress="reports@tagback.example")
    delivery = ReportDelivery("reports-bucket", s3=s3, ses=ses)
    message = compose_email(report, "reports@tagback.example", ["owner@cafe.example"])
    assert delivery.store_copy(report.month, message) == "s3://reports-bucket/reports/2026-10.html"
    assert delivery.send(message, "reports@tagback.example", ["owner@cafe.example"]) is not None
    assert ses.get_send_quota()["SentLast24Hours"] >= 1  # moto counts per recipient header and destination
    assert b"Story mentions" in s3.get_object(Bucket="reports-bucket", Key="reports/2026-10.html")["Body"].read()


@mock_aws
def test_an_ses_refusal_leaves_the_report_in_s3(report) -> None:  # type: ignore[no-untyped-def]
    s3, ses = boto3.client("s3", region_name="eu-west-1"), boto3.client("ses", region_name="eu-west-1")
    s3.create_bucket(Bucket="reports-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    delivery = ReportDelivery("reports-bucket", s3=s3, ses=ses)
    message = compose_email(report, "unverified@tagback.example", ["owner@cafe.example"])
    delivery.store_copy(report.month, message)
    assert delivery.send(message, "unverified@tagback.example", ["owner@cafe.example"]) is None
    assert s3.get_object(Bucket="reports-bucket", Key="reports/2026-10.eml")["Body"].read().startswith(b"Subject:")
