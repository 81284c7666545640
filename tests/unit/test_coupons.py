from __future__ import annotations

import io
import itertools
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

from tagback.adapters.colour_emoji import EMOJI_FONT, emoji_font, is_emoji
from tagback.adapters.coupon_image import (
    HEIGHT,
    REGULAR,
    STYLES,
    WIDTH,
    Box,
    CouponLayout,
    _only_emoji,
    _wrap,
    layout_coupon,
    render_coupon,
)
from tagback.config.checks import coupon_problems
from tagback.config.loading import load_client_config, parse_client_config
from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace
from tests.conftest import DEMO_CONFIG, ROOT
from tests.coupon_gallery import CJK_FONT, EMOJI, JAPANESE, LONG, TOO_LONG, config_with_fonts
from tests.fakes import FakeImages
from tests.unit.test_chat import Chat

FACE = CouponFace(
    venue="Café Aurora",
    prize="Crème brûlée à volonté",
    code="7KQ4-M2XZ-9HJT",
    valid_until="Valid until 7 Dec 2026",
    staff_line="Show this coupon to our staff",
)
CARD = Box(30, 30, WIDTH - 30, HEIGHT - 30)  # inside the card's outline


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
    other = render_coupon(replace(FACE, prize="Brunch for two"), demo_config)
    assert ImageChops.difference(decode(render_coupon(FACE, demo_config).png), decode(other.png)).getbbox()


def assert_nothing_overlaps(layout: CouponLayout) -> None:
    """Every text, the code's box, the QR code and the logo inside the card, and none on another."""
    code = layout.block("code")
    others = [block for block in layout.blocks if block is not code]
    boxes = {
        **{block.field: block.box for block in others},
        "code_box": layout.code_box,
        "qr": layout.qr,
        **({"logo": layout.logo} if layout.logo else {}),
    }
    for name, box in boxes.items():
        assert box.inside(CARD), name
        for other_name, other in boxes.items():
            assert other_name == name or not box.overlaps(other), (name, other_name)
    assert code.box.inside(layout.code_box)
    for block in layout.blocks:
        assert all(line.right - line.left <= STYLES[block.field].width for line in block.boxes), block.field


@pytest.mark.parametrize("face", [FACE, EMOJI, LONG, TOO_LONG], ids=["short", "emoji", "long", "too-long"])
def test_every_text_stays_in_its_place_whatever_its_length(demo_config: ClientConfig, face: CouponFace) -> None:
    assert_nothing_overlaps(layout_coupon(face, demo_config))


def test_a_long_name_shrinks_first_and_is_cut_with_an_ellipsis_only_past_the_smallest_size(
    demo_config: ClientConfig,
) -> None:
    short, long, too_long = (layout_coupon(face, demo_config) for face in (FACE, LONG, TOO_LONG))
    assert short.block("prize").size == STYLES["prize"].largest and short.cut == ()
    assert STYLES["prize"].smallest <= long.block("prize").size < STYLES["prize"].largest
    assert " ".join(long.block("prize").lines) == LONG.prize and " ".join(long.block("venue").lines) == LONG.venue
    assert long.cut == ()
    assert too_long.cut == ("venue", "prize")
    for field in too_long.cut:
        block = too_long.block(field)
        assert block.size == STYLES[field].smallest and block.lines[-1].endswith("…")
        assert " ".join(block.lines).removesuffix("…") in getattr(TOO_LONG, field)


def test_the_staff_line_is_drawn_between_the_prize_and_the_code(demo_config: ClientConfig) -> None:
    layout = layout_coupon(FACE, demo_config)
    staff = layout.block("staff_line")
    assert staff.lines == ("Show this coupon to our staff",)
    assert layout.block("prize").box.bottom < staff.box.top and staff.box.bottom < layout.code_box.top


