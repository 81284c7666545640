"""Who opened a tracked link, from its User-Agent header alone: a link-preview bot, Instagram's or Facebook's in-app
browser (on Android or iOS), a phone's own browser, a computer, or something unknown. The patterns and the real
strings they were checked against are in docs/design.md ("Links that leave the in-app browser") and the tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Kind(StrEnum):
    BOT = "bot"  # a link preview or crawler: never a guest's tap
    IN_APP = "in_app"  # Instagram's or Facebook's own browser
    PHONE = "phone"  # a phone's own browser (or an app that opened it there)
    DESKTOP = "desktop"
    UNKNOWN = "unknown"  # no header, or nothing we recognise


class System(StrEnum):
    ANDROID = "android"
    IOS = "ios"


class App(StrEnum):
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"  # and Messenger: Meta's same in-app browser


@dataclass(frozen=True)
class Browser:
    kind: Kind
    system: System | None = None  # for IN_APP and PHONE
    app: App | None = None  # for IN_APP

    @property
    def counted_as(self) -> str | None:
        """The month counter's suffix for a tap from it (`review_link_browser_<this>`); None: not a tap."""
        match self.kind:
            case Kind.BOT:
                return None
            case Kind.IN_APP:
                return "in_app"
            case Kind.PHONE:
                return str(self.system)
            case Kind.DESKTOP:
                return "desktop"
            case Kind.UNKNOWN:
                return "other"


UNKNOWN: Final = Browser(Kind.UNKNOWN)

# Link previews and crawlers, by the names their operators document (Meta's FacebookExternalHit also fetches for
# Instagram and Messenger; Apple's Messages previews as "facebookexternalhit/1.1 Facebot Twitterbot/1.0"), and any
# other `…bot/<version>`, `…crawler`, `…spider`. Not a bare "bot": the Cubot phone brand is in Android strings.
_BOT: Final = re.compile(
    r"facebookexternalhit|facebookcatalog|meta-external|Facebot|WhatsApp/|Twitterbot|Slackbot|Slack-ImgProxy"
    r"|TelegramBot|Discordbot|LinkedInBot|Googlebot|Google-InspectionTool|AdsBot-Google|Applebot|bingbot"
    r"|BingPreview|SkypeUriPreview|redditbot|Embedly|Pinterestbot|vkShare|Iframely|bot/\d|crawler|spider",
    re.IGNORECASE,
)
# Instagram writes "Instagram <version>" after the WebView's own string; Facebook "[FB_IAB/FB4A;FBAV/…]" on Android,
# "[FBAN/FBIOS;…]" on iOS, and lately "MetaIAB Facebook"; Messenger "FB_IAB/Orca-Android" or "FBAN/MessengerForiOS".
_INSTAGRAM: Final = re.compile(r"\bInstagram \d")
_FACEBOOK: Final = re.compile(r"FB_IAB/|FBAN/|FBAV/|MetaIAB")
_IOS: Final = re.compile(r"\((?:iPhone|iPad|iPod)\b")
_ANDROID: Final = re.compile(r"\bAndroid\b")
_DESKTOP: Final = re.compile(r"Windows NT|Macintosh|X11;|CrOS")


def classify(user_agent: str | None) -> Browser:
    agent = (user_agent or "").strip()
    if not agent:
        return UNKNOWN
    if _BOT.search(agent):
        return Browser(Kind.BOT)
    system = System.IOS if _IOS.search(agent) else System.ANDROID if _ANDROID.search(agent) else None
    app = App.INSTAGRAM if _INSTAGRAM.search(agent) else App.FACEBOOK if _FACEBOOK.search(agent) else None
    if app is not None and system is not None:
        return Browser(Kind.IN_APP, system, app)
    if system is not None:
        return Browser(Kind.PHONE, system)
    if _DESKTOP.search(agent):
        return Browser(Kind.DESKTOP)
    return UNKNOWN
