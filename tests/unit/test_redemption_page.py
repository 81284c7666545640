"""The staff redemption page (the edge's /c/<client>/<code>) on in-memory stores: what each state shows, the PIN,
the lockout, the form's defences, and malformed requests answered 4xx."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import qrcode
from PIL import Image

from tagback.adapters.coupon_image import QR_SIZE, layout_coupon
from tagback.adapters.s3_coupons import S3CouponImages
from tagback.app.redemption import PostedForm, RedemptionPage
from tagback.app.redemption_page import CONTENT_SECURITY_POLICY, STYLE
from tagback.config.model import ClientConfig
from tagback.domain.awards import AwardKey, Coupon, CouponFace
from tagback.domain.clock import ManualClock
from tagback.domain.prizes import new_coupon_code
from tagback.domain.redemption import (
    PinAttempts,
    coupon_signing_key_parameter,
    form_token,
    form_token_valid,
    parse_staff_pins,
    staff_member,
    staff_pins_parameter,
)
from tagback.domain.registrations import Registration
from tests.conftest import ROOT, registration
from tests.fakes import InMemoryRegistry, InMemoryStore

KEY = "page-signing-key"
NOW = datetime(2026, 11, 25, 18, 40, tzinfo=UTC)  # 18:40 in Lisbon
EDGE = "https://edge.example"
SECRETS = {
    coupon_signing_key_parameter("demo"): KEY,
    staff_pins_parameter("demo"): json.dumps({"Ana": "4821", "Rui": "0937"}),
}


class Venue:
    def __init__(self, language: str = "en") -> None:
        self.store = InMemoryStore()
        self.store.guests.update("ana", NOW, display_name="Ana Sousa", language="de")
        self.clock = ManualClock(NOW)
        self.opened: list[Registration] = []
        venue = registration(language=language, prize_names=(("espresso", "Free espresso"),), venue_name="Café Aurora")
        self.page = RedemptionPage(InMemoryRegistry(venue), self.open, SECRETS.__getitem__, self.clock)

    def open(self, venue: Registration) -> InMemoryStore:
        self.opened.append(venue)
        return self.store

    def issue(self, valid_until: date = date(2026, 12, 9)) -> str:
        code = new_coupon_code(random.Random(len(self.store.coupons.by_code)), KEY)
        coupon = Coupon(code, AwardKey("ana", "2026-11-24"), "espresso", "Gratis-Espresso", NOW, valid_until)
        self.store.coupons.add(coupon, NOW + timedelta(days=90))
        return code

    def post(self, code: str, pin: str, *, token: str | None = None, origin: str | None = EDGE) -> Any:
        token = token if token is not None else form_token(KEY, "demo", code, self.clock.now())
        body = f"pin={pin}&token={token}".encode()
        return self.page.redeem("demo", code, PostedForm(body, origin, EDGE))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_a_valid_coupon_shows_prize_guest_local_times_and_the_pin_form() -> None:
    venue = Venue()
    code = venue.issue()
    page = venue.page.show("demo", code.replace("-", "").lower())
    assert page.status == 200
    shown = text(page.html)
    assert "✓ Valid" in shown and "Café Aurora" in shown and "Free espresso" in shown and "Ana Sousa" in shown
    assert "25 Nov 2026, 18:40" in shown and "9 Dec 2026" in shown and code in shown
    assert '<form method="post"' in page.html and 'name="pin"' in page.html


def test_redeem_with_a_pin_names_the_staff_member_and_feeds_the_counter_and_the_outbox_once() -> None:
    venue = Venue()
    code = venue.issue()
    redeemed = venue.post(code, "0937")
    assert redeemed.status == 200 and "✓ Redeemed" in text(redeemed.html) and "Rui" in text(redeemed.html)
    assert venue.store.coupons.get(code)["redeemed_by"] == "Rui"  # type: ignore[index]
    venue.clock.advance(timedelta(minutes=3))
    again = venue.post(code, "4821")
    assert again.status == 409 and "✗ Already used" in text(again.html) and "Rui" in text(again.html)
    shown = text(venue.page.show("demo", code).html)
    assert (
        "Already used" in shown and "25 Nov 2026, 18:40" in shown and "<form" not in venue.page.show("demo", code).html
    )
    assert venue.store.stats.months == {"2026-11": {"coupons_redeemed": 1}}
    assert [e.event_type for e in venue.store.outbox.events.values()] == ["redemption"]


def test_a_forged_code_is_unknown_without_opening_the_venues_table() -> None:
    venue = Venue()
    genuine = venue.issue()
    forged = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    for page in (venue.page.show("demo", forged), venue.post(forged, "4821")):
        assert page.status == 404 and "Unknown code" in text(page.html)
    assert venue.opened == []


def test_an_expired_coupon_says_so_and_offers_no_form() -> None:
    venue = Venue()
    code = venue.issue(valid_until=date(2026, 11, 24))
    page = venue.page.show("demo", code)
    assert "✗ Expired" in text(page.html) and "<form" not in page.html
    assert venue.post(code, "4821").status == 409 and "redeemed_at" not in venue.store.coupons.get(code)  # type: ignore[operator]


def test_five_wrong_pins_within_ten_minutes_lock_the_code_for_ten_minutes() -> None:
    venue = Venue()
    code = venue.issue()
    for left in (4, 3, 2, 1):
        wrong = venue.post(code, "1111")
        assert wrong.status == 403 and f"Wrong PIN. {left} more wrong ones and the code locks." in text(wrong.html)
        venue.clock.advance(timedelta(minutes=2))
    locked = venue.post(code, "2222")  # the fifth within 8 minutes
    assert locked.status == 429 and "Locked" in text(locked.html) and "until 18:58" in text(locked.html)
    assert "Ask the manager, or scan it again after 18:58." in text(locked.html)
    assert venue.post(code, "4821").status == 429  # the right PIN too: the code is locked
    assert "Locked" in text(venue.page.show("demo", code).html)
    venue.clock.advance(timedelta(minutes=10))
    assert venue.post(code, "4821").status == 200


def test_a_valid_coupon_is_not_the_green_of_a_redeemed_one_and_says_no_prize_yet() -> None:
    venue = Venue()
    code = venue.issue()
    valid = venue.page.show("demo", code).html
    assert "✓ Valid" in text(valid) and "no prize until the page says Redeemed" in text(valid)
    redeemed = venue.post(code, "4821").html
    assert "✓ Redeemed" in text(redeemed) and "Give the prize now." in text(redeemed)
    banners = dict(re.findall(r"\.(\w+) header\{background:(#[0-9a-f]{6})\}", STYLE))
    assert banners["valid"] != banners["redeemed"]


def test_wrong_pins_spread_over_more_than_ten_minutes_do_not_lock() -> None:
    venue = Venue()
    code = venue.issue()
    for _ in range(6):
        assert venue.post(code, "1111").status == 403
        venue.clock.advance(timedelta(minutes=3))
    assert venue.post(code, "4821").status == 200


def test_the_form_must_come_from_this_page_recently() -> None:
    venue = Venue()
    code, other = venue.issue(), venue.issue()
    foreign = venue.post(code, "4821", origin="https://evil.example")
    assert foreign.status == 403 and "Not sent from this page" in text(foreign.html)
    assert venue.post(code, "4821", origin="null").status == 403
    stale = form_token(KEY, "demo", code, NOW - timedelta(minutes=16))
    assert venue.post(code, "4821", token=stale).status == 403
    assert venue.post(code, "4821", token=form_token(KEY, "demo", other, NOW)).status == 403  # another code's
    assert "redeemed_at" not in venue.store.coupons.get(code)  # type: ignore[operator]
    assert venue.post(code, "4821", origin=None).status == 200  # no Origin (an old browser): the token suffices


@pytest.mark.parametrize(
    ("client", "code", "body", "status"),
    [
        ("demo", "NOT-A-CODE", b"pin=4821&token=1.x", 400),
        ("Demo!", "AAAA-BBBB-CCCC", b"pin=4821&token=1.x", 400),
        ("nobody", "AAAA-BBBB-CCCC", b"pin=4821&token=1.x", 404),
        ("demo", "{code}", b"pin=4821", 400),
        ("demo", "{code}", b"pin=1&pin=2&token=1.x", 400),
        ("demo", "{code}", b"\xff\xfe", 400),
        ("demo", "{code}", None, 400),
        ("demo", "{code}", b"pin=4821&token=" + b"x" * 2000, 413),
    ],
)
def test_malformed_requests_get_a_4xx_page_and_a_log_line(
    client: str, code: str, body: bytes | None, status: int, log_lines: Any
) -> None:
    venue = Venue()
    code = code.format(code=venue.issue())
    page = venue.page.redeem(client, code, PostedForm(body, EDGE, EDGE))
    assert page.status == status and page.html.startswith("<!doctype html>")
    assert "redemption request refused" in log_lines.getvalue()


def test_the_page_speaks_the_venues_language_and_english_for_one_without_built_in_texts() -> None:
    german, dutch = Venue("de"), Venue("nl")
    shown = text(german.page.show("demo", german.issue()).html)
    assert "Gültig" in shown and "Gültig bis" in shown and "9. Dez. 2026" in shown
    shown = text(dutch.page.show("demo", dutch.issue()).html)
    assert "Valid until" in shown and "9 Dec 2026" in shown  # English words and dates: the edge formats in the six


def test_the_style_is_admitted_by_its_hash_and_nothing_else_is() -> None:
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY and "script" not in CONTENT_SECURITY_POLICY


def test_staff_pins_are_named_digits_each_naming_one_person() -> None:
    assert parse_staff_pins('{"Ana": "4821", "Rui": "0937"}') == {"Ana": "4821", "Rui": "0937"}
    for wrong in ("[]", "{}", '{"Ana": 4821}', '{"Ana": "48"}', '{"Ana": "4821", "Rui": "4821"}', "Ana=4821"):
        with pytest.raises(ValueError) as refused:
            parse_staff_pins(wrong)
        assert "4821" not in str(refused.value)
    assert staff_member({"Ana": "4821", "Rui": "0937"}, "0937") == "Rui"
    assert staff_member({"Ana": "4821"}, "48210") is None


def test_a_form_token_is_bound_to_venue_code_and_time() -> None:
    token = form_token(KEY, "demo", "AAAA-BBBB-CCCC", NOW)
    assert form_token_valid(KEY, "demo", "AAAA-BBBB-CCCC", token, NOW + timedelta(minutes=15))
    assert not form_token_valid(KEY, "demo", "AAAA-BBBB-CCCC", token, NOW + timedelta(minutes=16))
    assert not form_token_valid(KEY, "luna", "AAAA-BBBB-CCCC", token, NOW)
    assert not form_token_valid("another-key", "demo", "AAAA-BBBB-CCCC", token, NOW)
    assert not form_token_valid(KEY, "demo", "AAAA-BBBB-CCCC", "junk", NOW)


def test_pin_attempts_count_only_within_the_window() -> None:
    attempts = PinAttempts()
    for minute in range(4):
        attempts = attempts.after_wrong_pin(NOW + timedelta(minutes=minute))
    assert not attempts.locked(NOW + timedelta(minutes=4)) and len(attempts.failed_at) == 4
    locked = attempts.after_wrong_pin(NOW + timedelta(minutes=9, seconds=59))
    assert locked.locked(NOW + timedelta(minutes=19, seconds=58)) and not locked.failed_at
    assert not locked.locked(NOW + timedelta(minutes=19, seconds=59))
    assert not attempts.after_wrong_pin(NOW + timedelta(minutes=10)).locked(NOW + timedelta(minutes=10))


class RecordingS3:
    """What S3CouponImages asks of S3: the object it puts, a URL for it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def put_object(self, **request: Any) -> None:
        self.bodies.append(request["Body"])

    def generate_presigned_url(self, *_: Any, **__: Any) -> str:
        return "https://bucket.example/coupon.png"


