"""The owner's side in the running sandbox: the live sheet, the CRM, outages, refusals, replay and the CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from sandbox import meta_payloads
from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.cli import main as cli
from tagback.domain.stats import REPORT_SENT_AT, month_of
from tests.e2e.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        yield running


def award_rows(sandbox: Sandbox, guest_id: str) -> list[list[str]]:
    return [row for row in sandbox.google.rows.get("Entries", []) if row[1] == "award" and guest_id in row[0]]


def aws(sandbox: Sandbox, service: str) -> Any:
    """A client of the sandbox's moto, as any AWS tool would make one (IAM is enforced: as the operator)."""
    status = sandbox.status()
    return boto3.client(
        service,
        endpoint_url=sandbox.aws_endpoint,
        region_name="eu-west-1",
        aws_access_key_id=status["aws_access_key_id"],
        aws_secret_access_key=status["aws_secret_access_key"],
    )


def post(sandbox: Sandbox, item: dict) -> None:
    body, headers = meta_payloads.signed(
        meta_payloads.envelope(sandbox.config.instagram_account_id, [item]), sandbox.options.app_secret
    )
    requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10).raise_for_status()


def test_a_sheets_outage_never_delays_the_dm_and_the_row_arrives_after_it(sandbox: Sandbox) -> None:
    guest, account = "6170000000000501", sandbox.config.instagram_account_id
    now_ms = int(sandbox.clock.now().timestamp() * 1000)
    sandbox.google.unavailable_for(60.0)  # a minute of 503s
    post(sandbox, meta_payloads.story_mention(guest, account, "mid.outage", now_ms))
    wait_for(lambda: bool([m for m in sandbox.graph.sent_messages() if m["json"]["recipient"]["id"] == guest]), 3)
    post(sandbox, meta_payloads.quick_reply(guest, account, "mid.outage.lang", "LANG:en", now_ms, title="English"))
    dm_after = wait_for(
        lambda: any(
            "Your prize" in m["json"]["message"].get("text", "")
            for m in sandbox.graph.sent_messages()
            if m["json"]["recipient"]["id"] == guest
        ),
        3,
    )
    assert dm_after < 2.0 and award_rows(sandbox, guest) == []  # the DM went out while the sheet was down
    wait_for(lambda: len(award_rows(sandbox, guest)) == 1, 90)  # retried with backoff, then appended once
    assert len(award_rows(sandbox, guest)) == 1


def test_a_403_is_dead_lettered_at_once_and_replays_once_shared(sandbox: Sandbox) -> None:
    guest = Guest(sandbox, "6170000000000502")
    sandbox.google.fail_next("403")
    guest.mention()
    guest.tap("English")
    sandbox.settle()
    queue_url = sandbox.resources.outbox_dlq_url
    queue = sandbox.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert queue["ApproximateNumberOfMessages"] == "1"  # dead-lettered, not retried in a loop
    assert award_rows(sandbox, guest.guest_id) == []
    assert any(guest.guest_id in r["delivery"] and r["status"] == 200 for r in sandbox.crm.requests)  # CRM got it
    report = sandbox.replay_dead_letters()["integrations"]  # the owner shared the sheet: replay
    assert (report.replayed, report.still_failing) == (1, 0)
    assert len(award_rows(sandbox, guest.guest_id)) == 1
    crm_deliveries = [r for r in sandbox.crm.requests if guest.guest_id in r["delivery"] and r["status"] == 200]
    assert len(crm_deliveries) == 1  # the CRM had it already: the replay did not send it again