def test_the_blocks_are_spread_down_the_card_without_a_dead_band(demo_config: ClientConfig) -> None:
    layout = layout_coupon(FACE, demo_config)
    assert layout.logo is not None
    boxes = [layout.logo, *(b.box for b in layout.blocks if b.field != "code"), layout.code_box, layout.qr]
    boxes.sort(key=lambda box: box.top)
    gaps = [below.top - above.bottom for above, below in itertools.pairwise(boxes)]
    assert min(gaps) > 0 and max(gaps) <= 100  # before: 200 px between the prize and the code
    assert abs(boxes[0].top - (HEIGHT - boxes[-1].bottom)) <= 100  # as much room above as below


def reds(picture: Image.Image) -> int:
    """Pixels of a strong red: in no template colour, nor a blend of two (the cake's strawberry is one)."""
    return sum(1 for r, g, b in picture.get_flattened_data() if r > 150 and g < 0.35 * r and b < 0.35 * r)


def test_emoji_are_drawn_in_colour_and_never_wrap_alone(demo_config: ClientConfig) -> None:
    image = render_coupon(EMOJI, demo_config)
    assert image.missing_glyphs == ""
    assert reds(decode(image.png)) > 200 > reds(decode(render_coupon(FACE, demo_config).png))
    chain = (REGULAR,)
    for prize in (EMOJI.prize, "Brunch for two and a slice of cake 🍰", "Café 🍰☕ and 🎉 more", JAPANESE.prize):
        for width in range(200, 900, 25):
            lines = _wrap(chain, prize, 60, width, break_words=True) or []
            assert not any(_only_emoji(line) for line in lines), (prize, width, lines)
            assert not any(line.endswith(" +") for line in lines), (prize, width, lines)  # "+" goes with "coffee"


def test_every_emoji_the_font_has_is_drawn_from_it() -> None:
    """What check-config accepts is what the coupon draws: each emoji of the font's cmap and its sequences."""
    font = emoji_font()
    with TTFont(str(EMOJI_FONT), lazy=True) as opened:
        codes = list(opened.getBestCmap())
    singles = [chr(code) for code in codes if is_emoji(chr(code)) and not 0xE0000 <= code < 0xE0080]  # not tags
    sequences = [
        "👍🏽",
        "🇵🇹",
        "👨\u200d👩\u200d👧",
        "1️⃣",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        "❤️\u200d🔥",
    ]
    assert len(singles) > 1300
    for emoji in singles + sequences:
        glyphs = font.glyphs(emoji)
        assert glyphs, emoji
        assert len(glyphs) == 1 or emoji in singles, emoji  # a sequence is one picture
        assert font.glyph(glyphs[0]).image.size == (136, 128)
    assert font.strike_size == 109


def test_cjk_text_uses_the_configured_font_and_check_config_names_what_it_lacks(tmp_path: Path) -> None:
    with_font = config_with_fonts(tmp_path / "with", [CJK_FONT])
    without_font = config_with_fonts(tmp_path / "without", [])

    covered = render_coupon(JAPANESE, with_font)
    uncovered = layout_coupon(JAPANESE, without_font)
    assert covered.missing_glyphs == ""
    assert set(uncovered.missing_glyphs) == {"venue", "prize", "staff_line", "valid_until"}
    assert uncovered.missing_glyphs["venue"] == "喫茶ルナ"
    assert_nothing_overlaps(covered.layout)
    # Without the font the characters are left out (no boxes): the picture differs.
    assert ImageChops.difference(decode(covered.png), decode(render_coupon(JAPANESE, without_font).png)).getbbox()


