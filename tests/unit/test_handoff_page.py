"""The hand-off page's URLs and HTML, apart from the route (tests/unit/test_webhook_handler.py has the route's)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tagback.app.handoff_page import CONTENT_SECURITY_POLICY, android_intent, handoff_for, render_handoff
from tagback.domain.browsers import App, Browser, Kind, System
from tagback.messages.staff_labels import EDGE_PAGE_LANGUAGES

INSTAGRAM_ANDROID = Browser(Kind.IN_APP, System.ANDROID, App.INSTAGRAM)


def test_an_http_target_keeps_its_scheme_in_the_intent() -> None:
    assert android_intent("http://reviews.example/a?b=1") == "intent://reviews.example/a?b=1#Intent;scheme=http;end"


@pytest.mark.parametrize(
    ("browser", "target"),
    [
        (Browser(Kind.PHONE, System.ANDROID), "https://search.google.com/local/writereview?placeid=X"),
        (Browser(Kind.DESKTOP), "https://search.google.com/local/writereview?placeid=X"),
        (Browser(Kind.UNKNOWN), "https://search.google.com/local/writereview?placeid=X"),
        (INSTAGRAM_ANDROID, "mailto:owner@example.com"),  # not a web page: nothing to hand to a browser
    ],
)
def test_only_an_in_app_browser_and_a_web_page_get_a_hand_off(browser: Browser, target: str) -> None:
    assert handoff_for(browser, "google", target) is None


def test_the_pages_style_is_the_one_its_policy_admits() -> None:
    target = "https://search.google.com/local/writereview?placeid=X"
    handoff = handoff_for(INSTAGRAM_ANDROID, "google", target)
    assert handoff is not None
    page = render_handoff(handoff, target, INSTAGRAM_ANDROID, "en", "Café Aurora")
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in CONTENT_SECURITY_POLICY
    assert " style=" not in page  # no inline style attribute, which the policy would block


def test_a_target_and_a_venue_name_are_escaped() -> None:
    target = 'https://reviews.example/r?a=1&b="2"<x>'
    handoff = handoff_for(INSTAGRAM_ANDROID, "other", target)
    assert handoff is not None
    page = render_handoff(handoff, target, INSTAGRAM_ANDROID, "en", "Bar <b>&</b>")
    assert '"2"' not in page and "<x>" not in page and "<b>" not in page
    assert 'href="https://reviews.example/r?a=1&amp;b=&quot;2&quot;&lt;x&gt;"' in page
    assert "Bar &lt;b&gt;&amp;&lt;/b&gt;" in page


@pytest.mark.parametrize("language", EDGE_PAGE_LANGUAGES)
@pytest.mark.parametrize(
    "browser",
    [
        INSTAGRAM_ANDROID,
        Browser(Kind.IN_APP, System.IOS, App.INSTAGRAM),
        Browser(Kind.IN_APP, System.IOS, App.FACEBOOK),
    ],
)
def test_the_hint_names_the_first_button_and_the_heading_the_review_platform(browser: Browser, language: str) -> None:
    target = "https://www.tripadvisor.com/UserReviewEdit-d1"
    handoff = handoff_for(browser, "tripadvisor", target)
    assert handoff is not None
    page = render_handoff(handoff, target, browser, language, "Café Aurora")
    buttons = re.findall(r'<a class="button[^"]*" href="[^"]*">([^<]+)</a>', page)
    (hint,) = re.findall(r'<p class="hint">([^<]+)</p>', page)
    assert buttons[0] in hint
    assert len(set(buttons)) == len(buttons)  # no two buttons say the same
    assert "Tripadvisor" in re.findall(r"<h1>([^<]+)</h1>", page)[0]