def test_an_outage_dead_lettered_as_a_range_replays_only_the_outbox_records(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner_mapping = sandbox.venue().pumps()[0].consumers[1]
    monkeypatch.setattr(owner_mapping, "retry_attempts", 0)  # the sheet is down past every retry
    monkeypatch.setattr(owner_mapping, "backoff", (0.0, 0.0))
    sandbox.google.unavailable_for(600.0)
    guests = [Guest(sandbox, "6170000000000503"), Guest(sandbox, "6170000000000504")]
    for guest in guests:
        guest.mention()
        guest.tap("English")
    sandbox.settle()
    queue_url = sandbox.resources.outbox_dlq_url
    pointers = sandbox.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    infos = [json.loads(m["Body"])["DDBStreamBatchInfo"] for m in pointers]
    assert len(infos) >= 2 and len({i["shardId"] for i in infos}) == 1
    # Lambda's pointer for a failed batch of these outbox records (the pump dead-letters one record at a time): the
    # range also holds the awards, coupons, stats and inbound events written between them.
    batch = json.loads(pointers[0]["Body"])
    batch["DDBStreamBatchInfo"] |= {
        "startSequenceNumber": min((i["startSequenceNumber"] for i in infos), key=int),
        "endSequenceNumber": max((i["endSequenceNumber"] for i in infos), key=int),
        "batchSize": len(infos),
    }
    for message in pointers:
        sandbox.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    sandbox.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(batch))
    sandbox.google.unavailable_for(0.0)  # the sheet is back

    report = sandbox.replay_dead_letters()["integrations"]
    assert (report.replayed, report.still_failing, report.expired) == (1, 0, 0), report.failures
    queue = sandbox.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (queue["ApproximateNumberOfMessages"], queue["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    for guest in guests:  # each owner event delivered once: the sheet's row now, the CRM's during the outage
        assert len(award_rows(sandbox, guest.guest_id)) == 1
        assert len([r for r in sandbox.crm.requests if guest.guest_id in r["delivery"] and r["status"] == 200]) == 1


def test_the_csv_export_matches_the_awards_in_the_table(sandbox: Sandbox, tmp_path: Path) -> None:
    for guest_id in ("6170000000000601", "6170000000000602"):
        guest = Guest(sandbox, guest_id)
        guest.mention()
        guest.tap("Português")
    month = month_of(sandbox.clock.now(), sandbox.config.tz)
    assert (
        cli(
            [
                "export",
                "--client",
                "demo",
                "--month",
                month,
                "--sandbox",
                sandbox.url,
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    (awards_file,) = tmp_path.glob("*-awards.csv")
    rows = list(csv.DictReader(awards_file.open(encoding="utf-8-sig")))
    table = sandbox.store.awards.all_items()
    assert sorted(r["coupon_code"] for r in rows) == sorted(a["coupon_code"] for a in table if "coupon_code" in a)
    assert len(rows) == len(table)
    portuguese = [r for r in rows if r["language"] == "pt"]
    assert len(portuguese) == 2 and all(r["display_name"].startswith("Guest ") for r in portuguese)
    (contacts_file,) = tmp_path.glob("*-contacts.csv")
    assert next(csv.reader(contacts_file.open(encoding="utf-8-sig")))[0] == "display_name"


def test_the_daily_snapshot_runs_on_clock_advance_and_missing_insights_stay_missing(sandbox: Sandbox) -> None:
    start = sandbox.clock.now().astimezone(sandbox.config.tz)
    fired = sandbox.advance(24 * 60)["fired"]
    assert sorted(name for name in fired if name.endswith("DailySnapshot")) == [
        "tagback-demo-DailySnapshot",
        "tagback-luna-DailySnapshot",  # the other venue's own, in its timezone
    ]
    day = (start + timedelta(minutes=24 * 60)) if start.hour * 60 + start.minute >= 23 * 60 + 30 else start
    stats = sandbox.store.stats.month_totals(month_of(day))
    key = f"_d{day.day:02d}"
    assert stats["reach" + key] == 380 and stats["views" + key] == 1450 and stats["engaged" + key] == 64
    assert stats["followers" + key] >= 1180 and stats["rating" + key] == "4.5" and stats["rating_count" + key] > 201
    sandbox.graph.insights = {}  # an account under 100 followers: Meta answers no data
    later = sandbox.advance(24 * 60)
    after = day + timedelta(days=1)
    if after.month == day.month:
        assert "reach" + f"_d{after.day:02d}" not in sandbox.store.stats.month_totals(month_of(day))
    assert any(name.endswith("DailySnapshot") for name in later["fired"])


def test_the_report_from_two_seeded_months_through_the_function_and_ses(sandbox: Sandbox) -> None:
    stats = sandbox.store.stats
    stats.add_to_month(
        "2026-09",
        {"mentions": 10, "unique_guests": 8, "review_link_clicks_google": 3, "review_link_unique_clicks_google": 2},
    )
    stats.set_day_values("2026-09", 30, {"followers": 1000, "rating_count": 150, "rating": "4.4"})
    stats.add_to_month(
        "2026-10",
        {
            "mentions": 25,
            "unique_guests": 19,
            "awards": 15,
            "review_link_clicks_google": 7,
            "review_link_unique_clicks_google": 5,
            "review_link_clicks_tripadvisor": 1,
            "review_link_unique_clicks_tripadvisor": 1,
            "awards_prize_espresso": 15,
            "mentions_day_12": 25,
            "mentions_hour_19": 25,
        },
    )
    stats.set_day_values("2026-10", 31, {"followers": 1090, "rating_count": 163, "rating": "4.5", "reach": 900})
    answer = sandbox.functions["monthly_report"]({"month": "2026-10"})
    assert answer["ses_message_id"] is not None
    # the watchdog (a report not sent by noon on the 1st) and `tagback status` read it
    assert stats.month_totals("2026-10")[REPORT_SENT_AT] == sandbox.clock.now().isoformat()
    assert aws(sandbox, "ses").get_send_quota()["SentLast24Hours"] >= 1
    page = aws(sandbox, "s3").get_object(Bucket=sandbox.resources.bucket, Key="reports/2026-10.html")
    html = page["Body"].read().decode()
    for shown in (
        ">25<",
        "+15 vs.",
        ">19<",
        "+11 vs.",
        ">6<",  # review links opened, each once
        "+4 vs.",
        ">13<",
        ">90<",
        "4,5",  # English as Portugal writes numbers: the venue is in Lisbon
        "+0,1 vs.",
        ">900<",
        "Mon, 12 Oct",
        "5,25\xa0€",
        "Prepared by Demo Agency",  # the function's AGENCY_NAME, as the stack sets it
    ):
        assert shown in html, shown
    assert html.count("not&nbsp;available") == 2  # views and accounts engaged: no data, not zero


def test_a_coupon_is_redeemed_once_counted_and_the_sheet_hears(sandbox: Sandbox) -> None:
    guest = Guest(sandbox, "6170000000000701")
    guest.mention()
    guest.tap("English")
    award = next(i for i in sandbox.store.table.items_under(f"GUEST#{guest.guest_id}") if i["item_type"] == "award")
    code = award["coupon_code"]
    arguments = ["redeem", code.lower(), "--client", "demo", "--sandbox", sandbox.url]
    assert cli([*arguments, "--check"]) == 0  # VALID: a look redeems nothing
    assert cli(arguments) == 0
    assert cli(arguments) == 1  # a second time: already redeemed
    assert cli([*arguments, "--check"]) == 1  # ALREADY USED
    redeemed = sandbox.store.coupons.get(code) or {}
    assert redeemed["redeemed_at"] == sandbox.clock.now().isoformat()  # the sandbox's time, not the machine's
    assert cli(["redeem", "2222-2222-2222", *arguments[2:]]) == 1  # not a code of this venue
    sandbox.settle()
    month = month_of(sandbox.clock.now(), sandbox.config.tz)
    assert sandbox.store.stats.month_totals(month)["coupons_redeemed"] == 1
    assert [row for row in sandbox.google.rows["Entries"] if row[0] == f"redemption-{code}"]
