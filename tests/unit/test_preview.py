"""`tagback preview`: the page shows, for each language, every step of the conversation as the engine sends it (the
catalog's texts with the client's overrides) and every prize's coupon, and needs nothing from elsewhere."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fontTools.ttLib import TTFont
from PIL import Image

from tagback.adapters.coupon_image import render_coupon
from tagback.adapters.emoji_webfont import emoji_subset
from tagback.adapters.phones import valid_phone
from tagback.app.preview import preview
from tagback.config.loading import load_client_config, parse_client_config
from tagback.config.model import ClientConfig
from tagback.domain.languages import Language, language_name
from tagback.messages.render import placeholders_in, template
from tests.conftest import ROOT
from tools.memory_table import MemoryTables, memory_tables
from tools.preview import main

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TULP = ROOT / "tests" / "fixtures" / "clients" / "tulp.yaml"


@pytest.fixture(scope="module")
def tables() -> Iterator[MemoryTables]:
    with memory_tables() as made:
        yield made


def page_of(config: ClientConfig, folder: Path, tables: MemoryTables) -> str:
    page = preview(
        config,
        folder,
        new_table=tables.new,
        draw_coupon=lambda face, config: render_coupon(face, config).png,
        emoji_font=emoji_subset,
        valid_phone=valid_phone,
        now=NOW,
    )
    return page.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_page(tables: MemoryTables, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The demo's page, made once (each page plays a few dozen engine steps on moto's table)."""
    folder = tmp_path_factory.mktemp("demo")
    return page_of(load_client_config(ROOT / "clients" / "demo.yaml"), folder, tables), folder


def section(page: str, language: Language) -> str:
    """The language's part of the page, as its text reads (tags dropped, entities decoded)."""
    found = re.search(rf'<section lang="{re.escape(language)}">(.*?)</section>', page, re.S)
    assert found, f"no section for {language}"
    return found.group(1)


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "\n", markup))


def shows(config: ClientConfig, key: str, language: Language, text: str) -> bool:
    """The text of `key` in `language` is on the page: its words between the placeholders, each in one piece."""
    pieces = re.split(r"\{\w*\}", template(config, key, language).replace("{venue}", config.venue_name))
    return all(piece.strip() in text for piece in pieces if piece.strip())


def steps(config: ClientConfig) -> list[str]:
    """Every text of the conversation the page must show in each language."""
    keys = ["prize_awarded", "repeat_mention", "review_question", "answer_yes", "answer_no", "review_declined"]
    keys += ["opted_out", "review_links" if config.review_links.tripadvisor_url else "review_link"]
    if config.contact_capture.channels != "off":
        keys += ["contact_question", "contact_skipped", "contact_thanks"]
        keys += [f"{kind}_{channel}" for kind in ("ask", "invalid") for channel in ("email", "phone")][
            slice(None) if config.contact_capture.channels == "both" else slice(0, 4, 2)
        ]
    return keys


def assert_every_step_and_coupon(config: ClientConfig, page: str, folder: Path) -> None:
    for language in config.languages:
        markup = section(page, language)
        text = text_of(markup)
        # The language question comes before the guest chose: in the default language, with its buttons, and (the
        # guest's first DM) with the bot disclosure and the promotion terms.
        first_dm = ["language_question", "bot_disclosure"] if len(config.languages) > 1 else ["bot_disclosure"]
        first = [key for key in first_dm if not shows(config, key, config.default_language, text)]
        assert not first, f"{config.client_id} {language}: the first DM lacks {first}"
        assert all(language_name(offered) in text for offered in config.languages)
        missing = [key for key in steps(config) if not shows(config, key, language, text)]
        assert not missing, f"{config.client_id} {language}: not on the page: {missing}"
        for prize in config.prizes:
            assert prize.name_in(language) in text
            image = f"coupon-{prize.id}-{language}.png"
            assert f'src="{image}"' in markup
            with Image.open(folder / image) as coupon:
                assert coupon.size == (1080, 1350)
    if config.terms_url is not None:
        assert str(config.terms_url) in page


