from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from PIL import Image, ImageChops

from tagback.adapters.coupon_image import render_coupon
from tagback.config.loading import load_client_config
from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace
from tests.unit.test_config import DEMO_TEXT_NO_ASSETS

CJK = "咖啡免费"


def build_cjk_test_font(path: Path) -> None:
    """A tiny real TrueType font whose only glyphs are CJK's characters (filled squares), so a test can prove
    the fallback chain picks it for exactly those characters, without shipping a 20 MB CJK font."""
    names = [".notdef", *(f"uni{ord(ch):04X}" for ch in CJK)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(ch): f"uni{ord(ch):04X}" for ch in CJK})
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        if name != ".notdef":
            pen.moveTo((100, 0))
            pen.lineTo((100, 800))
            pen.lineTo((900, 800))
            pen.lineTo((900, 0))
            pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (1000, 100) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "TagbackTestCJK", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(str(path))


FACE = CouponFace(
    venue="Café Aurora", prize="Crème brûlée à volonté", code="7KQ4-M2XZ-9HJT", valid_until="Valid until 7 Dec 2026"
)


def decode(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_coupon_is_a_portrait_png_with_every_latin_accent_covered(demo_config: ClientConfig) -> None:
    image = render_coupon(FACE, demo_config)
    assert image.png.startswith(b"\x89PNG")
    picture = decode(image.png)
    assert picture.size == (1080, 1350)
    assert len(picture.getcolors(maxcolors=1 << 16) or []) > 10  # text, logo, QR: not a blank card
    assert image.missing_glyphs == ""


def test_the_text_changes_the_picture(demo_config: ClientConfig) -> None:
    other = render_coupon(CouponFace(FACE.venue, "Brunch for two", FACE.code, FACE.valid_until), demo_config)
    assert ImageChops.difference(decode(render_coupon(FACE, demo_config).png), decode(other.png)).getbbox()


def test_cjk_prize_names_use_the_configured_fallback_font(tmp_path: Path) -> None:
    build_cjk_test_font(tmp_path / "cjk.ttf")
    (tmp_path / "demo.yaml").write_text(DEMO_TEXT_NO_ASSETS.replace("fonts: []", "fonts: [cjk.ttf]"), encoding="utf-8")
    with_font = load_client_config(tmp_path / "demo.yaml")
    (tmp_path / "plain.yaml").write_text(DEMO_TEXT_NO_ASSETS, encoding="utf-8")
    without_font = load_client_config(tmp_path / "plain.yaml")
    face = CouponFace(FACE.venue, f"{CJK} Café", FACE.code, FACE.valid_until)

    covered = render_coupon(face, with_font)
    uncovered = render_coupon(face, without_font)
    assert covered.missing_glyphs == ""
    assert sorted(uncovered.missing_glyphs) == sorted(CJK)
    # With the font, its solid squares are drawn where the fallback font would draw its missing-glyph boxes.
    assert ImageChops.difference(decode(covered.png), decode(uncovered.png)).getbbox()


@pytest.mark.parametrize("prize", ["A" * 200, "Superlongwordwithoutanyspaceswhatsoeverthatcannotfitononeline" * 2])
def test_long_prize_names_wrap_inside_the_card(demo_config: ClientConfig, prize: str) -> None:
    picture = decode(render_coupon(CouponFace(FACE.venue, prize, FACE.code, FACE.valid_until), demo_config).png)
    background = Image.new("RGB", picture.size, demo_config.coupon.background)
    left_edge = ImageChops.difference(picture.crop((0, 0, 20, 1350)), background.crop((0, 0, 20, 1350)))
    assert left_edge.getbbox() is None  # nothing drawn in the margin
