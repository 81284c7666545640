"""`tagback status`: one venue's row from its table and queues, and the table the agency reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tagback.app.status import status_table, venue_status
from tagback.domain.awards import AwardKey, WaitingForToken
from tagback.domain.tokens import TokenRecord
from tests.conftest import registration
from tests.fakes import InMemoryStore

# 00:30 on 2 December in Lisbon (UTC+0 in winter); in Mexico City it is still 1 December.
NOW = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)
QUEUES = {"PrizeDeadLetter": 0, "ReportFailure": 0}


def test_mentions_of_today_and_the_last_seven_local_days_cross_into_the_month_before() -> None:
    store = InMemoryStore()
    store.stats.add_to_month("2026-11", {"mentions_day_25": 4, "mentions_day_26": 1, "mentions_day_30": 2})
    store.stats.add_to_month("2026-12", {"mentions_day_01": 3, "mentions_day_02": 5})
    row = venue_status(registration(timezone="Europe/Lisbon"), store, NOW, QUEUES)
    assert (row.mentions_today, row.mentions_7_days) == (5, 5 + 3 + 2 + 1)  # 26 Nov to 2 Dec
    in_mexico = venue_status(registration(timezone="America/Mexico_City"), store, NOW, QUEUES)
    assert (in_mexico.mentions_today, in_mexico.mentions_7_days) == (3, 3 + 2 + 1 + 4)  # 25 Nov to 1 Dec


def test_awards_and_every_kind_of_dm_failure_are_the_months() -> None:
    store = InMemoryStore()
    store.stats.add_to_month("2026-11", {"awards": 40, "dms_failed": 9})
    store.stats.add_to_month("2026-12", {"awards": 3, "dms_failed": 1, "dms_uncertain": 2, "dms_later": 0})
    row = venue_status(registration(), store, NOW, QUEUES)
    assert row.awards_this_month == 3
    assert row.dm_failures == {"failed": 1, "uncertain": 2}


def test_waiting_messages_queues_and_the_tokens_days_left() -> None:
    store = InMemoryStore()
    for guest in ("g1", "g2"):
        store.awards.wait_for_token(WaitingForToken(AwardKey(guest, "2026-12-01"), "prize", NOW), NOW)
    store.tokens.put(TokenRecord("1784", "cafe", NOW - timedelta(days=10), NOW + timedelta(days=50, hours=5), 1))
    row = venue_status(registration(), store, NOW, {"PrizeDeadLetter": 2, "ReportFailure": 0})
    assert (row.waiting_for_token, row.queues, row.token_days_left, row.token_state) == (
        2,
        {"PrizeDeadLetter": 2, "ReportFailure": 0},
        50,
        "connected",
    )


def test_a_token_without_a_record_or_an_expiry_or_past_it_says_so() -> None:
    store = InMemoryStore()
    assert venue_status(registration(), store, NOW, QUEUES).token_state == "not recorded"
    store.tokens.put(TokenRecord("1784", "cafe", NOW, None, 1))
    assert venue_status(registration(), store, NOW, QUEUES).token_state == "expiry not known"
    store.tokens.put(TokenRecord("1784", "cafe", NOW - timedelta(days=61), NOW - timedelta(hours=1), 1))
    expired = venue_status(registration(), store, NOW, QUEUES)
    assert (expired.token_state, expired.token_days_left) == ("expired", -1)


def test_the_last_report_is_last_months_or_the_one_before() -> None:
    store = InMemoryStore()
    assert venue_status(registration(), store, NOW, QUEUES).last_report_month is None
    store.stats.report_sent("2026-10", datetime(2026, 11, 1, 8, 0, 4, tzinfo=UTC))
    row = venue_status(registration(), store, NOW, QUEUES)
    assert (row.last_report_month, row.last_report_sent_at) == ("2026-10", "2026-11-01T08:00:04+00:00")
    store.stats.report_sent("2026-11", datetime(2026, 12, 1, 8, 0, 2, tzinfo=UTC))
    assert venue_status(registration(), store, NOW, QUEUES).last_report_month == "2026-11"


def test_the_table_has_a_line_per_venue_and_names_what_is_wrong() -> None:
    quiet, busy = InMemoryStore(), InMemoryStore()
    busy.stats.add_to_month("2026-12", {"mentions_day_02": 12, "awards": 9, "dms_failed": 1})
    busy.stats.report_sent("2026-11", datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    busy.tokens.put(TokenRecord("1784", "luna", NOW, NOW + timedelta(days=59, hours=12), 1))
    rows = [
        venue_status(registration("demo"), quiet, NOW, QUEUES, ["its stack's queues could not be read: gone"]),
        venue_status(registration("luna", "1785"), busy, NOW, {"PrizeDeadLetter": 3, "ReportFailure": 0}),
    ]
    lines = status_table(rows, NOW).splitlines()
    assert lines[0] == "2 venues at 2026-12-02T00:30+00:00 (awards and DM failures: this month)"
    assert lines[1].split() == [
        "client", "mentions", "today", "7", "days", "awards", "DM", "failures", "waiting", "queues", "token", "last",
        "report",
    ]  # fmt: skip
    assert lines[2].split() == ["demo", "0", "0", "0", "none", "0", "empty", "not", "recorded", "none"]
    assert lines[3].split() == [
        "luna", "12", "12", "9", "failed", "1", "0", "PrizeDeadLetter", "3", "59", "days", "left", "2026-11", "sent",
        "2026-12-01",
    ]  # fmt: skip
    assert lines[4] == "demo: its stack's queues could not be read: gone"
