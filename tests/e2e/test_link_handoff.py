"""A review link opened in Instagram's or Facebook's in-app browser, through the sandbox's edge, in headless Chromium
with the in-app browser's User-Agent (tests/user_agents.py: real strings, with their sources): the hand-off page at
375 px, its screenshot kept in out/links/ (`make link-pages`; looked at: docs/design.md, "Links that leave the in-app
browser"), every tap counted once and as in-app; the same link in a desktop browser is a plain redirect, and a link
preview counts nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
import requests
from PIL import Image

from sandbox.runtime import Sandbox, SandboxOptions
from tagback.domain.awards import AwardKey
from tagback.domain.stats import month_of
from tests import user_agents as ua
from tests.conftest import ROOT
from tests.e2e.test_report_in_browser import chromium, run

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "out" / "links"
GOOGLE = "https://search.google.com/local/writereview?placeid=ChIJdemoCafeAurora0001"
BUTTON_BLUE = (0x1A, 0x56, 0xDB)  # the first button's background (app/handoff_page.py)
__all__ = ["chromium"]  # the fixture, shared with the report's browser test


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        yield running


def new_link(sandbox: Sandbox, token: str, language: str | None, target: str = GOOGLE, platform: str = "google") -> str:
    """A guest's review link, as the review answer creates it (with the language they chose in the chat)."""
    venue = sandbox.venue()
    expires = sandbox.clock.now() + timedelta(days=90)
    venue.store.links.create(token, target, platform, AwardKey("ig-ana", "2026-11-26"), expires, language=language)
    return f"{sandbox.url}/l/{venue.client_id}/{token}"


def month(sandbox: Sandbox) -> dict[str, int]:
    venue = sandbox.venue()
    totals = venue.store.stats.month_totals(month_of(sandbox.clock.now(), venue.config.tz))
    return {name: int(value) for name, value in totals.items() if name.startswith("review_link_")}


def look(chromium: str, name: str, url: str, user_agent: str) -> str:
    """The page as the in-app browser shows it, 375 px wide: its screenshot in out/links/<name>.png, its text."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{name}.png"
    run(chromium, f"--user-agent={user_agent}", "--window-size=375,812", f"--screenshot={shot}", url)
    picture = Image.open(shot).convert("RGB")
    assert picture.size == (375, 812)
    colours = {colour: count for count, colour in picture.getcolors(maxcolors=1 << 20) or []}
    assert len(colours) > 20, "the screenshot is (nearly) blank"
    assert colours.get(BUTTON_BLUE, 0) > 300 * 50, "the first button is drawn, full width, at least 50 px high"
    dom = run(chromium, f"--user-agent={user_agent}", "--window-size=375,812", "--dump-dom", url).stdout
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom.split("<body", 1)[1])))


def test_instagram_on_android_sees_the_hand_off_page_and_each_load_counts_once(sandbox: Sandbox, chromium: str) -> None:
    url = new_link(sandbox, "A" * 22, "en")
    before = month(sandbox)
    text = look(chromium, "instagram-android", url, ua.INSTAGRAM_ANDROID)
    for shown in (
        "Leave your Google review",
        "Opening Google Maps…",
        "you are not signed in to Google",
        "Nothing happened? Tap “Open in Google Maps”.",
        "Open in default browser",
        "Continue here instead",
    ):
        assert shown in text
    after = month(sandbox)
    # Two page loads (the screenshot's and the text's): two clicks, one link, both from the in-app browser. The page
    # stayed (Chromium takes no intent: URL), so its own hand-off counted nothing more.
    assert after.get("review_link_clicks_google", 0) - before.get("review_link_clicks_google", 0) == 2
    assert after.get("review_link_unique_clicks_google", 0) - before.get("review_link_unique_clicks_google", 0) == 1
    assert after.get("review_link_browser_in_app", 0) - before.get("review_link_browser_in_app", 0) == 2


@pytest.mark.parametrize(
    ("name", "language", "shown"),
    [
        ("instagram-ios", "en", ("Leave your Google review", "Tap “Open in default browser”.", "Open in Safari")),
        (
            "instagram-ios-de",
            "de",
            ("Schreib deine Google-Bewertung", "Tippe auf „Im Standardbrowser öffnen“.", "In Safari öffnen"),
        ),
    ],
)
def test_instagram_on_ios(sandbox: Sandbox, chromium: str, name: str, language: str, shown: tuple[str, ...]) -> None:
    text = look(chromium, name, new_link(sandbox, f"B{language}".ljust(22, "B"), language), ua.INSTAGRAM_IOS)
    for words in shown:
        assert words in text


def test_facebook_on_android_with_a_tripadvisor_link_in_french(sandbox: Sandbox, chromium: str) -> None:
    tripadvisor = "https://www.tripadvisor.com/UserReviewEdit-d1"
    url = new_link(sandbox, "D" * 22, "fr", tripadvisor, "tripadvisor")
    text = look(chromium, "facebook-android-fr", url, ua.FACEBOOK_ANDROID)
    for shown in (
        "Laissez votre avis sur Tripadvisor",
        "Ouverture de Tripadvisor…",
        "Dans le navigateur intégré à Facebook, vous n'êtes pas connecté à Tripadvisor.",
        "Touchez « Ouvrir dans Tripadvisor ».",  # its no-break spaces read as spaces
        "Ouvrir dans le navigateur par défaut",
    ):
        assert shown in text


def test_a_desktop_browser_is_redirected_and_a_link_preview_is_not_counted(sandbox: Sandbox) -> None:
    url = new_link(sandbox, "C" * 22, None)
    before = month(sandbox)
    preview = requests.get(url, headers={"User-Agent": ua.FACEBOOKEXTERNALHIT}, allow_redirects=False, timeout=10)
    assert (preview.status_code, preview.headers["Location"]) == (302, GOOGLE)
    assert month(sandbox) == before
    desktop = requests.get(url, headers={"User-Agent": ua.CHROME_WINDOWS}, allow_redirects=False, timeout=10)
    assert (desktop.status_code, desktop.headers["Location"]) == (302, GOOGLE)
    after = month(sandbox)
    assert after["review_link_browser_desktop"] - before.get("review_link_browser_desktop", 0) == 1
    assert after["review_link_unique_clicks_google"] - before.get("review_link_unique_clicks_google", 0) == 1