def qr_region(png: bytes, box: Any) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        corners = (round(box.left), round(box.top), round(box.right), round(box.bottom))
        return image.convert("RGB").crop(corners).tobytes()


def qr_of(data: str, size: int, colour: str) -> bytes:
    """A QR code of `data` as the coupon draws it (qrcode, error correction M), scaled to its box."""
    made = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=2)
    made.add_data(data)
    made.make(fit=True)
    image = made.make_image(fill_color=colour, back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST).tobytes()


def test_the_coupons_qr_code_opens_the_staff_page_for_its_code(demo_config: ClientConfig) -> None:
    face = CouponFace("Café Aurora", "Free espresso", "7KQ4-M2XZ-9HJT", "Valid until 9 Dec 2026", "Show this coupon")
    s3 = RecordingS3()
    S3CouponImages("coupons", demo_config, client=s3, link_prefix="https://edge.example/c/demo").publish(face, 14)
    (png,) = s3.bodies
    box = layout_coupon(face, demo_config).qr
    colour = demo_config.coupon.background
    assert qr_region(png, box) == qr_of("https://edge.example/c/demo/7KQ4-M2XZ-9HJT", QR_SIZE, colour)
    assert qr_region(png, box) != qr_of("7KQ4-M2XZ-9HJT", QR_SIZE, colour)


def test_the_redemption_function_imports_nothing_heavy() -> None:
    """It runs on the edge's small layer: no Pillow, fontTools, phonenumbers, google-auth or requests."""
    probe = (
        "import sys; import functions.redemption.handler; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    heavy = {"PIL", "fontTools", "phonenumbers", "phonenumberslite", "google", "requests", "qrcode", "fpdf"}
    assert not heavy & set(loaded), sorted(heavy & set(loaded))
    assert "babel" in loaded and "boto3" not in loaded  # dates in the venue's language; boto3 on first use only
