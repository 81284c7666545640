"""Yes or no typed instead of tapped (issue 13): the review question and the contact question understand a written
answer that starts with their buttons' title in an offered language, however it is cased, accented or punctuated;
anything else is answered as before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Awaiting, AwardKey, FollowUpState
from tests.unit.test_chat import TODAY, Chat, config_with

AFTER_PRIZE = "This chat only handles story prizes"


@pytest.fixture
def chat() -> Chat:
    return Chat(config_with())  # English, German and Portuguese offered; contact by email


def asked_for_a_review(chat: Chat, guest: str, language: str = "en", *, contact: str | None = "none") -> None:
    chat.mention(guest)
    chat.tap(guest, f"LANG:{language}")
    if contact is not None:
        chat.tap(guest, f"CONTACT:{contact}")
    chat.clock.advance(timedelta(minutes=60))
    assert chat.engine.follow_up(AwardKey(guest, TODAY)) is FollowUpState.SENT


@pytest.mark.parametrize(
    ("typed", "yes"),
    [
        ("yes", True),
        ("Sim", True),  # Portuguese, from a guest who chose English: any offered language's title
        ("JA GERNE!", True),
        ("yes please 😊", True),
        ("Não", False),
        ("nao, obrigado", False),
        ("no thanks", False),
        ("Nein.", False),
    ],
)
def test_a_typed_answer_to_the_review_question_is_taken_as_its_button(chat: Chat, typed: str, yes: bool) -> None:
    asked_for_a_review(chat, "ana")
    assert chat.say("ana", typed) is Outcome.REPLIED
    award = chat.store.awards.get(AwardKey("ana", TODAY))
    assert award is not None and award.review_answer == ("yes" if yes else "no")
    thanks = "Thank you! Choose where to review Café Aurora:" if yes else "No problem, thanks for visiting Café Aurora!"
    assert chat.last("ana")["body"] == thanks
    assert chat.say("ana", typed) is Outcome.FALLBACK_SENT  # answered: one answer counts
    assert AFTER_PRIZE in chat.last("ana")["body"]
    month = chat.store.stats.months["2026-11"]
    assert (month.get("review_yes", 0), month.get("review_no", 0)) == ((1, 0) if yes else (0, 1))


def test_anything_else_is_no_answer_and_with_no_question_open_a_yes_gets_the_fallback(chat: Chat) -> None:
    assert chat.say("ben", "yes") is Outcome.FALLBACK_SENT  # nothing asked: how to take part, as before
    assert "To get a prize, post a story" in chat.last("ben")["body"]
    asked_for_a_review(chat, "ben")
    for typed in ("yesterday was lovely", "not now", "maybe", "sí", "👍"):  # "sí" is Spanish, not offered here
        assert chat.say("ben", typed) is Outcome.IGNORED  # the fallback, once a day: as before
    award = chat.store.awards.get(AwardKey("ben", TODAY))
    assert award is not None and award.review_answer is None
    assert chat.say("ben", "Sim") is Outcome.REPLIED  # the question is still open


def test_the_review_question_is_the_open_one_after_the_contact_question_and_while_an_email_is_asked(chat: Chat) -> None:
    asked_for_a_review(chat, "cy", "pt", contact=None)
    assert chat.store.guests.by_id["cy"].awaiting is Awaiting.CONTACT_CHOICE  # never answered
    assert chat.say("cy", "sim!") is Outcome.REPLIED
    award = chat.store.awards.get(AwardKey("cy", TODAY))
    assert award is not None and award.review_answer == "yes"
    assert chat.last("cy")["body"] == "Obrigado! Escolha onde quer avaliar o Café Aurora:"
    assert chat.say("cy", "Não, obrigado") is Outcome.REPLIED  # now the contact question is the open one
    assert chat.last("cy")["body"] == "Sem problema, vamos saltar esse passo."
    asked_for_a_review(chat, "dee", contact="email")  # asked for the address, and no answer
    assert chat.say("dee", "No") is Outcome.REPLIED
    assert chat.last("dee")["body"] == "No problem, thanks for visiting Café Aurora!"  # not "not an email address"


@pytest.mark.parametrize(("typed", "asked"), [("Yes!", "Great! What's your email address?"), ("ja gerne", None)])
def test_a_typed_yes_to_the_contact_question_asks_for_the_address(chat: Chat, typed: str, asked: str | None) -> None:
    chat.mention("eva")
    chat.tap("eva", "LANG:en")
    assert chat.say("eva", typed) is Outcome.REPLIED
    assert chat.store.guests.by_id["eva"].awaiting is Awaiting.EMAIL
    assert chat.last("eva")["body"] == (asked or "Great! What's your email address?")


def test_a_typed_no_to_the_contact_question_skips_it_and_with_both_channels_only_no_is_understood() -> None:
    both = {
        "channels": "both",
        "consent_version": "v2",
        "consent_text": {language: "At most twice a month; stop any time." for language in ("en", "de", "pt")},
    }
    chat = Chat(config_with(contact_capture=both))
    chat.mention("fay")
    chat.tap("fay", "LANG:en")
    assert chat.say("fay", "yes") is Outcome.FALLBACK_SENT  # which channel? the buttons name them: as before
    assert chat.say("fay", "no, thanks") is Outcome.REPLIED
    assert chat.last("fay")["body"] == "No problem, let's skip that."
    assert chat.store.guests.by_id["fay"].awaiting is None


def test_the_titles_are_the_clients_own_and_one_that_reads_as_nothing_answers_nothing() -> None:
    own = {"en": {"answer_yes": "👍", "answer_no": "Not today"}}
    chat = Chat(config_with(languages=["en"], messages=own, contact_capture={"channels": "off"}))
    chat.mention("hal")
    chat.clock.advance(timedelta(minutes=60))
    chat.engine.follow_up(AwardKey("hal", TODAY))
    assert chat.last("hal")["quick_replies"] == f"REVIEW_YES:{TODAY},REVIEW_NO:{TODAY}"
    assert chat.say("hal", "hello") is Outcome.FALLBACK_SENT  # "👍" reads as nothing: not every answer is yes
    assert chat.say("hal", "no") is Outcome.IGNORED  # not this venue's title: the fallback, once a day
    assert chat.say("hal", "not today, thanks!") is Outcome.REPLIED
    award = chat.store.awards.get(AwardKey("hal", TODAY))
    assert award is not None and award.review_answer == "no"
