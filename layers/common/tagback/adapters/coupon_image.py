"""The coupon image (PNG): venue, prize, code, "valid until", and a QR code of the code.

Text is drawn with a font fallback chain, character by character: the client's fonts first (e.g. a CJK font),
then the bundled DejaVu Sans (Latin with accents, Greek, Cyrillic). A character no font covers is reported back
so the operator can add a font, instead of silently printing a box.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
WIDTH, HEIGHT, MARGIN = 1080, 1350, 60


@dataclass(frozen=True)
class CouponImage:
    png: bytes
    missing_glyphs: str  # characters no configured font covers (drawn with the last font's fallback)


@lru_cache(maxsize=32)
def _coverage(path: Path) -> frozenset[int]:
    with TTFont(str(path), lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap())


@lru_cache(maxsize=128)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


class _Writer:
    def __init__(self, draw: ImageDraw.ImageDraw, chain: Sequence[Path]) -> None:
        self.draw = draw
        self.chain = chain
        self.missing: set[str] = set()

    def _runs(self, text: str) -> list[tuple[str, Path]]:
        runs: list[tuple[str, Path]] = []
        for ch in text:
            path = next((p for p in self.chain if ord(ch) in _coverage(p)), None)
            if path is None:
                if not ch.isspace():
                    self.missing.add(ch)
                path = self.chain[-1]
            if runs and runs[-1][1] == path:
                runs[-1] = (runs[-1][0] + ch, path)
            else:
                runs.append((ch, path))
        return runs

    def width(self, text: str, size: int) -> float:
        return sum(_font(path, size).getlength(run) for run, path in self._runs(text))

    def wrap(self, text: str, size: int, max_width: float) -> list[str]:
        """Greedy wrapping by words; a word wider than the line (CJK has no spaces) is broken by characters."""
        lines: list[str] = []
        line = ""
        for word in text.split():
            candidate = f"{line} {word}".strip()
            if self.width(candidate, size) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in word:
                if self.width(line + ch, size) > max_width and line:
                    lines.append(line)
                    line = ""
                line += ch
        return [*lines, line] if line else lines

    def centred(self, text: str, size: int, baseline: float, fill: str) -> None:
        x = (WIDTH - self.width(text, size)) / 2
        for run, path in self._runs(text):
            font = _font(path, size)
            self.draw.text((x, baseline), run, font=font, fill=fill, anchor="ls")
            x += font.getlength(run)


def _qr(code: str, size: int, foreground: str) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=2)
    qr.add_data(code)
    qr.make(fit=True)
    image = qr.make_image(fill_color=foreground, back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


def render_coupon(face: CouponFace, config: ClientConfig) -> CouponImage:
    template = config.coupon
    fonts = [config.asset(path) for path in template.fonts]
    image = Image.new("RGB", (WIDTH, HEIGHT), template.background)
    draw = ImageDraw.Draw(image)
    bold, regular = _Writer(draw, [*fonts, BOLD]), _Writer(draw, [*fonts, REGULAR])
    draw.rounded_rectangle((24, 24, WIDTH - 24, HEIGHT - 24), radius=36, outline=template.accent, width=6)

    y = 90.0
    if template.logo is not None:
        logo = Image.open(config.asset(template.logo)).convert("RGBA")
        logo.thumbnail((200, 200))
        image.paste(logo, ((WIDTH - logo.width) // 2, int(y)), logo)
        y += logo.height + 30
    for line in regular.wrap(face.venue, 52, WIDTH - 2 * MARGIN)[:2]:
        y += 62
        regular.centred(line, 52, y, template.foreground)
    y += 40
    for line in bold.wrap(face.prize, 80, WIDTH - 2 * MARGIN)[:3]:
        y += 96
        bold.centred(line, 80, y, template.accent)

    qr_size = 300
    qr_top = HEIGHT - 60 - qr_size
    valid_baseline = qr_top - 40
    code_baseline = valid_baseline - 90
    box_half_width = bold.width(face.code, 88) / 2 + 36
    draw.rounded_rectangle(
        (WIDTH / 2 - box_half_width, code_baseline - 100, WIDTH / 2 + box_half_width, code_baseline + 34),
        radius=20,
        outline=template.accent,
        width=4,
    )
    bold.centred(face.code, 88, code_baseline, template.foreground)
    regular.centred(face.valid_until, 40, valid_baseline, template.foreground)
    image.paste(_qr(face.code, qr_size, template.background), ((WIDTH - qr_size) // 2, qr_top))

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return CouponImage(png=buffer.getvalue(), missing_glyphs="".join(sorted(bold.missing | regular.missing)))
