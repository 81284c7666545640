"""The hand-off page: what a review link answers in Instagram's or Facebook's in-app browser, where the guest is not
signed in to Google (nor Tripadvisor, nor Facebook's web). It hands the review page to the platform at once — on
Android an `intent:` URL for the review platform's app, on iOS the scheme that leaves the in-app browser — and shows
the same hand-off as a big button for when the in-app browser blocks the automatic one, with "Open in default
browser" (and on iOS "Open in Safari") and "Continue here" beside it. Its heading says what it is for ("Leave your
Google review"), and why leave: the guest is not signed in to the review platform in this browser. Every way out goes
to the target itself, never back to /l/, so one tap counts once.

Like the redemption page: no script, only its own inline style (admitted by hash), a one-screen 375 px layout. Which
schemes are documented and which are only reported to work: docs/design.md ("Links that leave the in-app
browser")."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from typing import Final
from urllib.parse import quote, urlsplit

from tagback.domain.browsers import App, Browser, Kind, System
from tagback.messages.link_labels import link_label

# Each review platform's name, in the heading ("Leave your Google review") and where the guest is not signed in.
PLATFORM_NAMES: Final[dict[str, str]] = {"google": "Google", "tripadvisor": "Tripadvisor", "facebook": "Facebook"}
# Each review platform's Android app: its name on the button, its package (the intent's `package=`).
ANDROID_APPS: Final[dict[str, tuple[str, str]]] = {
    "google": ("Google Maps", "com.google.android.apps.maps"),
    "tripadvisor": ("Tripadvisor", "com.tripadvisor.tripadvisor"),
    "facebook": ("Facebook", "com.facebook.katana"),
}


def android_intent(target: str, package: str | None = None, *, fallback: bool = False) -> str:
    """Chrome's `intent:` syntax for opening `target` (an http(s) URL) outside the WebView: in `package`'s app, or
    without one in whatever the phone opens such links with (its default browser, or an app that claims the URL).
    The fallback, when asked for, is the target itself (Chrome loads it when no app can take the intent)."""
    scheme = urlsplit(target).scheme
    parts = [f"scheme={scheme}"]
    if package:
        parts.append(f"package={package}")
    if fallback:
        parts.append(f"S.browser_fallback_url={quote(target, safe='')}")
    return f"intent://{target.removeprefix(f'{scheme}://')}#Intent;{';'.join(parts)};end"


def instagram_browser(target: str) -> str:
    """Instagram's own (undocumented) scheme for opening a URL in the phone's browser."""
    return f"instagram://extbrowser/?url={quote(target, safe='')}"


def safari(target: str) -> str:
    """iOS's (undocumented) scheme for opening an http(s) URL in Safari from any app: `x-safari-https://…`."""
    return f"x-safari-{target}"


@dataclass(frozen=True)
class Handoff:
    platform: str  # the review platform: google, tripadvisor, facebook (named on the heading), or another
    status: str  # a label key: "opening" (names the app) or "opening_browser"
    app: str | None  # the app it hands over to, named on the status line and a button
    automatic: str  # where the page goes at once
    buttons: tuple[tuple[str, str], ...]  # (label key, URL): the first is the automatic one, as a tap

    @property
    def reason(self) -> str:
        """Why leave: the label key that says so, naming the app only where the page offers one."""
        return "why" if self.status == "opening" else "why_browser"


def handoff_for(browser: Browser, platform: str, target: str) -> Handoff | None:
    """How to hand the target over from this browser; None where a plain redirect serves (not an in-app browser,
    or a target that is not a web page)."""
    if browser.kind is not Kind.IN_APP or urlsplit(target).scheme not in {"https", "http"}:
        return None
    if browser.system is System.ANDROID:
        to_browser = android_intent(target)
        if platform not in ANDROID_APPS:
            return Handoff(platform, "opening_browser", None, to_browser, (("open_browser", to_browser),))
        app, package = ANDROID_APPS[platform]
        # At once without a fallback (blocked or no app: the page stays, its buttons shown); the button with one.
        in_app = android_intent(target, package)
        buttons = (("open_in", android_intent(target, package, fallback=True)), ("open_browser", to_browser))
        return Handoff(platform, "opening", app, in_app, buttons)
    if browser.app is App.INSTAGRAM:
        outside = instagram_browser(target)
        buttons = (("open_browser", outside), ("open_in", safari(target)))
        return Handoff(platform, "opening_browser", "Safari", outside, buttons)
    return Handoff(platform, "opening_browser", "Safari", safari(target), (("open_in", safari(target)),))


STYLE: Final = (
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f6f6f4;color:#111;font:18px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Noto Sans','DejaVu Sans',sans-serif}"
    "main{max-width:480px;margin:0 auto;padding:28px 22px}"
    ".venue{margin:0;font-size:15px;color:#555;text-transform:uppercase;letter-spacing:.04em}"
    "h1{margin:6px 0 12px;font-size:28px;line-height:1.2}"
    "p{margin:0 0 14px}"
    ".status{font-weight:700}"
    ".hint{font-size:16px;color:#444}"
    "a.button{display:block;margin:12px 0 0;padding:16px 18px;min-height:58px;border-radius:12px;font-size:20px;"
    "font-weight:700;text-align:center;text-decoration:none;color:#1a56db;background:#fff;border:2px solid #1a56db}"
    "a.button.first{color:#fff;background:#1a56db}"
    ".stay{display:block;margin-top:22px;text-align:center;font-size:16px;color:#333}"
)
# The page admits exactly its own style: no script, no image, no frame, no form; its links leave no referrer (the
# URL holds the link's token).
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def render_handoff(handoff: Handoff, target: str, browser: Browser, language: str, venue_name: str) -> str:
    """The page: the heading names the review platform (platform-neutral for one without a name here), the status
    line where it hands over to, the hint the first button by its words."""
    source = "Instagram" if browser.app is App.INSTAGRAM else "Facebook"
    name = PLATFORM_NAMES.get(handoff.platform)
    first_button = link_label(handoff.buttons[0][0], language, app=handoff.app or "")
    values = {
        "app": handoff.app or "",
        "source": source,
        "target": name or urlsplit(target).hostname or "",
        "button": first_button,
    }

    def label(key: str) -> str:
        return escape(link_label(key, language, **values))

    heading = label("review" if name else "review_elsewhere")
    buttons = "".join(
        f'<a class="button{" first" if i == 0 else ""}" href="{escape(url)}">{label(key)}</a>'
        for i, (key, url) in enumerate(handoff.buttons)
    )
    return "".join(
        [
            "<!doctype html>",
            f'<html lang="{escape(language)}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            '<meta name="robots" content="noindex">',
            f'<meta http-equiv="refresh" content="0;url={escape(handoff.automatic)}">',
            f"<title>{heading}</title><style>{STYLE}</style></head>",
            f'<body><main><p class="venue">{escape(venue_name)}</p>',
            f"<h1>{heading}</h1>",
            f'<p class="status">{label(handoff.status)}</p>',
            f"<p>{label(handoff.reason)}</p>",
            f'<p class="hint">{label("hint")}</p>',
            buttons,
            f'<a class="stay" href="{escape(target)}">{label("stay")}</a>',
            "</main></body></html>",
        ]
    )
