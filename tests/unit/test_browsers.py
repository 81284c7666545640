"""The link route's User-Agent classifier, on real strings (tests/user_agents.py says where each was recorded)."""

from __future__ import annotations

import pytest

from tagback.domain.browsers import App, Browser, Kind, System, classify
from tests import user_agents as ua


@pytest.mark.parametrize(
    ("agent", "browser"),
    [
        (ua.INSTAGRAM_ANDROID, Browser(Kind.IN_APP, System.ANDROID, App.INSTAGRAM)),
        (ua.INSTAGRAM_IOS, Browser(Kind.IN_APP, System.IOS, App.INSTAGRAM)),
        (ua.FACEBOOK_ANDROID, Browser(Kind.IN_APP, System.ANDROID, App.FACEBOOK)),
        (ua.FACEBOOK_IOS, Browser(Kind.IN_APP, System.IOS, App.FACEBOOK)),
        (ua.FACEBOOK_IOS_2025, Browser(Kind.IN_APP, System.IOS, App.FACEBOOK)),
        (ua.MESSENGER_ANDROID, Browser(Kind.IN_APP, System.ANDROID, App.FACEBOOK)),
        (ua.CHROME_ANDROID, Browser(Kind.PHONE, System.ANDROID)),
        (ua.SAFARI_IPHONE, Browser(Kind.PHONE, System.IOS)),
        (ua.CHROME_WINDOWS, Browser(Kind.DESKTOP)),
        (ua.SAFARI_MAC, Browser(Kind.DESKTOP)),
    ],
)
def test_browsers_and_in_app_browsers_are_told_apart(agent: str, browser: Browser) -> None:
    assert classify(agent) == browser


@pytest.mark.parametrize(
    "agent",
    [
        ua.FACEBOOKEXTERNALHIT,
        ua.MESSAGES_PREVIEW,  # a Mac string, with Meta's and Twitter's crawler names after it
        ua.SLACKBOT,
        ua.DISCORDBOT,
        ua.TELEGRAMBOT,
        ua.WHATSAPP,
        ua.TWITTERBOT,
        ua.GOOGLEBOT_SMARTPHONE,  # an Android string: the crawler's name wins
    ],
)
def test_link_previews_and_crawlers_are_bots_whatever_else_they_say(agent: str) -> None:
    assert classify(agent) == Browser(Kind.BOT)
    assert classify(agent).counted_as is None  # not a tap


@pytest.mark.parametrize("agent", [None, "", "   ", "curl/8.5.0", "Mozilla/5.0", "python-requests/2.32.3"])
def test_no_or_an_unrecognised_user_agent_is_unknown(agent: str | None) -> None:
    assert classify(agent) == Browser(Kind.UNKNOWN)
    assert classify(agent).counted_as == "other"


def test_a_phone_brand_with_bot_in_its_name_is_no_bot() -> None:
    cubot = "Mozilla/5.0 (Linux; Android 10; Cubot X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile"
    assert classify(cubot) == Browser(Kind.PHONE, System.ANDROID)


def test_each_tap_is_counted_as_the_reports_browsers() -> None:
    assert [classify(agent).counted_as for agent in (ua.INSTAGRAM_IOS, ua.CHROME_ANDROID, ua.SAFARI_IPHONE)] == [
        "in_app",
        "android",
        "ios",
    ]
    assert classify(ua.CHROME_WINDOWS).counted_as == "desktop"
