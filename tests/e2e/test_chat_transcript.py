"""The demo's chat, played against an in-process sandbox: every message's text and buttons, line by line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from sandbox import demo
from sandbox.chat import Guest, Line
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.domain.stats import month_of

pytestmark = pytest.mark.e2e
PRIZE_EN = r"(Free espresso|Free pastel de nata|Brunch for two)"
PRIZE_DE = r"(Gratis-Espresso|Gratis Pastel de Nata|Brunch für zwei)"
CODE = r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}"
FOOTER = (
    "\n\n(This is Café Aurora's automated assistant.)\nPromotion terms: https://cafe-aurora.example/story-prize-terms"
)
LANGUAGES = ("English", "Deutsch", "Português")
# The demo venue's own questions (clients/demo.yaml: questions).
FIRST_VISIT_EN = (
    "venue",
    re.escape("Is this your first visit to Café Aurora?"),
    ("Yes, first time", "No, I'm a regular"),
)
FIRST_VISIT_DE = (
    "venue",
    re.escape("Bist du zum ersten Mal im Café Aurora?"),
    ("Ja, zum ersten Mal", "Nein, Stammgast"),
)
WELCOME_EN = (
    "venue",
    re.escape("Welcome to Café Aurora! Our pastéis de nata come out of the oven every hour") + ".*",
    (),
)
WELCOME_DE = ("venue", re.escape("Willkommen im Café Aurora! Unsere Pastéis de Nata") + ".*", ())
LOYALTY_EN = ("venue", re.escape("Great to see you again! Regulars get every 10th coffee free") + ".*", ())
LOYALTY_DE = ("venue", re.escape("Schön, dich wiederzusehen! Stammgäste bekommen jeden 10. Kaffee gratis") + ".*", ())
MEAL_EN = ("venue", re.escape("Lunch or dinner today?"), ("Lunch", "Dinner"))
MEAL_DE = ("venue", re.escape("Heute Mittag- oder Abendessen?"), ("Mittagessen", "Abendessen"))
BIRTHDAY_DE = ("venue", re.escape("In welchem Monat hast du Geburtstag?") + ".*", ())
BIRTHDAY_THANKS_DE = ("venue", re.escape("Danke! Wir merken es uns."), ())


@pytest.fixture(scope="module")
def chat() -> Iterator[tuple[Sandbox, Guest, Guest]]:
    demo.failures.clear()
    with Sandbox(replace(SandboxOptions(), port=0)) as sandbox:
        ana, ben = demo.play_chat(sandbox)
        yield sandbox, ana, ben
    assert demo.failures == []


def expect(transcript: list[Line], expected: list[tuple[str, str, tuple[str, ...]]]) -> None:
    """(speaker, pattern, buttons) per line; `[image]` stands for the coupon image."""
    assert len(transcript) == len(expected), "\n".join(map(str, transcript))
    for line, (speaker, pattern, buttons) in zip(transcript, expected, strict=True):
        assert line.speaker == speaker, line
        if pattern == "[image]":
            assert line.image, line
            continue
        assert re.fullmatch(pattern, line.text, flags=re.S), f"{line.text!r} !~ {pattern!r}"
        assert line.buttons == buttons, line


def test_ana_chats_in_english_leaves_her_email_and_opens_the_review_link(chat: tuple[Sandbox, Guest, Guest]) -> None:
    sandbox, ana, _ = chat
    expect(
        ana.transcript,
        [
            ("guest", re.escape("(posts a story that @mentions the venue)"), ()),
            ("venue", re.escape("Hi from Café Aurora! Which language would you like?" + FOOTER), LANGUAGES),
            ("guest", re.escape("(taps “English”)"), ()),
            (
                "venue",
                rf"Thanks for sharing Café Aurora in your story! 🎉 Your prize: {PRIZE_EN}\. Show this code to our "
                rf"staff: {CODE} \(valid until \d{{1,2}} \w{{3,4}} 2026\)\.",
                (),
            ),
            ("venue", "[image]", ()),
            (
                "venue",
                re.escape(
                    "Would you like to hear about Café Aurora's offers by email? We'll email you our news "
                    "and offers, at most twice a month; unsubscribe any time."
                ),
                ("Yes", "No"),
            ),
            ("guest", re.escape("(taps “Yes”)"), ()),
            ("venue", re.escape("Great! What's your email address?"), ("(user_email)",)),
            ("guest", "ana@example", ()),
            (
                "venue",
                re.escape("That doesn't look like an email address. Could you check it and send it again?"),
                ("(user_email)",),
            ),
            ("guest", re.escape("ana@example.com"), ()),
            ("venue", re.escape("Thank you! You can reply STOP at any time to stop hearing from Café Aurora."), ()),
            FIRST_VISIT_EN,
            ("guest", re.escape("(taps “Yes, first time”)"), ()),
            WELCOME_EN,
            MEAL_EN,
            ("guest", re.escape("(taps “Lunch”)"), ()),
            (
                "venue",
                re.escape("How was your visit to Café Aurora? Would you like to leave us a review on Google?"),
                ("Yes", "No"),
            ),
            ("guest", re.escape("(taps “Yes”)"), ()),
            ("venue", re.escape("Thank you! Choose where to review Café Aurora:"), ("Google", "Tripadvisor")),
        ],
    )
    links = ana.transcript[-1].urls
    assert all(url.startswith(f"{sandbox.url}/l/demo/") for url in links)
    guest = sandbox.store.table.client.get_item(
        TableName=sandbox.resources.table_name, Key={"PK": {"S": f"GUEST#{ana.guest_id}"}, "SK": {"S": "PROFILE"}}
    )["Item"]
    assert guest["email"]["S"] == "ana@example.com" and guest["email_consent_version"]["S"] == "2026-11"


def test_ben_picks_german_declines_then_stops(chat: tuple[Sandbox, Guest, Guest]) -> None:
    _, _, ben = chat
    expect(
        ben.transcript,
        [
            ("guest", re.escape("(posts a story that @mentions the venue)"), ()),
            ("venue", re.escape("Hi from Café Aurora! Which language would you like?" + FOOTER), LANGUAGES),
            ("guest", re.escape("(taps “Deutsch”)"), ()),
            (
                "venue",
                rf"Danke, dass du Café Aurora in deiner Story geteilt hast! 🎉 Dein Preis: {PRIZE_DE}\. Zeig diesen "
                rf"Code unserem Team: {CODE} \(gültig bis \d{{1,2}}\. \S+ 2026\)\.",
                (),
            ),
            ("venue", "[image]", ()),
            (
                "venue",
                re.escape(
                    "Möchtest du Angebote von Café Aurora per E-Mail erhalten? Wir schicken dir höchstens "
                    "zweimal im Monat Neuigkeiten und Angebote; Abmeldung jederzeit."
                ),
                ("Ja", "Nein"),
            ),
            ("guest", re.escape("(taps “Nein”)"), ()),
            ("venue", re.escape("Kein Problem, dann überspringen wir das."), ()),
            FIRST_VISIT_DE,  # left open: the review question comes all the same, and closes it
            (
                "venue",
                re.escape("Wie war dein Besuch bei Café Aurora? Möchtest du uns eine Bewertung auf Google schreiben?"),
                ("Ja", "Nein"),
            ),
            ("guest", re.escape("(taps “Nein”)"), ()),
            ("venue", re.escape("Kein Problem, danke für deinen Besuch bei Café Aurora!"), ()),
            ("guest", "STOPP", ()),
            (
                "venue",
                re.escape(
                    "Erledigt: Café Aurora schreibt dir nicht mehr, außer als Antwort auf eine Story, in der du uns "
                    "markierst. Antworte START, um das rückgängig zu machen."
                ),
                (),
            ),
            ("guest", re.escape("Hallo?"), ()),
        ],
    )


def test_the_tracked_link_counts_and_an_unknown_token_is_a_404(chat: tuple[Sandbox, Guest, Guest]) -> None:
    sandbox, ana, _ = chat
    month = month_of(sandbox.clock.now(), sandbox.config.tz)
    assert sandbox.store.stats.month_totals(month)["review_link_clicks_google"] == 1
    answer = ana.follow(f"{sandbox.url}/l/demo/{'z' * 22}")
    assert answer.status_code == 404 and "Link not found" in answer.text


STORY = ("guest", re.escape("(posts a story that @mentions the venue)"), ())
PRIZE_LINE_DE = (
    "venue",
    rf"Danke, dass du Café Aurora in deiner Story geteilt hast! 🎉 Dein Preis: {PRIZE_DE}\. Zeig diesen Code unserem "
    rf"Team: {CODE} \(gültig bis \d{{1,2}}\. \S+ 2026\)\.",
    (),
)
PRIZE_LINE = (
    "venue",
    rf"Thanks for sharing Café Aurora in your story! 🎉 Your prize: {PRIZE_EN}\. Show this code to our "
    rf"staff: {CODE} \(valid until \d{{1,2}} \w{{3}} 2026\)\.",
    (),
)
CONTACT_QUESTION = (
    "venue",
    re.escape(
        "Would you like to hear about Café Aurora's offers by email? We'll email you our news "
        "and offers, at most twice a month; unsubscribe any time."
    ),
    ("Yes", "No"),
)
AGAIN = ("venue", re.escape("Thanks for sharing Café Aurora again! It's one prize per day — see you tomorrow ☀️"), ())


def test_rui_types_portugues_and_his_question_after_the_prize_is_answered_in_portuguese(
    chat: tuple[Sandbox, Guest, Guest],
) -> None:
    sandbox, _, _ = chat
    rui = Guest(sandbox, "6170000000000751")
    rui.mention()
    rui.say("portugues")
    rui.say("Como consigo outro prémio?")
    expect(
        rui.transcript,
        [
            ("guest", re.escape("(posts a story that @mentions the venue)"), ()),
            ("venue", re.escape("Hi from Café Aurora! Which language would you like?" + FOOTER), LANGUAGES),
            ("guest", "portugues", ()),
            (
                "venue",
                r"Obrigado por partilhar o Café Aurora na sua story! 🎉 O seu prémio: (Café expresso grátis|Pastel de "
                rf"nata grátis|Brunch para dois)\. Mostre este código à nossa equipa: {CODE} \(válido até \d{{1,2}} de "
                r"\w{3}\. de 2026\)\.",
                (),
            ),
            ("venue", "[image]", ()),
            ("venue", re.escape("Quer receber as ofertas do Café Aurora por email? ") + ".*", ("Sim", "Não")),
            ("guest", re.escape("Como consigo outro prémio?"), ()),
            (
                "venue",
                re.escape(  # he has today's prize: no "post a story"
                    "Obrigado pela sua mensagem! Este chat só trata dos prémios das stories; para qualquer outro "
                    "assunto, fale com a nossa equipa no Café Aurora."
                ),
                (),
            ),
        ],
    )


def test_sofia_at_taqueria_luna_is_asked_again_types_espanol_and_her_question_is_answered_in_spanish(
    chat: tuple[Sandbox, Guest, Guest],
) -> None:
    sandbox, _, _ = chat
    sofia = Guest(sandbox, "6170000000000752", client_id="luna")
    sofia.mention()
    sofia.say("hola?")
    sofia.say("Español")
    sofia.say("¿Cómo consigo el premio?")
    sofia.say("¿Hola?")
    buttons = ("Español", "English")
    expect(
        sofia.transcript,
        [
            ("guest", re.escape("(posts a story that @mentions the venue)"), ()),
            (
                "venue",
                re.escape(
                    "¡Hola desde Taquería Luna! ¿En qué idioma prefieres?\n\n"
                    "(Este es el asistente automático de Taquería Luna.)"
                ),
                buttons,
            ),
            ("guest", "hola\\?", ()),
            (
                "venue",
                re.escape("Perdona, ¿en qué idioma prefieres? Toca uno abajo.\n")
                + re.escape("Sorry, which language would you like? Tap one below."),
                buttons,
            ),
            ("guest", "Español", ()),
            (
                "venue",
                r"¡Gracias por compartir Taquería Luna en tu historia! 🎉 Tu premio: (Churros gratis|Agua fresca "
                rf"gratis|Orden de tacos para dos)\. Muestra este código a nuestro equipo: {CODE} \(válido hasta el "
                r"\d{1,2} \w{3,4} \d{4}\)\.",
                (),
            ),
            ("venue", "[image]", ()),
            ("guest", re.escape("¿Cómo consigo el premio?"), ()),
            (
                "venue",
                re.escape(  # she has today's prize: no "post a story"
                    "¡Gracias por tu mensaje! Este chat solo gestiona los premios por historias; para cualquier otra "
                    "cosa, pregunta a nuestro equipo en Taquería Luna."
                ),
                (),
            ),
            ("guest", re.escape("¿Hola?"), ()),  # one a day in each language: no loop
        ],
    )


def test_two_stories_before_the_language_answer_get_one_question_and_one_prize_without_again(
    chat: tuple[Sandbox, Guest, Guest],
) -> None:
    sandbox, _, _ = chat
    cleo = Guest(sandbox, "6170000000000131")
    cleo.mention()
    cleo.mention()  # a second story before she answers: nothing, the prize on its way is hers
    cleo.tap("English")
    cleo.mention()  # the prize arrived: now the polite reply
    expect(
        cleo.transcript,
        [
            STORY,
            ("venue", re.escape("Hi from Café Aurora! Which language would you like?" + FOOTER), LANGUAGES),
            STORY,
            ("guest", re.escape("(taps “English”)"), ()),
            PRIZE_LINE,
            ("venue", "[image]", ()),
            CONTACT_QUESTION,
            STORY,
            AGAIN,
        ],
    )


def test_a_story_after_a_failed_first_send_gets_the_prize_without_again(chat: tuple[Sandbox, Guest, Guest]) -> None:
    sandbox, _, _ = chat
    dan = Guest(sandbox, "6170000000000132")
    dan.mention()
    failed_before = len([r for r in sandbox.graph.requests if r["kind"] == "send" and r["status"] != 200])
    # Meta answers 5xx to every try of the prize DM: the Graph client's 4 tries, in each of the stream's 4 attempts;
    # then the answer's record goes to the dead-letter queue and the prize is stuck.
    sandbox.graph.fail_next("send", *["5xx"] * 16)
    dan.tap("English")
    failed = len([r for r in sandbox.graph.requests if r["kind"] == "send" and r["status"] != 200]) - failed_before
    assert failed == 16 and dan.transcript[-1].speaker == "guest"  # nothing reached Dan
    dan.mention()  # he posts again: the stuck prize is what he gets, no "again"
    expect(
        dan.transcript,
        [
            STORY,
            ("venue", re.escape("Hi from Café Aurora! Which language would you like?" + FOOTER), LANGUAGES),
            ("guest", re.escape("(taps “English”)"), ()),
            STORY,
            PRIZE_LINE,
            ("venue", "[image]", ()),
            CONTACT_QUESTION,
        ],
    )


def test_pia_types_her_answers_and_after_her_prize_is_not_told_to_post_a_story(
    chat: tuple[Sandbox, Guest, Guest],
) -> None:
    sandbox, _, _ = chat
    pia = Guest(sandbox, "6170000000000753")
    pia.mention()
    pia.tap("Português")
    pia.say("Não, obrigada")  # typed, not tapped: the contact question's No
    pia.say("sim, a primeira")
    pia.say("jantar")
    pia.say("Onde ficam?")  # the questions are over: the fallback
    sandbox.advance(sandbox.config.followup_delay_minutes)
    pia.collect()
    pia.say("sim")  # typed: the review question's Yes
    expect(
        pia.transcript,
        [
            STORY,
            ("venue", re.escape("Hi from Café Aurora! Which language would you like?" + FOOTER), LANGUAGES),
            ("guest", re.escape("(taps “Português”)"), ()),
            (
                "venue",
                r"Obrigado por partilhar o Café Aurora na sua story! 🎉 O seu prémio: (Café expresso grátis|Pastel de "
                rf"nata grátis|Brunch para dois)\. Mostre este código à nossa equipa: {CODE} \(válido até \d{{1,2}} de "
                r"\w{3}\. de 2026\)\.",
                (),
            ),
            ("venue", "[image]", ()),
            ("venue", re.escape("Quer receber as ofertas do Café Aurora por email? ") + ".*", ("Sim", "Não")),
            ("guest", "Não, obrigada", ()),
            ("venue", re.escape("Sem problema, vamos saltar esse passo."), ()),
            ("venue", re.escape("É a sua primeira visita ao Café Aurora?"), ("Sim, a primeira", "Não, sou cliente")),
            ("guest", "sim, a primeira", ()),  # typed: the reply's title
            ("venue", re.escape("Bem-vindo ao Café Aurora!") + ".*", ()),
            ("venue", re.escape("Almoço ou jantar hoje?"), ("Almoço", "Jantar")),
            ("guest", "jantar", ()),
            ("guest", re.escape("Onde ficam?"), ()),
            (
                "venue",
                re.escape(
                    "Obrigado pela sua mensagem! Este chat só trata dos prémios das stories; para qualquer outro "
                    "assunto, fale com a nossa equipa no Café Aurora."
                ),
                (),
            ),
            (
                "venue",
                re.escape("Como correu a sua visita ao Café Aurora? Gostaria de nos deixar uma avaliação no Google?"),
                ("Sim", "Não"),
            ),
            ("guest", "sim", ()),
            ("venue", re.escape("Obrigado! Escolha onde quer avaliar o Café Aurora:"), ("Google", "Tripadvisor")),
        ],
    )


def day_one(guest: Guest, language: str, contact: str) -> None:
    guest.mention()
    guest.tap(language)
    guest.tap(contact)


def test_both_branches_of_the_venues_questions_in_two_languages_reach_the_sheet_and_the_crm(
    chat: tuple[Sandbox, Guest, Guest],
) -> None:
    """Ida (German, leaves her email) and Jon (English, declines) answer the venue's questions on two days, once
    each way: a first visit leads to the meal, a regular to the birthday month — asked of Ida only, who consented.
    Last in the module: the sandbox's clock moves to the next day."""
    sandbox, _, _ = chat
    ida, jon = Guest(sandbox, "6170000000000761"), Guest(sandbox, "6170000000000762")
    day_one(ida, "Deutsch", "Ja")
    ida.say("ida@example.com")
    ida.tap("Ja, zum ersten Mal")
    ida.tap("Abendessen")
    day_one(jon, "English", "No")
    jon.tap("Yes, first time")
    jon.say("dinner")  # typed: the reply's title
    expect(
        ida.transcript[6:],
        [
            ("guest", re.escape("(taps “Ja”)"), ()),
            ("venue", re.escape("Super! Wie lautet deine E-Mail-Adresse?"), ("(user_email)",)),
            ("guest", re.escape("ida@example.com"), ()),
            ("venue", re.escape("Danke! Du kannst jederzeit STOPP antworten") + ".*", ()),
            FIRST_VISIT_DE,
            ("guest", re.escape("(taps “Ja, zum ersten Mal”)"), ()),
            WELCOME_DE,
            MEAL_DE,
            ("guest", re.escape("(taps “Abendessen”)"), ()),
        ],
    )
    expect(
        jon.transcript[6:],
        [
            ("guest", re.escape("(taps “No”)"), ()),
            ("venue", re.escape("No problem, let's skip that."), ()),
            FIRST_VISIT_EN,
            ("guest", re.escape("(taps “Yes, first time”)"), ()),
            WELCOME_EN,
            MEAL_EN,
            ("guest", "dinner", ()),
        ],
    )

    local = sandbox.clock.now().astimezone(sandbox.config.tz)
    sandbox.advance(((local + timedelta(days=1)).replace(hour=11, minute=0) - local).total_seconds() / 60)
    for guest in (ida, jon):
        guest.collect()  # the review questions of the first day
    ida_since, jon_since = len(ida.transcript), len(jon.transcript)
    ida.mention()
    ida.tap("Nein, Stammgast")
    ida.say("März")
    jon.mention()
    jon.tap("No, I'm a regular")
    expect(
        ida.transcript[ida_since:],
        [
            STORY,
            PRIZE_LINE_DE,
            ("venue", "[image]", ()),
            FIRST_VISIT_DE,
            ("guest", re.escape("(taps “Nein, Stammgast”)"), ()),
            LOYALTY_DE,
            BIRTHDAY_DE,
            ("guest", "März", ()),
            BIRTHDAY_THANKS_DE,
        ],
    )
    expect(  # no consent: no birthday question
        jon.transcript[jon_since:],
        [
            STORY,
            PRIZE_LINE,
            ("venue", "[image]", ()),
            FIRST_VISIT_EN,
            ("guest", re.escape("(taps “No, I'm a regular”)"), ()),
            LOYALTY_EN,
        ],
    )

    sandbox.settle()
    expected = {
        ida.guest_id: [("first-visit", "yes"), ("meal", "dinner"), ("first-visit", "no"), ("birthday-month", "03")],
        jon.guest_id: [("first-visit", "yes"), ("meal", "dinner"), ("first-visit", "no")],
    }
    sheets = sandbox.config.integrations.google_sheets
    assert sheets is not None
    rows = [row for row in sandbox.google.rows[sheets.sheet] if row[1] == "answer"]
    crm = [r["json"] for r in sandbox.crm.requests if r["event"] == "answer"]
    for guest_id, answers in expected.items():
        assert [(row[-2], row[-1]) for row in rows if guest_id in row[0]] == answers
        assert [(a["question"], a["answer"]) for a in crm if a["guest_id"] == guest_id] == answers
