"""STOP means stop (issue 12): every language's phrasings, consent withdrawn and the owner told, a suppression that
outlives the guest's profile under a keyed hash, a new story answered with its prize only, and START."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tagback.app.export import export
from tagback.config.model import ClientConfig
from tagback.conversation.outcome import Outcome
from tagback.conversation.stop import is_start, is_stop
from tagback.domain.awards import AwardKey, FollowUpState
from tagback.domain.languages import LANGUAGES, Language, language_name
from tagback.domain.steps import Step
from tagback.domain.suppression import suppression_key
from tagback.messages.catalog import BUTTON_TITLES, DEFAULT_TEXTS, START_PHRASES, STOP_PHRASES
from tagback.store.codec import record_fields
from tests.unit.test_chat import TODAY, Chat, config_with

KEY = "k"  # the coupon signing key the Chat's engine reads
TOMORROW = "2026-11-21"

# Each language's usual ways of saying it, as guests type them: any case, accents or not, punctuation, courtesies.
STOPS: dict[Language, list[str]] = {
    "en": ["STOP", "stop", "Stop!", "please stop", "Stop, please.", "Unsubscribe", "stop messaging me", "STOP ALL"],
    "de": ["STOPP", "Stopp bitte", "abmelden", "Abbestellen", "Keine Nachrichten mehr!", "hör auf", "HOR AUF"],
    "es": ["baja", "BAJA", "Darse de baja", "no más mensajes", "No mas mensajes", "por favor, para", "Basta"],
    "fr": ["arrêter", "ARRETER", "Arrêt", "désabonner", "Se désabonner", "Stop svp", "ne m'écrivez plus"],
    "it": ["basta", "Basta!", "cancella", "Cancellami", "disiscrivimi", "non scrivermi più", "stop per favore"],
    "pt": ["parar", "PARAR", "sair", "Sair.", "cancelar subscrição", "não quero mais mensagens", "pare, obrigado"],
}
STARTS: dict[Language, list[str]] = {
    "en": ["START", "start", "Start please", "resume", "Unstop"],
    "de": ["Start", "starten", "Wieder anmelden", "bitte starten"],
    "es": ["empezar", "Iniciar", "comenzar", "Darse de alta"],
    "fr": ["commencer", "Démarrer", "demarrer", "reprendre"],
    "it": ["inizia", "Inizia!", "ricomincia", "riprendi"],
    "pt": ["começar", "Comecar", "iniciar", "retomar"],
}
NEITHER = [
    "don't stop the music",
    "stop by later?",
    "stopping",
    "non-stop",
    "bus stop",
    "Please don't stop",
    "fine",
    "para mí un café",
    "basta pasta",
    "when do you start serving?",
    "starters?",
    "",
    "no",
]


@pytest.fixture
def chat(demo_config: ClientConfig) -> Chat:
    return Chat(demo_config)


@pytest.mark.parametrize(("language", "text"), [(lang, text) for lang, texts in STOPS.items() for text in texts])
def test_stop_in_every_language(language: Language, text: str) -> None:
    assert is_stop(text) and not is_start(text)


@pytest.mark.parametrize(("language", "text"), [(lang, text) for lang, texts in STARTS.items() for text in texts])
def test_start_in_every_language(language: Language, text: str) -> None:
    assert is_start(text) and not is_stop(text)


@pytest.mark.parametrize("text", NEITHER)
def test_a_message_that_only_contains_stop_or_start_is_neither(text: str) -> None:
    assert not is_stop(text) and not is_start(text)


def test_every_phrase_of_the_catalog_is_read_as_written_and_none_is_both() -> None:
    assert set(STOPS) == set(STARTS) == set(LANGUAGES) == set(STOP_PHRASES) == set(START_PHRASES)
    for language in LANGUAGES:
        assert all(is_stop(phrase) for phrase in STOP_PHRASES[language]), language
        assert all(is_start(phrase) for phrase in START_PHRASES[language]), language
        assert not any(is_start(phrase) for phrase in STOP_PHRASES[language]), language


def test_no_quick_reply_title_or_language_name_stops_or_starts() -> None:
    titles = [DEFAULT_TEXTS[lang][key] for lang in LANGUAGES for key in BUTTON_TITLES]
    titles += [language_name(lang) for lang in LANGUAGES]
    assert [t for t in titles if is_stop(t) or is_start(t)] == []


def test_the_suppression_key_is_a_keyed_hash_that_holds_no_guest_id() -> None:
    hashed = suppression_key("6170000000000042", "signing-key")
    assert len(hashed) == 64 and int(hashed, 16) >= 0  # SHA-256, hex
    assert "6170000000000042" not in hashed
    assert hashed == suppression_key("6170000000000042", "signing-key")  # the same guest: the same entry
    assert hashed != suppression_key("6170000000000043", "signing-key")
    assert hashed != suppression_key("6170000000000042", "another-key")  # without the key, no one can test an id


def with_email(chat: Chat, guest: str, language: str = "LANG:de") -> None:
    chat.mention(guest)
    chat.tap(guest, language)
    chat.tap(guest, "CONTACT:email", "Ja")
    chat.say(guest, f"{guest}@example.com")


def forget_profile(chat: Chat, guest: str) -> None:
    """What DynamoDB's TTL does to the guest's items after retention_days."""
    chat.store.guests.by_id.pop(guest)


def test_stop_withdraws_every_consent_and_tells_the_owner(chat: Chat) -> None:
    with_email(chat, "ana")
    assert chat.say("ana", "Stopp, bitte!") is Outcome.OPTED_OUT
    assert chat.last("ana")["body"] == (
        "Erledigt: Café Aurora schreibt dir nicht mehr, außer als Antwort auf eine Story, in der du uns markierst. "
        "Antworte START, um das rückgängig zu machen."
    )
    guest = chat.store.guests.by_id["ana"]
    assert guest.email is None and guest.email_consent_version is None and guest.email_consent_at is None
    assert guest.opted_out_at == chat.clock.now() and guest.contact_asked_at is None
    assert chat.store.suppressions.entries == {suppression_key("ana", KEY): chat.clock.now()}
    (withdrawn,) = [e for e in chat.store.outbox.events.values() if e.event_type == "contact.withdrawn"]
    assert (withdrawn.guest_id, withdrawn.email, withdrawn.language) == ("ana", "ana@example.com", "de")
    assert (withdrawn.channel, withdrawn.consent_version, withdrawn.consent_at) == ("all", "2026-11", chat.clock.now())
    assert chat.store.stats.months["2026-11"]["opt_outs"] == 1


def test_every_contact_event_carries_its_consent(chat: Chat) -> None:
    with_email(chat, "ben", "LANG:pt")
    (event,) = [e for e in chat.store.outbox.events.values() if e.event_type == "contact"]
    assert (event.email, event.phone, event.language) == ("ben@example.com", None, "pt")
    assert (event.channel, event.consent_version, event.consent_at) == ("email", "2026-11", chat.clock.now())


def test_after_stop_only_start_and_the_guests_own_story_get_an_answer(chat: Chat) -> None:
    with_email(chat, "cy", "LANG:en")
    chat.say("cy", "stop")
    sent = len(chat.inbox("cy"))
    chat.clock.advance(timedelta(minutes=60))
    assert chat.engine.follow_up(AwardKey("cy", TODAY)) is FollowUpState.SKIPPED_OPTED_OUT
    assert chat.say("cy", "hello?") is Outcome.SILENCED
    assert chat.tap("cy", f"REVIEW_YES:{TODAY}", "Yes") is Outcome.SILENCED
    assert chat.say("cy", "STOP") is Outcome.SILENCED  # no second confirmation
    assert chat.mention("cy") is Outcome.REPEAT_REPLIED  # a story the same day: its answer, one prize a day
    assert len(chat.inbox("cy")) == sent + 1


def test_the_stop_outlives_the_profile_and_a_new_story_gets_its_prize_only(chat: Chat) -> None:
    with_email(chat, "dee", "LANG:en")
    chat.say("dee", "Unsubscribe")
    chat.clock.advance(timedelta(days=91))
    forget_profile(chat, "dee")
    assert chat.say("dee", "hi again") is Outcome.SILENCED
    before = len(chat.inbox("dee"))
    assert chat.mention("dee") is Outcome.LANGUAGE_ASKED  # the profile, and its language, expired
    assert chat.tap("dee", "LANG:en", "English") is Outcome.DM_SENT  # the answer its prize needs
    question, prize, image = chat.inbox("dee")[before:]
    assert question["body"].startswith("Hi from Café Aurora!") and prize["body"].startswith("Thanks for sharing")
    assert image["kind"] == "image"  # and no contact question
    key = AwardKey("dee", chat.clock.now().date().isoformat())
    award = chat.store.awards.get(key)
    assert award is not None and award.followup_state is FollowUpState.SKIPPED_OPTED_OUT
    assert (Step.FOLLOW_UP, key) not in chat.scheduler.scheduled
    assert chat.say("dee", "thanks!") is Outcome.SILENCED


def test_start_lifts_the_stop_and_the_next_prize_brings_the_follow_up_and_contact_question(chat: Chat) -> None:
    with_email(chat, "eli", "LANG:pt")
    chat.say("eli", "Sair")
    assert chat.say("eli", "Começar!") is Outcome.OPTED_IN
    assert chat.last("eli")["body"] == (
        "Feito: o Café Aurora pode voltar a escrever-lhe aqui. Responda PARAR a qualquer momento para deixar de "
        "receber mensagens."
    )
    assert chat.store.suppressions.entries == {} and chat.store.guests.by_id["eli"].opted_out_at is None
    assert chat.say("eli", "olá?") is Outcome.FALLBACK_SENT  # answered as any guest again
    chat.clock.advance(timedelta(days=1))
    chat.mention("eli")
    assert chat.last("eli")["quick_replies"] == "CONTACT:email,CONTACT:none"  # asked again: STOP withdrew it
    assert (Step.FOLLOW_UP, AwardKey("eli", TOMORROW)) in chat.scheduler.scheduled


def test_a_start_from_a_guest_who_never_stopped_confirms_all_the_same(chat: Chat) -> None:
    assert chat.say("fay", "START") is Outcome.OPTED_IN
    assert chat.last("fay")["body"].startswith("Done: Café Aurora can message you here again.")


def test_a_stop_drops_the_question_of_a_story_posted_while_stopped(chat: Chat) -> None:
    chat.say("gus", "stop")
    forget_profile(chat, "gus")
    assert chat.mention("gus") is Outcome.LANGUAGE_ASKED
    assert chat.say("gus", "stop") is Outcome.SILENCED
    chat.clock.advance(timedelta(minutes=10))
    assert chat.engine.language_timeout(AwardKey("gus", TODAY)) is Outcome.IGNORED  # no prize after the STOP


def test_a_stopped_guest_at_a_table_is_answered_the_table_question() -> None:
    chat = Chat(
        config_with(languages=["en"], messages={}, per_table=True, tables=["1-20"], contact_capture={"channels": "off"})
    )
    chat.say("hal", "stop")
    assert chat.mention("hal") is Outcome.TABLE_ASKED
    assert chat.say("hal", "7") is Outcome.DM_SENT


def test_the_export_lists_no_withdrawn_contact(chat: Chat, tmp_path: Path) -> None:
    with_email(chat, "ivy", "LANG:en")
    with_email(chat, "jon", "LANG:en")
    chat.say("jon", "please stop")
    # A guest who said STOP before STOP withdrew consent: their values stayed on the profile.
    chat.store.guests.update("kai", chat.clock.now(), email="kai@example.com", email_consent_at=chat.clock.now())
    chat.store.guests.update("kai", chat.clock.now(), opted_out_at=chat.clock.now())
    exported = export(ExportedTable(chat), chat.config, date(2026, 11, 1), date(2026, 11, 30), tmp_path)
    rows = list(csv.DictReader(exported.contacts.open(encoding="utf-8")))
    assert [row["email"] for row in rows] == ["ivy@example.com"]


class Items:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def all_items(self) -> list[dict[str, Any]]:
        return self.items


class ExportedTable:
    """The chat's in-memory table as the export scans it."""

    def __init__(self, chat: Chat) -> None:
        self.awards = Items([record_fields(a) | {"guest_id": k.guest_id} for k, a in chat.store.awards.by_key.items()])
        self.guests = Items([record_fields(g) for g in chat.store.guests.by_id.values()])
        self.coupons = Items([])
