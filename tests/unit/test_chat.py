"""The guest's whole chat (issue 4) with in-memory fakes: language, prize, contact capture, review, STOP."""

from __future__ import annotations

import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from tagback.adapters.phones import valid_phone
from tagback.app.links import follow_link
from tagback.config.loading import parse_client_config
from tagback.config.model import ClientConfig
from tagback.conversation.contact import valid_email
from tagback.conversation.engine import Engine
from tagback.conversation.outcome import Outcome
from tagback.domain.awards import Awaiting, AwardKey, FollowUpState
from tagback.domain.clock import ManualClock
from tagback.domain.events import EventKind, InboundEvent
from tagback.domain.steps import Step
from tests.conftest import DEMO_CONFIG
from tests.fakes import FakeImages, FakeMessenger, FakeScheduler, InMemoryStore, Secrets

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = "2026-11-20"
_mids = itertools.count(1)


def config_with(**changes: Any) -> ClientConfig:
    """The demo client changed; without its own questions (test_questions.py's), unless `changes` give some."""
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8")) | {"questions": []} | changes
    return parse_client_config(data, "test", DEMO_CONFIG.parent)


class Chat:
    """One engine, one clock; `say` plays a guest's message as the webhook would store it."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.store, self.messenger, self.scheduler = InMemoryStore(), FakeMessenger(), FakeScheduler()
        self.clock = ManualClock(NOON + timedelta(seconds=2))
        self.engine = Engine(
            config,
            self.store,
            self.messenger,
            FakeImages(config),
            self.scheduler,
            self.clock,
            random.Random(3),
            Secrets({config.secrets.coupon_signing_key: "k"}),
            link_prefix="https://edge.example/l/demo",
            valid_phone=valid_phone,
        )

    def mention(self, guest: str, mid: str | None = None) -> Outcome:
        at = self.clock.now() - timedelta(seconds=2)
        return self.engine.handle(InboundEvent(EventKind.STORY_MENTION, mid or f"mid{next(_mids)}", guest, "1", at))

    def say(self, guest: str, text: str) -> Outcome:
        return self.engine.handle(
            InboundEvent(EventKind.TEXT, f"mid{next(_mids)}", guest, "1", self.clock.now(), text=text)
        )

    def tap(self, guest: str, payload: str, title: str = "") -> Outcome:
        event = InboundEvent(
            EventKind.QUICK_REPLY,
            f"mid{next(_mids)}",
            guest,
            "1",
            self.clock.now(),
            text=title or payload,
            payload=payload,
        )
        return self.engine.handle(event)

    def inbox(self, guest: str) -> list[dict[str, str]]:
        return [m for m in self.messenger.sent if m["to"] == guest]

    def last(self, guest: str) -> dict[str, str]:
        return self.inbox(guest)[-1]


@pytest.fixture
def chat() -> Chat:
    return Chat(config_with())


def test_the_first_dm_asks_for_the_language_with_disclosure_and_terms(chat: Chat) -> None:
    assert chat.mention("ana") is Outcome.LANGUAGE_ASKED
    (question,) = chat.inbox("ana")
    assert question["body"].startswith("Hi from Café Aurora! Which language would you like?")
    assert "(This is Café Aurora's automated assistant.)" in question["body"]
    assert "Promotion terms: https://cafe-aurora.example/story-prize-terms" in question["body"]
    assert question["quick_replies"] == "LANG:en,LANG:de,LANG:pt"
    assert (Step.LANGUAGE_TIMEOUT, AwardKey("ana", TODAY)) in chat.scheduler.scheduled
    assert chat.mention("ana", mid=chat.store.guests.by_id["ana"].pending_mid) is Outcome.LANGUAGE_ASKED  # redelivery
    assert len(chat.inbox("ana")) == 1


def test_choosing_german_gets_the_prize_coupon_and_contact_question_in_german(chat: Chat) -> None:
    chat.mention("ben")
    assert chat.tap("ben", "LANG:de", "Deutsch") is Outcome.DM_SENT
    prize, image, contact = chat.inbox("ben")[1:]
    assert prize["body"].startswith("Danke, dass du Café Aurora in deiner Story geteilt hast! 🎉 Dein Preis:")
    assert re.search(r"\(gültig bis (4|20)\. Dez\. 2026\)\.$", prize["body"])  # 14 or 30 days from 20 Nov
    assert "automated assistant" not in prize["body"]  # the disclosure belongs to the first DM only
    assert image["kind"] == "image"
    assert contact["body"].startswith("Möchtest du Angebote von Café Aurora per E-Mail erhalten?")
    assert "höchstens zweimal im Monat" in contact["body"]
    assert contact["quick_replies"] == "CONTACT:email,CONTACT:none"
    assert chat.store.guests.by_id["ben"].language == "de"


def test_without_an_answer_the_prize_follows_in_the_default_language(chat: Chat) -> None:
    chat.mention("cleo")
    chat.clock.advance(timedelta(minutes=10))
    assert chat.engine.language_timeout(AwardKey("cleo", TODAY)) is Outcome.DM_SENT
    assert chat.inbox("cleo")[1]["body"].startswith("Thanks for sharing Café Aurora in your story!")
    assert chat.engine.language_timeout(AwardKey("cleo", TODAY)) is Outcome.IGNORED  # fired twice: no-op
    assert chat.tap("cleo", "LANG:pt", "Português") is Outcome.REPLIED  # a late answer only sets the language
    assert len([m for m in chat.inbox("cleo") if "Your prize" in m["body"]]) == 1


def test_contact_capture_two_wrong_emails_then_the_flow_goes_on(chat: Chat) -> None:
    chat.mention("dan")
    chat.tap("dan", "LANG:en", "English")
    chat.tap("dan", "CONTACT:email", "Yes")
    assert chat.last("dan")["body"] == "Great! What's your email address?"
    assert chat.last("dan")["quick_replies"] == "user_email"
    chat.say("dan", "dan at example")
    assert chat.last("dan")["body"].startswith("That doesn't look like an email address")
    chat.say("dan", "still not an email")
    assert chat.last("dan")["body"] == "No problem, let's skip that."
    guest = chat.store.guests.by_id["dan"]
    assert guest.awaiting is None and guest.email is None
    assert chat.say("dan", "hello?") is Outcome.FALLBACK_SENT  # the conversation is free again


def test_a_valid_email_is_stored_with_the_consent_version_and_time(chat: Chat) -> None:
    chat.mention("eva")
    chat.tap("eva", "LANG:en", "English")
    chat.tap("eva", "CONTACT:email", "Yes")
    chat.tap("eva", "eva@example.org")  # Meta's user_email quick reply carries the address
    guest = chat.store.guests.by_id["eva"]
    assert (guest.email, guest.email_consent_version) == ("eva@example.org", "2026-11")
    assert guest.email_consent_at == chat.clock.now() and guest.phone is None
    assert chat.last("eva")["body"].startswith("Thank you! You can reply STOP at any time")


def test_both_channels_ask_email_then_phone_and_phones_become_e164() -> None:
    chat = Chat(
        config_with(
            contact_capture={
                "channels": "both",
                "consent_version": "v2",
                "phone_region": "PT",
                "consent_text": {lang: "Offers at most twice a month; stop any time." for lang in ("en", "de", "pt")},
            }
        )
    )
    chat.mention("fay")
    chat.tap("fay", "LANG:en", "English")
    assert chat.last("fay")["quick_replies"] == "CONTACT:email,CONTACT:phone,CONTACT:both,CONTACT:none"
    assert chat.last("fay")["body"].startswith("Would you like to hear about Café Aurora's offers by email or phone?")
    chat.tap("fay", "CONTACT:both", "Both")
    chat.say("fay", "fay@example.com")
    assert chat.last("fay")["quick_replies"] == "user_phone_number"
    chat.say("fay", "912 345 678")
    guest = chat.store.guests.by_id["fay"]
    assert (guest.email, guest.phone, guest.phone_consent_version) == ("fay@example.com", "+351912345678", "v2")


def test_declining_contact_stores_nothing(chat: Chat) -> None:
    chat.mention("gil")
    chat.tap("gil", "LANG:pt", "Português")
    assert chat.tap("gil", "CONTACT:none", "Não, obrigado") is Outcome.REPLIED
    assert chat.last("gil")["body"] == "Sem problema, vamos saltar esse passo."
    guest = chat.store.guests.by_id["gil"]
    assert guest.email is None and guest.awaiting is None


def test_yes_to_the_review_gets_tracked_links_that_redirect_and_count(chat: Chat) -> None:
    chat.mention("hal")
    chat.tap("hal", "LANG:en", "English")
    chat.tap("hal", "CONTACT:none", "No")
    chat.clock.advance(timedelta(minutes=60))
    assert chat.engine.follow_up(AwardKey("hal", TODAY)) is FollowUpState.SENT
    assert chat.tap("hal", f"REVIEW_YES:{TODAY}", "Yes") is Outcome.REPLIED
    answer = chat.last("hal")
    assert answer["kind"] == "buttons" and answer["body"] == "Thank you! Choose where to review Café Aurora:"
    titles = [b.split(" ")[0] for b in answer["buttons"].split(" | ")]
    assert titles == ["Google", "Tripadvisor"]  # the demo has TripAdvisor too: a button template
    google_url = answer["buttons"].split(" | ")[0].split(" ")[1]
    token = google_url.rsplit("/", 1)[1]
    assert google_url.startswith("https://edge.example/l/demo/") and len(token) == 22
    for _ in range(3):  # one guest opening their link three times: three clicks, one guest
        followed = follow_link(chat.store, token, chat.clock.now(), chat.config.tz)
        assert followed is not None
        assert followed.target == "https://search.google.com/local/writereview?placeid=ChIJdemoCafeAurora0001"
        assert followed.language == "en"  # the guest's, for the edge's hand-off page
    tripadvisor = answer["buttons"].split(" | ")[1].split(" ")[1].rsplit("/", 1)[1]
    assert follow_link(chat.store, tripadvisor, chat.clock.now(), chat.config.tz) is not None
    month = chat.store.stats.months["2026-11"]
    assert (month["review_link_clicks_google"], month["review_link_unique_clicks_google"]) == (3, 1)
    assert (month["review_link_clicks_tripadvisor"], month["review_link_unique_clicks_tripadvisor"]) == (1, 1)
    assert follow_link(chat.store, "x" * 22, chat.clock.now(), chat.config.tz) is None  # unknown token
    assert follow_link(chat.store, "../../etc", chat.clock.now(), chat.config.tz) is None
    assert chat.tap("hal", f"REVIEW_YES:{TODAY}", "Yes") is Outcome.IGNORED  # one answer counts


def test_a_single_review_platform_is_a_plain_link_and_no_gets_thanks() -> None:
    chat = Chat(
        config_with(
            languages=["en"],
            messages={},
            contact_capture={"channels": "off"},
            review_links={"google_place_id": "ChIJsinglePlace0001"},
        )
    )
    chat.mention("ian")
    chat.clock.advance(timedelta(minutes=60))
    chat.engine.follow_up(AwardKey("ian", TODAY))
    chat.tap("ian", f"REVIEW_YES:{TODAY}", "Yes")
    assert chat.last("ian")["body"].startswith(
        "Thank you! Here is the link to write your review of Café Aurora: https://edge.example/l/demo/"
    )
    chat.mention("jo")
    chat.engine.follow_up(AwardKey("jo", TODAY))
    chat.tap("jo", f"REVIEW_NO:{TODAY}", "No")
    assert chat.last("jo")["body"] == "No problem, thanks for visiting Café Aurora!"


def test_stop_before_the_follow_up_means_no_follow_up_and_silence(chat: Chat) -> None:
    chat.mention("kim")
    chat.tap("kim", "LANG:de", "Deutsch")
    assert chat.say("kim", "Stopp!") is Outcome.OPTED_OUT
    assert chat.last("kim")["body"].startswith("Erledigt: Café Aurora schreibt dir nicht mehr")
    sent = len(chat.inbox("kim"))
    chat.clock.advance(timedelta(minutes=60))
    assert chat.engine.follow_up(AwardKey("kim", TODAY)) is FollowUpState.SKIPPED_OPTED_OUT
    assert chat.say("kim", "hello") is Outcome.SILENCED
    assert len(chat.inbox("kim")) == sent


def test_free_text_gets_one_helpful_reply_a_day_then_silence(chat: Chat) -> None:
    assert chat.say("lea", "do you have vegan options?") is Outcome.FALLBACK_SENT
    assert chat.say("lea", "hello??") is Outcome.IGNORED
    assert chat.say("lea", "anyone?") is Outcome.IGNORED
    assert len(chat.inbox("lea")) == 1
    chat.clock.advance(timedelta(days=1))
    assert chat.say("lea", "hi again") is Outcome.FALLBACK_SENT


def test_a_redelivered_answer_is_answered_once(chat: Chat) -> None:
    event = InboundEvent(EventKind.TEXT, "m-once", "max", "1", NOON, text="what's on the menu?")
    assert chat.engine.handle(event) is Outcome.FALLBACK_SENT
    assert chat.engine.handle(event) is Outcome.ALREADY_HANDLED
    assert len(chat.inbox("max")) == 1


def test_per_table_one_prize_per_table_per_day() -> None:
    chat = Chat(
        config_with(languages=["en"], messages={}, per_table=True, tables=["1-20"], contact_capture={"channels": "off"})
    )
    assert chat.mention("nia") is Outcome.TABLE_ASKED
    assert "Which table are you at?" in chat.last("nia")["body"]
    assert chat.say("nia", "the big one") is Outcome.REPLIED
    assert chat.last("nia")["body"] == "Please reply with just the table number from the sign (our tables: 1–20)."
    assert chat.say("nia", "Table 12") is Outcome.DM_SENT
    award = chat.store.awards.get(AwardKey("nia", TODAY))
    assert award is not None and award.table == "12"
    assert chat.mention("oli") is Outcome.TABLE_ASKED
    assert chat.say("oli", "12") is Outcome.TABLE_TAKEN
    assert (
        chat.last("oli")["body"]
        == "Thanks for sharing Café Aurora! Your table already has today's prize. Enjoy your visit!"
    )
    assert chat.mention("pia") is Outcome.TABLE_ASKED
    assert chat.say("pia", "#7") is Outcome.DM_SENT
    assert chat.mention("nia") is Outcome.REPEAT_REPLIED  # a second mention the same day
    assert chat.store.stats.months["2026-11"]["mentions"] == 4  # nia, oli, pia, and nia's repeat


def test_per_table_needs_the_per_day_policy() -> None:
    with pytest.raises(ValueError, match="per_table: one prize per table per local day needs"):
        config_with(per_table=True, claim_policy={"kind": "cooldown", "cooldown_hours": 3})


def test_answers_and_values_are_parsed_strictly() -> None:
    assert valid_email("a.b+c@example.co.uk") == "a.b+c@example.co.uk"
    for wrong in ("a@b", "a @example.com", "@example.com", "a@example..com", "a@-example.com"):
        assert valid_email(wrong) is None
    assert valid_phone("+44 20 7946 0958", None) == "+442079460958"
    assert valid_phone("21 123 4567", "PT") == "+351211234567"
    assert valid_phone("12345", "PT") is None and valid_phone("call me", None) is None


def test_the_follow_up_is_in_the_guests_language(chat: Chat) -> None:
    chat.mention("quy")
    chat.tap("quy", "LANG:pt", "Português")
    chat.clock.advance(timedelta(minutes=60))
    chat.engine.follow_up(AwardKey("quy", TODAY))
    question = chat.last("quy")
    assert (
        question["body"] == "Como correu a sua visita ao Café Aurora? Gostaria de nos deixar uma avaliação no Google?"
    )
    assert question["quick_replies"] == f"REVIEW_YES:{TODAY},REVIEW_NO:{TODAY}"
    assert chat.store.guests.by_id["quy"].awaiting is Awaiting.CONTACT_CHOICE  # still open: the review is separate


def test_the_months_figures_are_counted_as_events_happen(chat: Chat) -> None:
    chat.mention("s1")
    chat.tap("s1", "LANG:en", "English")
    chat.tap("s1", "CONTACT:email", "Yes")
    chat.say("s1", "s1@example.com")
    chat.mention("s1")  # a repeat the same day
    chat.mention("s2")
    chat.tap("s2", "LANG:de", "Deutsch")
    chat.tap("s2", "CONTACT:none", "Nein")
    chat.clock.advance(timedelta(minutes=60))
    for guest in ("s1", "s2"):
        chat.engine.follow_up(AwardKey(guest, TODAY))
    chat.tap("s1", f"REVIEW_YES:{TODAY}", "Yes")
    chat.tap("s2", f"REVIEW_NO:{TODAY}", "Nein")
    chat.say("s2", "stop")
    totals = chat.store.stats.months["2026-11"]
    prizes = sum(v for k, v in totals.items() if k.startswith("awards_prize_"))
    assert {
        k: totals.get(k)
        for k in (
            "mentions",
            "repeat_replies",
            "awards",
            "unique_guests",
            "review_questions",
            "review_yes",
            "review_no",
            "contacts_email",
            "opt_outs",
        )
    } == {
        "mentions": 3,
        "repeat_replies": 1,
        "awards": 2,
        "unique_guests": 2,
        "review_questions": 2,
        "review_yes": 1,
        "review_no": 1,
        "contacts_email": 1,
        "opt_outs": 1,
    }
    assert prizes == 2
    assert totals["mentions_day_20"] == 3 and totals["mentions_hour_12"] == 3  # 12:00 UTC is 12:00 in Lisbon


@pytest.mark.parametrize(
    ("typed", "language"),
    [("portugues", "pt"), ("PORTUGUÊS", "pt"), ("Portuguese", "pt"), ("deutsch", "de"), ("German", "de"), ("EN", "en")],
)
def test_a_typed_language_answer_is_read_however_it_is_written(chat: Chat, typed: str, language: str) -> None:
    chat.mention("ana")
    assert chat.say("ana", typed) is Outcome.DM_SENT
    assert chat.store.guests.by_id["ana"].language == language
    assert len(chat.inbox("ana")) == 4  # the question, the prize, its image, the contact question: no fallback


def test_an_unreadable_answer_asks_again_once_in_every_language_then_the_timeout_goes_on(chat: Chat) -> None:
    chat.mention("bo")
    assert chat.say("bo", "¿Cómo consigo el premio?") is Outcome.LANGUAGE_ASKED
    again = chat.last("bo")
    assert again["body"] == (
        "Sorry, which language would you like? Tap one below.\n"
        "Entschuldigung, welche Sprache möchtest du? Tippe unten auf eine.\n"
        "Desculpe, em que língua prefere? Toque numa das opções abaixo."
    )
    assert again["quick_replies"] == "LANG:en,LANG:de,LANG:pt"
    assert chat.say("bo", "Español") is Outcome.IGNORED  # not offered here; asked twice already: no loop
    assert chat.say("bo", "hello??") is Outcome.IGNORED
    assert len(chat.inbox("bo")) == 2
    chat.clock.advance(timedelta(minutes=10))
    assert chat.engine.language_timeout(AwardKey("bo", TODAY)) is Outcome.DM_SENT
    assert chat.inbox("bo")[2]["body"].startswith("Thanks for sharing Café Aurora in your story!")


def test_the_fallback_says_how_to_take_part_in_the_default_language_and_offers_the_languages(chat: Chat) -> None:
    assert chat.say("cy", "how do I get the prize?") is Outcome.FALLBACK_SENT
    reply = chat.last("cy")
    assert "To get a prize, post a story that mentions @cafe.aurora" in reply["body"]
    assert reply["quick_replies"] == "LANG:en,LANG:de,LANG:pt"
    assert chat.tap("cy", "LANG:pt", "Português") is Outcome.FALLBACK_SENT  # the same, now in their language
    assert "publique uma story que mencione @cafe.aurora" in chat.last("cy")["body"]
    assert chat.last("cy")["quick_replies"] == ""  # chosen: no buttons any more
    assert chat.say("cy", "olá?") is Outcome.IGNORED  # once a day in each language
    assert chat.say("cy", "Deutsch") is Outcome.FALLBACK_SENT  # a language typed is chosen too
    assert "poste eine Story, in der du @cafe.aurora" in chat.last("cy")["body"]
    assert chat.say("cy", "hallo?") is Outcome.IGNORED
    assert chat.tap("cy", "LANG:de", "Deutsch") is Outcome.IGNORED
    assert len(chat.inbox("cy")) == 3


def test_a_guest_who_wrote_before_choosing_is_answered_in_their_language_the_same_day(chat: Chat) -> None:
    assert chat.say("dee", "hello?") is Outcome.FALLBACK_SENT
    chat.mention("dee")
    assert chat.say("dee", "portugues") is Outcome.DM_SENT
    assert chat.say("dee", "Como ganho outro prémio?") is Outcome.FALLBACK_SENT  # she has today's: no "post a story"
    assert chat.last("dee")["body"].startswith("Obrigado pela sua mensagem! Este chat só trata dos prémios")
    assert chat.say("dee", "?") is Outcome.IGNORED  # no loop with a bot answering our reply


AFTER_PRIZE = (
    "Thanks for your message! This chat only handles story prizes; for anything else, please ask our team at "
    "Café Aurora."
)


def test_a_guest_who_has_todays_prize_is_not_told_to_post_a_story(chat: Chat) -> None:
    chat.mention("fen")
    chat.tap("fen", "LANG:en", "English")
    chat.tap("fen", "CONTACT:none", "No")
    assert chat.say("fen", "¿Cómo funciona esto?") is Outcome.FALLBACK_SENT
    assert chat.last("fen")["body"] == AFTER_PRIZE
    assert chat.say("fen", "where are you located?") is Outcome.IGNORED  # once a day in each language
    assert chat.say("fen", "Deutsch") is Outcome.FALLBACK_SENT
    assert chat.last("fen")["body"].startswith("Danke für deine Nachricht! Dieser Chat ist nur für Story-Preise da")
    chat.clock.advance(timedelta(days=1))
    assert chat.say("fen", "hallo?") is Outcome.FALLBACK_SENT  # a new day: a new story brings a new prize
    assert "poste eine Story, in der du @cafe.aurora" in chat.last("fen")["body"]


def test_under_a_cooldown_the_prize_is_in_hand_until_the_cooldown_ends() -> None:
    chat = Chat(
        config_with(
            languages=["en"],
            messages={},
            contact_capture={"channels": "off"},
            claim_policy={"kind": "cooldown", "cooldown_hours": 48},
        )
    )
    chat.mention("gus")
    chat.clock.advance(timedelta(days=1))
    assert chat.say("gus", "where are you?") is Outcome.FALLBACK_SENT
    assert chat.last("gus")["body"] == AFTER_PRIZE  # a story now would be a repeat
    chat.clock.advance(timedelta(days=1, hours=1))
    assert chat.say("gus", "hello?") is Outcome.FALLBACK_SENT
    assert "To get a prize, post a story that mentions @cafe.aurora" in chat.last("gus")["body"]


def test_a_stopped_guest_is_asked_the_language_of_their_storys_prize_again_once(chat: Chat) -> None:
    chat.say("eve", "STOP")
    chat.mention("eve")
    assert chat.say("eve", "hmm") is Outcome.LANGUAGE_ASKED
    assert chat.say("eve", "hmm?") is Outcome.IGNORED
    assert chat.say("eve", "deutsch") is Outcome.DM_SENT
    assert chat.last("eve")["kind"] == "image"  # the prize, no contact question: they said STOP
