"""The per-table option (issue 13): the client file lists the tables there are (numbers and ranges), checked at load
with the field and the reason; an answer naming another table is asked again (twice at most), and a table of the venue
is taken whenever it comes while the question is open (the story's day); the winning table goes to the owner's event
(sheet, CRM) and to the month's figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml

from tagback.config.loading import ConfigError
from tagback.conversation.outcome import DeliveryPending, Outcome
from tagback.domain.awards import AwardKey
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.messaging import ErrorKind
from tests.unit.test_chat import TODAY, Chat, config_with

AT_TABLES = {
    "languages": ["en"],
    "messages": {},
    "contact_capture": {"channels": "off"},
    "questions": [],
    "per_table": True,
}


def problems(**changes: Any) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        config_with(**changes)
    return refused.value.problems


def test_an_owner_lists_tables_as_numbers_and_ranges() -> None:
    config = config_with(**AT_TABLES, tables=yaml.safe_load("[1-20, 30, 31, 40 – 42]"))
    assert config.tables == ["1-20", "30", "31", "40-42"]
    assert config.table_numbers == frozenset([*range(1, 21), 30, 31, 40, 41, 42])
    assert config.table_list == "1–20, 30, 31, 40–42"
    assert config_with(per_table=False).tables is None  # a file without the option needs no tables


@pytest.mark.parametrize(
    ("tables", "problem"),
    [
        (None, "tables: required when per_table is true: the numbers on the table signs, e.g. tables: [1-20, 30, 31]"),
        ([], "tables: list at least one table, e.g. [1-20, 30, 31]"),
        (["1-20", 15], "tables: 15 overlaps 1-20: list each table once"),
        (["1-20", "18-25"], "tables: 18-25 overlaps 1-20: list each table once"),
        ([7, "7"], "tables: 7 overlaps 7: list each table once"),
        ([30, 99999], "tables[1]: 99999: table numbers run from 1 to 9999"),
        (["0-5"], "tables[0]: 0-5: table numbers run from 1 to 9999"),
        (["20-1"], "tables[0]: 20-1: the range ends before it starts (write 1-20)"),
        (["terrace"], "tables[0]: 'terrace' is not a table number (12) or a range of them (1-20)"),
        ([True], "tables[0]: True is not a table number (12) or a range of them (1-20)"),
        (["1-5000"], "tables: 5000 tables; a venue has at most 1000 (check the ranges)"),
    ],
)
def test_tables_that_cannot_be_meant_are_refused_with_the_field_and_the_reason(tables: Any, problem: str) -> None:
    changes = AT_TABLES if tables is None else AT_TABLES | {"tables": tables}
    assert problems(**changes) == [problem]


def test_tables_without_the_per_table_option_are_refused() -> None:
    assert problems(tables=[1, 2]) == ["tables: only applies when per_table is true"]


def test_an_answer_naming_no_table_of_the_venue_is_asked_again() -> None:
    chat = Chat(config_with(**AT_TABLES, tables=["1-20", 30]))
    assert chat.mention("nia") is Outcome.TABLE_ASKED
    assert chat.say("nia", "99") is Outcome.REPLIED
    assert chat.last("nia")["body"] == "Please reply with just the table number from the sign (our tables: 1–20, 30)."
    assert chat.say("nia", "table 30") is Outcome.DM_SENT
    award = chat.store.awards.get(AwardKey("nia", TODAY))
    assert award is not None and award.table == "30"


def test_the_winning_table_goes_to_the_owners_event_and_the_months_figures() -> None:
    chat = Chat(config_with(**AT_TABLES, tables=["1-20"]))
    for guest, table in (("nia", "12"), ("oli", "#12"), ("pia", "7")):  # oli's table has its prize already
        chat.mention(guest)
        chat.say(guest, table)
    events = chat.store.outbox.events
    assert events[f"award-nia_{TODAY}"].table == "12" and events[f"award-pia_{TODAY}"].table == "7"
    assert f"award-oli_{TODAY}" not in events
    totals = chat.store.stats.months["2026-11"]
    assert (totals["awards_table_12"], totals["awards_table_7"], totals["awards"]) == (1, 1, 2)


def test_a_table_override_may_name_the_tables_and_only_known_placeholders() -> None:
    own = {"en": {"table_invalid": "Just the number, please: {tables}"}}
    chat = Chat(config_with(**AT_TABLES | {"messages": own}, tables=[1, 2, 3]))
    chat.mention("rui")
    chat.say("rui", "4")
    assert chat.last("rui")["body"] == "Just the number, please: 1, 2, 3"
    wrong = {"en": {"table_invalid": "Just the number, please: {table}"}}
    assert problems(**AT_TABLES | {"messages": wrong}, tables=[1]) == [
        "messages.en.table_invalid: unknown placeholder {table} (allowed: {tables})"
    ]


FALLBACK = "To get a prize, post a story"


def test_a_table_is_taken_whenever_it_comes_while_the_question_is_open_after_two_reasks_at_most() -> None:
    chat = Chat(config_with(**AT_TABLES, tables=["1-20", 30, 31]))
    chat.mention("nia")
    assert chat.say("nia", "99999") is Outcome.REPLIED
    assert chat.say("nia", "25") is Outcome.REPLIED  # asked again: the guest is still answering, no "post a story"
    reasked = "Please reply with just the table number from the sign (our tables: 1–20, 30, 31)."
    assert [m["body"] for m in chat.inbox("nia")[1:]] == [reasked, reasked]
    for bot in ("Sorry, I did not get that.", "Sorry, I did not get that.", "42"):  # a bot answering each message
        assert chat.say("nia", bot) is Outcome.IGNORED  # asked twice: silent, and still listening
    assert len(chat.inbox("nia")) == 3
    reply = InboundEvent(EventKind.STORY_REPLY, "story-reply", "nia", "1", chat.clock.now(), text="Love this place!")
    assert chat.engine.handle(reply) is Outcome.FALLBACK_SENT  # a reply to the venue's story is no answer…
    assert chat.last("nia")["body"].startswith("Thanks for your message! This chat only handles story prizes")
    assert chat.say("nia", "Table 7") is Outcome.DM_SENT  # …and the question is still open
    award = chat.store.awards.get(AwardKey("nia", TODAY))
    assert award is not None and award.table == "7"
    assert not any(FALLBACK in m["body"] for m in chat.inbox("nia"))
    assert chat.store.guests.by_id["nia"].awaiting is None


def test_the_table_question_closes_with_the_storys_day_and_a_later_story_asks_it_again() -> None:
    chat = Chat(config_with(**AT_TABLES, tables=["1-20"]))
    chat.mention("oli")  # and no answer that day
    chat.clock.advance(timedelta(days=1))
    assert chat.say("oli", "7") is Outcome.FALLBACK_SENT  # yesterday's question is closed: how to take part today
    assert chat.store.awards.get(AwardKey("oli", TODAY)) is None
    chat.mention("pia")
    chat.clock.advance(timedelta(days=1))
    assert chat.mention("pia") is Outcome.TABLE_ASKED  # a new day's story, though yesterday's was never answered
    assert chat.say("pia", "7") is Outcome.DM_SENT


def test_the_retry_of_a_table_answer_whose_prize_meta_throttled_sends_the_prize_not_the_fallback() -> None:
    chat = Chat(config_with(**AT_TABLES, tables=["1-20"]))
    chat.mention("rui")
    answer = InboundEvent(EventKind.TEXT, "table-answer", "rui", "1", chat.clock.now(), text="12")
    chat.messenger.failures = [ErrorKind.THROTTLED]
    with pytest.raises(DeliveryPending):
        chat.engine.handle(answer)
    assert chat.engine.handle(answer) is Outcome.DM_SENT  # the event source's retry of the same answer
    assert chat.engine.handle(answer) is Outcome.ALREADY_HANDLED
    bodies = [m["body"] for m in chat.inbox("rui")]
    assert len([b for b in bodies if "Your prize" in b]) == 1 and not any(FALLBACK in b for b in bodies)
    guest = chat.store.guests.by_id["rui"]
    assert guest.awaiting is None and guest.pending_mid is None