def test_each_language_shows_every_step_and_every_prizes_coupon(demo_page: tuple[str, Path]) -> None:
    assert_every_step_and_coupon(load_client_config(ROOT / "clients" / "demo.yaml"), *demo_page)


def test_a_language_the_client_file_adds_is_shown_from_its_texts(tmp_path: Path, tables: MemoryTables) -> None:
    config = load_client_config(TULP)
    assert_every_step_and_coupon(config, page_of(config, tmp_path, tables), tmp_path)


def test_the_clients_overrides_are_what_the_page_shows(demo_page: tuple[str, Path]) -> None:
    page, _ = demo_page
    assert "It's one prize per day — see you tomorrow ☀️" in text_of(section(page, "en"))  # demo.yaml's own
    assert "It's one prize per day, see you tomorrow." not in page  # the catalog's, overridden


def with_changes(**changes: Any) -> ClientConfig:
    data = yaml.safe_load((ROOT / "clients" / "demo.yaml").read_text(encoding="utf-8")) | changes
    return parse_client_config(data, "test", ROOT / "clients")


def test_a_single_language_asking_both_channels_gets_no_language_question(tmp_path: Path, tables: MemoryTables) -> None:
    consent = {"pt": "Ofertas no máximo duas vezes por mês; pode parar quando quiser."}
    config = with_changes(
        languages=["pt"],
        messages={},
        contact_capture={"channels": "both", "consent_version": "v2", "consent_text": consent},
    )
    page = page_of(config, tmp_path, tables)
    assert template(config, "language_question", "pt").split("!")[0] not in page
    text = text_of(section(page, "pt"))
    assert_every_step_and_coupon(config, page, tmp_path)
    asked = [text.index(template(config, key, "pt").split("(")[0]) for key in ("ask_email", "ask_phone")]
    assert asked == sorted(asked)  # the email first, then the phone


def test_the_page_is_self_contained(demo_page: tuple[str, Path]) -> None:
    page, folder = demo_page
    assert "<script" not in page and "<link" not in page and "@import" not in page
    for reference in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert (folder / reference).is_file(), reference  # beside the page, nothing from elsewhere
    assert not re.search(r"url\((?!data:)", page)


def test_the_command_writes_taqueria_lunas_page_under_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ROOT / "clients" / "luna.yaml"), "--out", str(tmp_path)]) == 0
    folder = tmp_path / "preview" / "luna"
    assert str(folder / "index.html") in capsys.readouterr().out
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert placeholders_in(html.unescape(page)) == set()  # every text filled in
    assert_every_step_and_coupon(load_client_config(ROOT / "clients" / "luna.yaml"), page, folder)


def test_the_pages_emoji_come_with_it_for_a_machine_without_an_emoji_font(demo_page: tuple[str, Path]) -> None:
    page, _ = demo_page
    embedded = re.search(r'font-family:"Tagback Emoji";src:url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)', page)
    assert embedded
    with TTFont(io.BytesIO(base64.b64decode(embedded[1]))) as font:
        assert {0x1F389, 0x2600} <= set(font.getBestCmap())  # 🎉 in every prize message, ☀ in demo.yaml's own text
    assert len(embedded[1]) < 100_000  # what the page shows, not the whole 11 MB font


def test_every_branch_of_the_venues_questions_is_shown_in_each_language(demo_page: tuple[str, Path]) -> None:
    page, _ = demo_page
    config = load_client_config(ROOT / "clients" / "demo.yaml")
    for language in config.languages:
        text = text_of(section(page, language))
        for question in config.questions:
            assert question.text[language] in text
            for reply in question.replies:
                following = config.question(reply.next or "")
                says = f" says “{reply.say[language]}”," if reply.say else ""
                leads = f"then “{following.text[language]}”" if following else "then the questions end"
                assert f"“{reply.title[language]}”:{says} {leads}" in text
        birthday = config.question("birthday-month")
        assert birthday is not None
        assert f"Answered in writing (month): says “{birthday.say[language]}”, then the questions end" in text
        assert "Personal: asked only of guests who gave their contact with consent" in text
