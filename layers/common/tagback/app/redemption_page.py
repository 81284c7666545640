"""The staff redemption page as HTML: one small mobile page (375 px wide, read at arm's length), its state in a big
colour-coded banner, the coupon's facts below, and on a valid coupon the PIN form. No script at all, and only its
own inline style, which the Content-Security-Policy admits by its hash: nothing from outside the page can run."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Final
from zoneinfo import ZoneInfo

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_skeleton

from tagback.app.redeem import CouponStatus
from tagback.messages.render import format_date
from tagback.messages.staff_labels import page_language, staff_label

# Each state's banner: its colour (white text on it, contrast at least 4.5:1) and its words' key. Valid is blue, not
# redeemed's green: a waiter must not read "valid" as "give the prize" before pressing Redeem.
_BANNERS: Final[dict[str, tuple[str, str, str]]] = {  # state → colour, title key, hint key
    "valid": ("#1d4ed8", "valid", "hint_valid"),
    "redeemed": ("#0b6b32", "redeemed", "hint_redeemed"),
    "already_used": ("#b0101c", "already_used", "hint_used"),
    "expired": ("#9a4a00", "expired", "hint_expired"),
    "unknown": ("#3f4652", "unknown", "hint_unknown"),
    "locked": ("#5b21b6", "locked", "hint_locked"),
    "bad_link": ("#3f4652", "bad_link", "hint_bad_link"),
    "bad_form": ("#3f4652", "bad_form", "hint_bad_form"),
}
_MARKS: Final = {"valid": "✓", "redeemed": "✓", "already_used": "✗", "expired": "✗", "unknown": "?", "locked": "✗"}

STYLE: Final = (
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f3f3f1;color:#111;font:20px/1.35 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Noto Sans','DejaVu Sans',sans-serif}"
    "header{padding:22px 20px 26px;color:#fff}"
    + "".join(f".{state} header{{background:{colour}}}" for state, (colour, _, _) in _BANNERS.items())
    + "header p{margin:0;font-size:17px}"
    "h1{margin:6px 0 8px;font-size:46px;line-height:1.05;font-weight:800}"
    "header .hint{font-size:21px;font-weight:600}"
    "main{padding:6px 20px 28px}"
    "dl{margin:0}"
    "dt{font-size:15px;color:#555;text-transform:uppercase;letter-spacing:.04em;margin-top:14px}"
    "dd{margin:2px 0 0;font-size:25px;font-weight:700;overflow-wrap:anywhere}"
    ".code{font:700 24px/1.2 ui-monospace,'DejaVu Sans Mono',monospace;letter-spacing:.06em}"
    ".notice{margin:14px 0 0;padding:12px 14px;border-radius:10px;background:#fde8e8;color:#8a0b14;"
    "font-size:21px;font-weight:700}"
    "form{margin-top:22px}"
    "label{display:block;font-size:17px;color:#333;margin-bottom:6px}"
    "input{width:100%;font-size:34px;padding:10px 14px;border:2px solid #333;border-radius:10px;"
    "letter-spacing:.3em}"
    "button{margin-top:14px;width:100%;min-height:68px;font-size:30px;font-weight:800;color:#fff;"
    "background:#0b6b32;border:0;border-radius:12px}"
)
# The policy admits exactly this style and nothing else: no script, no image, no frame; forms post only here.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # The URL holds the code: never sent to another site. `same-origin` (not `no-referrer`) keeps the Origin header
    # on our own form's POST, which browsers blank to `null` under `no-referrer`.
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class PageView:
    state: str  # a key of _BANNERS
    language: str  # the venue's default language
    venue_name: str | None  # None when the link names no venue we know
    status: CouponStatus | None = None
    tz: ZoneInfo | None = None
    locked_until: datetime | None = None
    notice: str | None = None  # a staff label's key: wrong PIN, stale page
    tries_left: int | None = None  # after a wrong PIN: how many more before the code locks
    form_token: str | None = None  # the PIN form is shown with it


def render_page(view: PageView) -> str:
    _, title_key, hint_key = _BANNERS[view.state]
    language = page_language(view.language)

    def label(key: str, **values: str) -> str:
        return escape(staff_label(key, language, **values))

    hint_values = {"time": _local(view.locked_until, view.tz, language, with_date=False)} if view.locked_until else {}
    mark = _MARKS.get(view.state)
    title = f"{mark} {label(title_key)}" if mark else label(title_key)
    parts = [
        "<!doctype html>",
        f'<html lang="{escape(language)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta name="robots" content="noindex">',
        f"<title>{label(title_key)}</title><style>{STYLE}</style></head>",
        f'<body class="{view.state}"><header>',
        f"<p>{escape(view.venue_name)}</p>" if view.venue_name else "",
        f'<h1>{title}</h1><p class="hint">{label(hint_key, **hint_values)}</p></header><main>',
    ]
    if view.notice:
        values = {"tries": str(view.tries_left)} if view.tries_left is not None else {}
        parts.append(f'<p class="notice" role="alert">{label(view.notice, **values)}</p>')
    if view.status is not None:
        parts.append(_facts(view.status, view.tz, language, label))
    if view.form_token:
        parts += [
            '<form method="post" autocomplete="off">',
            f'<input type="hidden" name="token" value="{escape(view.form_token)}">',
            f'<label for="pin">{label("pin")}</label>',
            '<input id="pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]*" minlength="4" '
            'maxlength="8" required>',
            f'<button type="submit">{label("redeem")}</button></form>',
        ]
    parts.append("</main></body></html>")
    return "".join(parts)


def _facts(status: CouponStatus, tz: ZoneInfo | None, language: str, label: Callable[[str], str]) -> str:
    """What staff check against the guest's phone: the prize, who, when issued and until when; when used, by whom."""
    rows: list[tuple[str, str]] = []
    if status.prize is not None:
        rows.append((label("prize"), escape(status.prize)))
        guest = label("erased") if status.guest_erased else escape(status.guest) if status.guest else label("no_name")
        rows.append((label("guest"), guest))
    if status.used_at is not None:
        rows.append((label("used_at"), escape(_local(status.used_at, tz, language, with_date=True))))
        rows.append((label("used_by"), escape(status.used_by) if status.used_by else label("someone")))
    if status.issued_at is not None:
        rows.append((label("issued"), escape(_local(status.issued_at, tz, language, with_date=True))))
    if status.valid_until is not None:
        rows.append((label("valid_until"), escape(format_date(status.valid_until, language))))
    rows.append((label("code"), f'<span class="code">{escape(status.code)}</span>'))
    return "<dl>" + "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows) + "</dl>"


def _local(moment: datetime | None, tz: ZoneInfo | None, language: str, *, with_date: bool) -> str:
    """A time in the venue's timezone, as its language writes it, with its date ("25 Nov 2026, 18:40") or not (a
    language Babel lacks: world English)."""
    if moment is None:
        return ""
    local = moment.astimezone(tz) if tz else moment
    try:
        locale = Locale.parse("en_001" if language == "en" else language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en_001")
    time = format_skeleton("Hm", local, locale=locale)
    if not with_date:
        return str(time)
    day = format_skeleton("yMMMd", local, locale=locale)
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)
