"""The venue's own questions (issue 18): the client file's `questions` checked at load, and the engine asking them
after the prize and the contact question, each answer choosing the next, answers going to the sheet and CRM."""

from __future__ import annotations

from copy import deepcopy
from datetime import timedelta
from typing import Any

import pytest
import yaml

from tagback.config.loading import ConfigError, parse_client_config
from tagback.config.model import ClientConfig
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Awaiting, AwardKey, FollowUpState
from tagback.domain.events import EventKind, InboundEvent, OutboxEvent
from tests.conftest import DEMO_CONFIG
from tests.unit.test_chat import TODAY, Chat

DEMO: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
FIRST_VISIT = "Is this your first visit to Café Aurora?"
MEAL = "Lunch or dinner today?"
BIRTHDAY = "Which month is your birthday? We'd like to send you a birthday treat."


def with_questions(questions: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return deepcopy(DEMO) | {"questions": questions} | changes


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_client_config(data, "test.yaml", DEMO_CONFIG.parent)
    return error.value.problems


def texts(text: str) -> dict[str, str]:
    return {"en": text, "de": text, "pt": text}


def question(question_id: str, *replies: tuple[str, str | None], **fields: Any) -> dict[str, Any]:
    """A question with these (reply id, next) quick replies."""
    listed = [{"id": r, "title": texts(r.title()), **({"next": n} if n else {})} for r, n in replies]
    return {"id": question_id, "text": texts(f"{question_id}?"), "replies": listed} | fields


# -- the client file ---------------------------------------------------------------------------------------------
def test_the_demo_venue_has_two_questions_with_a_branch(demo_config: ClientConfig) -> None:
    first = demo_config.questions[0]
    assert [(reply.id, reply.next) for reply in first.replies] == [("yes", "meal"), ("no", "birthday-month")]
    birthday = demo_config.question("birthday-month")
    assert birthday is not None and birthday.personal and birthday.expects == "month"


def test_a_long_title_and_too_many_replies_are_refused_with_their_paths() -> None:
    many = [(f"r{n}", None) for n in range(14)]
    long = question("a", ("yes", None)) | {"replies": [{"id": "yes", "title": texts("Yes, absolutely tonight")}]}
    assert problems_of(with_questions([long, question("b", *many)])) == [
        "questions[0].replies[0].title.en: 23 characters, Meta allows 20",
        "questions[0].replies[0].title.de: 23 characters, Meta allows 20",
        "questions[0].replies[0].title.pt: 23 characters, Meta allows 20",
        "questions[1].replies: 14 replies, Meta allows 13",
        "questions[1]: 'b' is never asked: no question leads to it (the first question, 'a', is asked after the prize)",
    ]


def test_duplicate_ids_unknown_next_and_a_missing_text_are_all_reported_at_once() -> None:
    first = question("a", ("yes", "nowhere"), ("yes", "b"))
    first["text"] = {"en": "a?", "de": "a?"}
    problems = problems_of(with_questions([first, question("b", ("ok", None)), question("b", ("ok", None))]))
    assert problems == [
        "questions[0].text.pt: missing",
        "questions[0].replies[1].id: 'yes' is also replies[0]'s id",
        "questions[2].id: 'b' is also questions[1]'s id",
        "questions[0].replies[0].next: no question has the id 'nowhere' (or write end)",
    ]


def test_a_cycle_is_refused_with_its_path() -> None:
    problems = problems_of(with_questions([question("a", ("go", "b"), ("stop", "end")), question("b", ("back", "a"))]))
    assert problems == ["questions[1]: leads back to 'a', a cycle: a → b → a"]


def test_a_question_needs_replies_or_a_kind_and_personal_data_needs_consent() -> None:
    neither = {"id": "a", "text": texts("a?"), "next": "b"}
    email = {"id": "b", "text": texts("Your email?"), "expects": "email"}
    assert problems_of(with_questions([neither, email])) == [
        "questions[0]: give either replies (quick replies) or expects (free text: text, number, month, date, email, "
        "phone)",
        "questions[1].personal: an email answer is personal data: set personal: true",
    ]
    birthday = {"id": "a", "text": texts("Birthday?"), "expects": "date", "personal": True}
    assert problems_of(with_questions([birthday], contact_capture={"channels": "off"})) == [
        "questions[0].personal: a personal question is asked only after the guest's consent, which the contact "
        "question asks: turn contact_capture on, or make the question personal: false"
    ]


def test_a_questions_own_say_is_for_free_text_in_every_language_within_a_message() -> None:
    party = {"id": "a", "text": texts("How many?"), "expects": "number", "say": {"en": "Noted.", "de": "ü" * 501}}
    tapped = question("b", ("ok", None)) | {"say": texts("Thanks!")}
    assert problems_of(with_questions([party | {"next": "b"}, tapped])) == [
        "questions[0].say.pt: missing",
        "questions[0].say.de: 1002 bytes, Meta allows 1000",
        "questions[1].say: a question with replies says its text on each reply (replies[n].say)",
    ]


def test_end_is_no_question_id() -> None:
    assert problems_of(with_questions([question("end", ("ok", None))])) == [
        "questions[0].id: 'end' means the end of the questions: choose another id"
    ]


# -- the engine ---------------------------------------------------------------------------------------------------
@pytest.fixture
def chat(demo_config: ClientConfig) -> Chat:
    return Chat(demo_config)


def answers(chat: Chat) -> dict[str, OutboxEvent]:
    return {e.event_id: e for e in chat.store.outbox.events.values() if e.event_type == "answer"}


def consents(chat: Chat, guest: str) -> None:
    """The guest wins in English and leaves their email with consent."""
    chat.mention(guest)
    chat.tap(guest, "LANG:en", "English")
    chat.tap(guest, "CONTACT:email", "Yes")
    chat.tap(guest, f"{guest}@example.org")


def test_after_the_contact_question_the_first_question_and_yes_leads_to_the_meal(chat: Chat) -> None:
    consents(chat, "ana")
    thanks, asked = chat.inbox("ana")[-2:]
    assert thanks["body"].startswith("Thank you!") and asked["body"] == FIRST_VISIT
    assert asked["quick_replies"] == f"QUESTION:first-visit:yes:{TODAY},QUESTION:first-visit:no:{TODAY}"
    assert chat.tap("ana", f"QUESTION:first-visit:yes:{TODAY}", "Yes, first time") is Outcome.REPLIED
    welcome, meal = chat.inbox("ana")[-2:]
    assert welcome["body"].startswith("Welcome to Café Aurora!") and meal["body"] == MEAL
    chat.say("ana", "dinner")  # a reply's title, typed
    assert chat.store.guests.by_id["ana"].awaiting is None  # the end
    assert {(e.event_id, e.question, e.answer) for e in answers(chat).values()} == {
        (f"answer-ana_{TODAY}-first-visit", "first-visit", "yes"),
        (f"answer-ana_{TODAY}-meal", "meal", "dinner"),
    }
    assert chat.store.stats.months["2026-11"]["answers"] == 2


def test_no_leads_a_guest_who_consented_to_the_personal_question_and_a_month_is_read_in_their_words(
    chat: Chat,
) -> None:
    consents(chat, "ben")
    chat.tap("ben", f"QUESTION:first-visit:no:{TODAY}", "No, I'm a regular")
    loyalty, birthday = chat.inbox("ben")[-2:]
    assert loyalty["body"].startswith("Great to see you again!") and birthday["body"] == BIRTHDAY
    chat.say("ben", "März")  # German, though Ben chats in English: any offered language
    assert answers(chat)[f"answer-ben_{TODAY}-birthday-month"].answer == "03"
    assert chat.last("ben")["body"] == "Thanks! We'll remember it."  # the question's say: Ben knows it arrived


def test_a_personal_question_is_never_asked_without_consent(chat: Chat) -> None:
    chat.mention("cai")
    chat.tap("cai", "LANG:pt", "Português")
    chat.tap("cai", "CONTACT:none", "Não")
    assert chat.inbox("cai")[-1]["body"] == "É a sua primeira visita ao Café Aurora?"
    chat.say("cai", "não, sou cliente")
    assert chat.last("cai")["body"].startswith("Que bom vê-lo de novo!")  # and no birthday question
    assert chat.store.guests.by_id["cai"].awaiting is None
    assert [e.question for e in answers(chat).values()] == ["first-visit"]


def test_a_redelivered_or_repeated_answer_neither_advances_nor_sends_twice(chat: Chat) -> None:
    consents(chat, "dia")
    sent = len(chat.inbox("dia"))
    tap = f"QUESTION:first-visit:yes:{TODAY}"
    event = InboundEvent(EventKind.QUICK_REPLY, "mid.tap.1", "dia", "1", chat.clock.now(), "Yes, first time", tap)
    assert chat.engine.handle(event) is Outcome.REPLIED
    assert len(chat.inbox("dia")) == sent + 2  # the welcome text and the meal question
    assert chat.engine.handle(event) is Outcome.ALREADY_HANDLED  # Meta delivers it again
    assert chat.tap("dia", tap, "Yes, first time") is Outcome.IGNORED  # tapped again: the question is answered
    assert chat.tap("dia", f"QUESTION:first-visit:no:{TODAY}", "No") is Outcome.IGNORED
    assert len(chat.inbox("dia")) == sent + 2 and len(answers(chat)) == 1
    assert chat.store.guests.by_id["dia"].question == "meal"


def test_an_answer_that_does_not_fit_is_asked_again_once_then_skipped(chat: Chat) -> None:
    consents(chat, "eli")
    chat.tap("eli", f"QUESTION:first-visit:no:{TODAY}", "No")
    chat.say("eli", "sometime in spring")
    assert chat.last("eli")["body"] == f"Sorry, I didn't get that. One more time:\n{BIRTHDAY}"
    assert chat.say("eli", "spring!") is Outcome.REPLIED
    assert chat.last("eli")["body"] == f"Sorry, I didn't get that. One more time:\n{BIRTHDAY}"  # not a third time
    assert chat.store.guests.by_id["eli"].awaiting is None and len(answers(chat)) == 1
    assert chat.say("eli", "what now?") is Outcome.FALLBACK_SENT  # no dead end: the chat goes on


def test_stop_ends_the_questions(chat: Chat) -> None:
    consents(chat, "fay")
    assert chat.say("fay", "STOP") is Outcome.OPTED_OUT
    assert chat.tap("fay", f"QUESTION:first-visit:yes:{TODAY}", "Yes, first time") is Outcome.SILENCED
    assert chat.last("fay")["body"].startswith("Done:") and answers(chat) == {}
    assert chat.store.guests.by_id["fay"].question is None


def test_the_review_question_closes_an_open_question_and_a_typed_yes_answers_the_review(chat: Chat) -> None:
    consents(chat, "gil")
    chat.clock.advance(timedelta(minutes=60))
    assert chat.engine.follow_up(AwardKey("gil", TODAY)) is FollowUpState.SENT
    assert chat.store.guests.by_id["gil"].awaiting is None
    chat.say("gil", "yes")
    assert chat.store.awards.get(AwardKey("gil", TODAY)).review_answer == "yes"  # type: ignore[union-attr]
    assert chat.tap("gil", f"QUESTION:first-visit:yes:{TODAY}", "Yes, first time") is Outcome.IGNORED  # too late
    assert answers(chat) == {}


def test_the_next_days_prize_brings_the_questions_again_without_the_contact_question(chat: Chat) -> None:
    consents(chat, "hal")
    chat.tap("hal", f"QUESTION:first-visit:yes:{TODAY}", "Yes, first time")
    chat.tap("hal", f"QUESTION:meal:lunch:{TODAY}", "Lunch")
    chat.clock.advance(timedelta(days=1))
    chat.mention("hal")
    _, image, asked = chat.inbox("hal")[-3:]
    assert image["kind"] == "image" and asked["body"] == FIRST_VISIT
    tomorrow = (chat.clock.now()).date().isoformat()
    assert asked["quick_replies"].endswith(f"QUESTION:first-visit:no:{tomorrow}")
    chat.tap("hal", f"QUESTION:first-visit:no:{tomorrow}", "No, I'm a regular")
    chat.say("hal", "11")
    assert {e.event_id for e in answers(chat).values()} >= {
        f"answer-hal_{TODAY}-first-visit",
        f"answer-hal_{tomorrow}-first-visit",
        f"answer-hal_{tomorrow}-birthday-month",
    }


def test_without_contact_capture_the_questions_follow_the_prize() -> None:
    data = with_questions([question("meal", ("lunch", None), ("dinner", None))], contact_capture={"channels": "off"})
    chat = Chat(parse_client_config(data | {"languages": ["en"], "messages": {}}, "test", DEMO_CONFIG.parent))
    chat.mention("ivy")
    prize, image, asked = chat.inbox("ivy")
    assert prize["body"].startswith("Thanks for sharing") and image["kind"] == "image"
    assert asked["body"] == "meal?" and chat.store.guests.by_id["ivy"].awaiting is Awaiting.QUESTION


def test_a_free_text_answer_understood_gets_the_questions_say_before_the_next_question() -> None:
    count = {"id": "guests", "text": texts("How many of you?"), "expects": "number", "say": texts("Noted.")}
    meal = question("meal", ("lunch", None), ("dinner", None))
    data = with_questions([count | {"next": "meal"}, meal], contact_capture={"channels": "off"})
    chat = Chat(parse_client_config(data | {"languages": ["en"], "messages": {}}, "test", DEMO_CONFIG.parent))
    chat.mention("joy")
    chat.say("joy", "a few")  # not a number: asked again, nothing said
    assert chat.last("joy")["body"] == "Sorry, I didn't get that. One more time:\nHow many of you?"
    chat.say("joy", "4")
    noted, asked = chat.inbox("joy")[-2:]
    assert noted["body"] == "Noted." and asked["body"] == "meal?"