def japanese_demo(folder: Path, fonts: list[Path]) -> ClientConfig:
    config = config_with_fonts(folder, fonts)
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["coupon"] = config.coupon.model_dump(mode="json")
    data["prizes"][1]["names"]["de"] = "Pastel de nata 抹茶 ☕"
    (folder / "demo.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_client_config(folder / "demo.yaml")


def test_check_config_refuses_characters_no_font_draws_naming_field_and_characters(tmp_path: Path) -> None:
    config = parse_client_config(
        yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        | {"venue_name": "Café Aurora 喫茶", "messages": {"pt": {"coupon_show_staff": "Mostre \U0001fae9 à equipa"}}},
        "demo",
        DEMO_CONFIG.parent,
    )
    problems = coupon_problems(config, layout_coupon)
    assert problems == [
        "venue_name: '喫' (U+55AB), '茶' (U+8336) cannot be drawn on the en coupon: no font has them (coupon.fonts, "
        "then the bundled DejaVu Sans and Noto Color Emoji 2.042, emoji of Unicode 15.0): add a font that covers "
        "them to coupon.fonts, or change the text",
        "venue_name: '喫' (U+55AB), '茶' (U+8336) cannot be drawn on the de coupon: no font has them (coupon.fonts, "
        "then the bundled DejaVu Sans and Noto Color Emoji 2.042, emoji of Unicode 15.0): add a font that covers "
        "them to coupon.fonts, or change the text",
        "venue_name: '喫' (U+55AB), '茶' (U+8336) cannot be drawn on the pt coupon: no font has them (coupon.fonts, "
        "then the bundled DejaVu Sans and Noto Color Emoji 2.042, emoji of Unicode 15.0): add a font that covers "
        "them to coupon.fonts, or change the text",
        "messages.pt.coupon_show_staff: '\\U0001fae9' (U+1FAE9) cannot be drawn on the pt coupon: no font has them "
        "(coupon.fonts, then the bundled DejaVu Sans and Noto Color Emoji 2.042, emoji of Unicode 15.0): add a "
        "font that covers them to coupon.fonts, or change the text",
    ]


def test_check_config_refuses_a_text_cut_even_at_its_smallest_size() -> None:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["venue_name"] = "Wow " * 25  # 100 characters: the most a venue name may have
    data["messages"]["de"] = {"coupon_show_staff": "Zeig diesen Gutschein " * 8}
    data["prizes"][2]["names"]["de"] = "Brunch " * 11  # 80 characters at most: a prize name always fits
    problems = coupon_problems(parse_client_config(data, "demo", DEMO_CONFIG.parent), layout_coupon)
    cut = "too long for the {} coupon: even at its smallest size it is cut short with '…'; shorten it"
    assert problems == [
        f"venue_name: {cut.format('en')}",
        f"venue_name: {cut.format('de')}",
        f"messages.de.coupon_show_staff: {cut.format('de')}",
        f"venue_name: {cut.format('pt')}",
    ]


def test_check_config_accepts_the_clients_and_cjk_with_its_font(tmp_path: Path) -> None:
    for client in ("demo", "luna"):
        assert coupon_problems(load_client_config(ROOT / "clients" / f"{client}.yaml"), layout_coupon) == []
    assert coupon_problems(japanese_demo(tmp_path / "cjk", [CJK_FONT]), layout_coupon) == []
    assert coupon_problems(japanese_demo(tmp_path / "plain", []), layout_coupon) == [
        "prizes[1].names.de: '抹' (U+62B9), '茶' (U+8336) cannot be drawn on the de coupon: no font has them "
        "(coupon.fonts, then the bundled DejaVu Sans and Noto Color Emoji 2.042, emoji of Unicode 15.0): add a "
        "font that covers them to coupon.fonts, or change the text"
    ]


def test_the_coupon_is_in_the_guests_language_with_the_staff_line() -> None:
    luna = load_client_config(ROOT / "clients" / "luna.yaml")
    chat = Chat(luna)
    chat.mention("sofia")
    chat.tap("sofia", "LANG:en", "English")
    chat.mention("pablo")
    chat.tap("pablo", "LANG:es", "Español")
    images = chat.engine.images
    assert isinstance(images, FakeImages)
    faces = {face.staff_line: face for face in images.faces.values()}
    english, spanish = faces["Show this coupon to our staff"], faces["Muestra este cupón a nuestro equipo"]
    assert english.prize in {p.names["en"] for p in luna.prizes}
    assert spanish.prize in {p.names["es"] for p in luna.prizes}
    assert spanish.valid_until.startswith("Válido hasta el ")
