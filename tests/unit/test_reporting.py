"""The monthly report from seeded figures for two months: the numbers, the deltas, the email, SES and S3."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tagback.adapters.report_delivery import ReportDelivery
from tagback.app.report import Colours, Figure, FunnelStep, Report, build_report
from tagback.app.report_email import compose_email, render_html, render_text
from tagback.config.loading import load_client_config, parse_client_config
from tagback.config.model import ClientConfig
from tagback.domain.languages import LANGUAGES
from tagback.messages.report_labels import LABELS
from tests.conftest import DEMO_CONFIG

OCTOBER = {
    "mentions": 40,
    "unique_guests": 31,
    "awards": 33,
    "awards_prize_espresso": 20,
    "awards_prize_pastel-de-nata": 12,
    "awards_prize_brunch-for-two": 1,
    "review_questions": 30,
    "review_yes": 18,
    "review_link_clicks_google": 11,
    "review_link_unique_clicks_google": 9,
    "review_link_clicks_tripadvisor": 3,
    "review_link_unique_clicks_tripadvisor": 2,
    "coupons_redeemed": 14,
    "contacts_email": 6,
    "contacts_phone": 2,
    "opt_outs": 1,
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
    "review_link_unique_clicks_google": 5,
    "coupons_redeemed": 9,
    "contacts_email": 4,
    "followers_d30": 1170,
    "rating_count_d30": 199,
    "rating_d30": "4.5",
    "reach_d10": 500,
}
GERMAN = {"recipients": ["owner@cafe.example"], "sender": "reports@tagback.example", "language": "de"}
SPANISH = GERMAN | {"language": "es"}


@pytest.fixture
def report(demo_config: ClientConfig) -> Report:
    return build_report(demo_config, "2026-10", OCTOBER, SEPTEMBER, agency="Demo Agency")


def figure(report: Report, key: str) -> Figure | FunnelStep:
    return next(f for f in report.counted + report.platforms + report.funnel if f.key == key)


def client(demo_config: ClientConfig, **changes: Any) -> ClientConfig:
    data = demo_config.model_dump(mode="json", exclude_none=True) | changes
    return parse_client_config(data, "test", DEMO_CONFIG.parent)


def test_direct_figures_and_their_month_over_month_change(report: Report) -> None:
    def shown(key: str) -> tuple[float | None, float | None]:
        found = figure(report, key)
        assert isinstance(found, Figure)
        return found.value, found.delta

    assert shown("mentions") == (40, 15)
    assert shown("unique_guests") == (31, 11)
    assert shown("review_clicks") == (9 + 2, 6)  # each guest's link once: not the 14 clicks
    assert shown("followers_gained") == (1242 - 1170, None)
    assert figure(report, "rating").value == 4.6 and round(shown("rating")[1] or 0, 1) == 0.1
    assert shown("coupons_redeemed") == (14, 5)
    assert shown("redemption_rate") == (14 / 33, None)
    assert shown("contacts") == (6 + 2, 4)
    assert shown("opt_outs") == (1, 1)
    assert report.clicks == [("google", 9, 11), ("tripadvisor", 2, 3)]


def test_the_funnel_from_the_story_to_the_review(report: Report) -> None:
    assert [(step.key, step.value, step.rate) for step in report.funnel] == [
        ("mentions", 40, None),
        ("prizes", 33, 33 / 40),
        ("review_questions", 30, 30 / 33),
        ("review_yes", 18, 18 / 30),
        ("google_clicks", 9, 9 / 18),
        ("reviews_gained", 214 - 199, None),  # since September's last snapshot; every review, so no share of clicks
    ]
    assert report.funnel[-1].note == "reviews_all"
    text = render_text(report)
    assert "  Prizes handed out: 33 (82%)\n" in text and "  Opened the Google review link [1]: 9 (50%)\n" in text


def test_clicks_counted_before_unique_clicks_are_not_shown_as_unique(demo_config: ClientConfig) -> None:
    before = {"mentions": 3, "review_link_clicks_google": 4}
    older = build_report(demo_config, "2026-09", before, {})
    assert (figure(older, "review_clicks").value, figure(older, "google_clicks").value) == (None, None)
    assert figure(older, "review_clicks").note == "clicks_in_all"
    assert "Review links opened: not available [1] — clicks in all: 4" in render_text(older)
    after = build_report(demo_config, "2026-10", {"review_link_unique_clicks_google": 2}, before)
    assert isinstance(found := figure(after, "review_clicks"), Figure) and found.delta is None


def test_the_review_links_say_where_guests_opened_them(demo_config: ClientConfig) -> None:
    browsers = {"review_link_browser_ios": 4, "review_link_browser_in_app": 6, "review_link_browser_desktop": 1}
    report = build_report(demo_config, "2026-10", OCTOBER | browsers, SEPTEMBER)
    assert report.browsers == [("in_app", 6), ("ios", 4), ("desktop", 1)]  # the report's order; none of 0
    assert report.clicks == [("google", 9, 11), ("tripadvisor", 2, 3)]  # the browser counters are no platform
    text = render_text(report)
    assert "    Opened in: Instagram or Facebook 6 · iPhone 4 · computer 1\n" in text
    assert "Opened in: Instagram or Facebook 6 · iPhone 4 · computer 1</div>" in render_html(report)
    german = render_text(build_report(client(demo_config, report=GERMAN), "2026-10", OCTOBER | browsers, {}))
    assert "Geöffnet in: Instagram oder Facebook 6 · iPhone 4 · Computer 1" in german
    assert "Opened in" not in render_text(build_report(demo_config, "2026-10", OCTOBER, SEPTEMBER))  # not counted


def test_instagrams_figures_sum_the_days_and_missing_data_is_not_zero(
    report: Report, demo_config: ClientConfig
) -> None:
    assert figure(report, "reach").value == 720 and figure(report, "reach").delta == 220  # type: ignore[union-attr]
    assert figure(report, "views").value == 900 and figure(report, "views").delta is None  # type: ignore[union-attr]
    assert figure(report, "engaged").value is None and figure(report, "engaged").note == "meta"
    empty = build_report(demo_config, "2026-10", {"mentions": 2}, {})
    assert all(f.value is None for f in empty.platforms)
    assert figure(empty, "followers_gained").value is None and figure(empty, "reviews_gained").value is None
    assert "Accounts reached on Instagram: not available [" in render_text(empty)


def test_a_month_without_a_snapshot_yet_says_so_not_that_meta_gave_nothing(demo_config: ClientConfig) -> None:
    early = build_report(demo_config, "2026-10", {"mentions": 2}, {})  # the 1st, before its snapshot at 23:30
    assert {f.note for f in early.platforms} | {figure(early, "reviews_gained").note} == {"no_snapshot"}
    text = render_text(early)
    assert (
        "] Tagback had not yet read this month's daily figures from Instagram and Google: it reads them every day "
        "at 23:30, the venue's local time.\n"
    ) in text
    assert "100 followers" not in text
    snapshot_without_reach = build_report(demo_config, "2026-10", {"mentions": 2, "followers_d03": 1188}, {})
    assert figure(snapshot_without_reach, "reach").note == "meta"  # Meta gave no reach: too few followers, or late
    assert "Meta gives these figures for accounts with 100 followers or more" in render_text(snapshot_without_reach)


def test_not_available_is_muted_with_its_reason_in_a_footnote(demo_config: ClientConfig) -> None:
    keyless = client(demo_config, report={"recipients": ["o@cafe.example"], "sender": "r@tagback.example"})
    one_day = {"mentions": 2, "followers_d03": 1180}
    report = build_report(keyless, "2026-10", one_day, {})
    notes = {f.key: f.note for f in report.funnel + report.counted + report.platforms if f.value is None}
    assert notes == {
        "reviews_gained": "google_key",  # no Places API key: say what would give it
        "rating": "google_key",
        "followers_gained": "one_snapshot",
        "reach": "meta",
        "views": "meta",
        "engaged": "meta",
        "redemption_rate": "redemption",  # no prizes: no rate (the note says what it would be)
    }
    page = render_html(report)
    number = report.notes.index("meta") + 1
    unavailable = re.findall(r'<span style="([^"]*)">not&nbsp;available<sup[^>]*>(\d)</sup></span>', page)
    assert len(unavailable) == 7 and all("font-weight:normal" in style for style, _ in unavailable)
    assert all("white-space:nowrap" in style for style, _ in unavailable)  # and a no-break space: on one line
    assert (
        f"{number}</sup> Instagram did not report this: Meta gives these figures for accounts with 100 "
        "followers or more"
    ) in page
    assert "Needs a Google Places API key in the venue&#x27;s settings" in page
    with_key = build_report(demo_config, "2026-10", {"rating_count_d05": 200, "rating_d05": "4.5"}, {})
    assert figure(with_key, "reviews_gained").note == "one_snapshot" and figure(with_key, "rating").note is None
    assert figure(build_report(demo_config, "2026-10", {"followers_d05": 1188}, {}), "rating").note == "google"


def test_prizes_cost_charts_and_best_day(report: Report) -> None:
    assert report.prizes == [
        ("Free espresso", 20, Decimal("7.00")),
        ("Free pastel de nata", 12, Decimal("7.20")),
        ("Brunch for two", 1, Decimal("18.00")),
    ]
    assert report.estimated_cost == Decimal("32.20")
    assert len(report.daily) == 31 and report.best_day is not None and report.best_day[0].day == 25
    assert dict(report.hourly)[13] == 22


def test_the_bars_carry_their_values(report: Report) -> None:
    page = render_html(report)
    per_day = page.split("Mentions per day", 1)[1].split("Best day", 1)[0]
    values = re.findall(r'<div style="font-size:10px;[^"]*">(\d+)</div><table', per_day)
    assert values == ["9", "14", "17"]  # each day with mentions, its number over its bar
    funnel = page.split("From story to review", 1)[1].split("Counted by Tagback", 1)[0]
    assert re.findall(r'white-space:nowrap">(\d+)(?:<sup|</td>)', funnel) == ["40", "33", "30", "18", "9", "15"]


def test_prizes_per_table_show_the_top_tables(demo_config: ClientConfig) -> None:
    tables = {f"awards_table_{n}": n % 5 + 1 for n in range(1, 13)} | {"awards_table_7": 9}
    report = build_report(demo_config, "2026-10", OCTOBER | tables, SEPTEMBER)
    assert report.tables[:3] == [("7", 9), ("4", 5), ("9", 5)]
    text = render_text(report)
    section = text.split("Prizes per table\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section[0] == "  Table 7: 9" and len(section) == 11 and section[-1] == "  Other tables (2): 2"
    assert "Tisch 7" in render_html(build_report(client(demo_config, report=GERMAN), "2026-10", tables, {}))
    assert "Prizes per table" not in render_text(build_report(demo_config, "2026-10", OCTOBER, SEPTEMBER))


def test_the_header_names_the_venue_and_the_agency_in_the_venues_colours(report: Report) -> None:
    page = render_html(report)
    header = page.split("<h2", 1)[0]
    assert "Café Aurora" in header and "Prepared by Demo Agency" in header and "October 2026" in header
    assert "background:#3B2416" in header and "color:#FFF8F0" in header and "background:#E8A33D" in header
    assert "Tagback month" not in page
    anonymous = render_html(dataclasses.replace(report, agency=None))
    assert "Prepared by" not in anonymous


def test_a_pale_accent_leaves_the_bars_in_the_background_colour(report: Report) -> None:
    pale = dataclasses.replace(report, colours=Colours("#10243E", "#FFFFFF", "#FFF8E1"))
    page = render_html(pale)
    bars = re.findall(r"background:(#\w+);font-size:1px;line-height:16px", page)  # the funnel's
    assert set(bars) == {"#10243E"} and "background:#FFF8E1" in page.split("<h2", 1)[0]  # the accent: a stripe


def test_money_is_in_the_clients_currency_and_the_reports_language(demo_config: ClientConfig) -> None:
    pesos = build_report(client(demo_config, currency="MXN", report=SPANISH), "2026-10", OCTOBER, SEPTEMBER)
    text = render_text(pesos)  # Spanish in Lisbon: Babel has no es_PT, so Spanish as such
    assert "Coste estimado: 32,20\xa0MXN" in text and "€" not in text
    euros = render_text(build_report(client(demo_config, report=GERMAN), "2026-10", OCTOBER, SEPTEMBER))
    assert "Geschätzte Kosten: 32,20\xa0€" in euros


def test_numbers_money_and_dates_are_written_as_the_venues_country_does() -> None:
    luna = load_client_config(DEMO_CONFIG.parent / "luna.yaml")  # Spanish, pesos, Mexico City
    october = {"mentions": 1200, "awards": 1, "awards_prize_churros": 1, "mentions_day_25": 3}
    report = build_report(luna, "2026-10", october, {})
    assert report.locale == "es_MX"
    text = render_text(report)
    assert "  Churros gratis: 1 (≈ $18.00)\n" in text and "Coste estimado: $18.00\n" in text  # not "18,00 MXN"
    assert "Menciones en historias: 1,200" in text and "Mejor día: dom 25 de oct (3)" in text
    demo = build_report(load_client_config(DEMO_CONFIG), "2026-10", OCTOBER, SEPTEMBER)  # English, euros, Lisbon
    assert demo.locale == "en_PT"
    assert "Estimated cost: 32,20\xa0€\n" in render_text(demo) and "Best day: Sun, 25 Oct (17)" in render_text(demo)


def test_a_prize_not_handed_out_shows_no_cost(demo_config: ClientConfig) -> None:
    report = build_report(demo_config, "2026-10", OCTOBER | {"awards_prize_brunch-for-two": 0}, SEPTEMBER)
    assert "  Brunch for two: 0\n" in render_text(report)
    prizes = render_html(report).split("Brunch for two", 1)[1].split("</tr>", 1)[0]
    assert "≈" not in prizes and "0,00" not in prizes


def test_tagbacks_counts_are_apart_from_what_instagram_and_google_report(report: Report) -> None:
    assert [f.key for f in report.counted] == [
        "mentions",
        "unique_guests",
        "review_clicks",
        "coupons_redeemed",
        "redemption_rate",
        "contacts",
        "opt_outs",
    ]
    assert [f.key for f in report.platforms] == ["followers_gained", "reach", "views", "engaged", "rating"]
    page = render_html(report)
    counted = page.split("Counted by Tagback", 1)[1].split("As Instagram and Google report them", 1)[0]
    assert "Coupons redeemed" in counted and "Google rating" not in counted and "New followers" not in counted
    assert "What Tagback did directly" not in page


def test_the_layout_is_fluid_and_mail_client_safe(report: Report) -> None:
    page = render_html(report)
    assert 'width="100%"' in page and "max-width:600px" in page  # fluid on a phone, 600 px at most
    assert '<!--[if mso]><table role="presentation" width="600"' in page  # Outlook, which ignores max-width
    assert "<style" not in page and "@media" not in page and "class=" not in page  # inline styles only
    assert 'width="600"' not in page.replace('<!--[if mso]><table role="presentation" width="600"', "")


def test_the_email_has_both_parts_with_the_same_figures_and_the_csv(report: Report) -> None:
    message = compose_email(report, "reports@tagback.example", ["owner@cafe.example"], b"date,prize\n")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Monthly report — Café Aurora — October 2026"
    assert parsed.get_content_type() == "multipart/mixed"
    alternative = next(p for p in parsed.iter_parts() if p.get_content_type() == "multipart/alternative")
    text, page = (part.get_content() for part in alternative.iter_parts())
    for shown in ("40", "+15", "31", "11", "72", "4,6", "42%", "32,20\xa0€", "Sun, 25 Oct", "Prepared by Demo Agency"):
        assert shown in text and shown in page, shown
    assert "<script" not in page and "http" not in page.split("<body", 1)[1]  # no JavaScript, no external assets
    (attachment,) = [p for p in parsed.iter_attachments()]
    assert attachment.get_filename() == "demo-2026-10-awards.csv"


def test_the_report_language_is_the_clients(demo_config: ClientConfig) -> None:
    text = render_text(build_report(client(demo_config, report=GERMAN), "2026-10", OCTOBER, SEPTEMBER))
    assert text.startswith("Monatsbericht — Café Aurora — Oktober 2026")
    assert "Story-Erwähnungen: 40 (+15 ggü. Vormonat)" in text and "Gratis-Espresso: 20" in text
    assert "Gäste mit einem Preis: 31" in text and "Bester Tag: So., 25. Okt." in text


def test_every_label_is_in_the_six_built_in_languages_with_the_same_placeholders() -> None:
    for key, texts in LABELS.items():
        assert set(texts) == set(LANGUAGES), key
        assert len({tuple(sorted(re.findall(r"\{(\w+)\}", text))) for text in texts.values()}) == 1, key


@mock_aws
def test_ses_receives_the_report_and_s3_keeps_a_copy(report: Report) -> None:
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
def test_an_ses_refusal_leaves_the_report_in_s3(report: Report) -> None:
    s3, ses = boto3.client("s3", region_name="eu-west-1"), boto3.client("ses", region_name="eu-west-1")
    s3.create_bucket(Bucket="reports-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    delivery = ReportDelivery("reports-bucket", s3=s3, ses=ses)
    message = compose_email(report, "unverified@tagback.example", ["owner@cafe.example"])
    delivery.store_copy(report.month, message)
    assert delivery.send(message, "unverified@tagback.example", ["owner@cafe.example"]) is None
    assert s3.get_object(Bucket="reports-bucket", Key="reports/2026-10.eml")["Body"].read().startswith(b"Subject:")
