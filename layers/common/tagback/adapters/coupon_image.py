"""The coupon image (PNG): logo, venue, prize, "show this coupon to our staff", code, "valid until", and a QR code
of the code.

`layout_coupon` places everything and is what tests and `check-config` inspect; `render_coupon` draws that layout.
Each text is fitted to its box: the largest size whose wrapped lines fit, down to the field's smallest size, and
past that the last line ends in "…". Words wrap whole (a word wider than the line at every size, as CJK text may
be, breaks between characters); an emoji stays on the line of the word before it, and a lone symbol with a word.
The blocks are spread evenly down the card.

Text is drawn with a font fallback chain, character by character: emoji in colour from the bundled Noto Color
Emoji (colour_emoji.py), everything else from the client's fonts first (e.g. a CJK font), then the bundled DejaVu
Sans (Latin with accents, Greek, Cyrillic). A character no font covers is left out and reported per field, so
`check-config` can name it before a guest would miss it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import qrcode
from PIL import Image, ImageDraw, ImageFont

from tagback.adapters.colour_emoji import EMOJI_STYLE, TEXT_STYLE, ZWJ, clusters, emoji_font, is_emoji
from tagback.adapters.font_tables import coverage as _coverage
from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace

FONTS: Final = Path(__file__).resolve().parent.parent / "assets" / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
WIDTH, HEIGHT = 1080, 1350
BORDER: Final = 24  # the card's outline, inset from the image's edge
MARGIN: Final = 72  # text keeps this far from the image's left and right edges
PADDING: Final = 64  # at least this much above the first block and below the last
LINE_PITCH: Final = 1.2  # baseline to baseline, in ems
MAX_GAP: Final = 90  # between blocks; what is left over goes above and below, so the card never has a dead band
QR_SIZE: Final = 260
LOGO_BOX: Final = (220, 150)
CODE_PADDING: Final = (40, 22)  # around the code, inside its box
ELLIPSIS: Final = "…"
_IGNORABLE: Final = frozenset({EMOJI_STYLE, TEXT_STYLE, ZWJ, "\u200c"})  # never drawn alone, never "missing"


@dataclass(frozen=True)
class TextStyle:
    """How one field of the face is set: from `largest` down to `smallest` px, in at most `max_lines` lines and
    `max_height` px (so a smaller size may take more lines)."""

    largest: int
    smallest: int
    max_lines: int
    max_height: int
    bold: bool = False
    accent: bool = False  # in the template's accent colour, else its foreground
    width: int = WIDTH - 2 * MARGIN


STYLES: Final[dict[str, TextStyle]] = {
    "venue": TextStyle(56, 34, max_lines=2, max_height=135),
    "prize": TextStyle(92, 46, max_lines=5, max_height=335, bold=True, accent=True),
    "staff_line": TextStyle(40, 28, max_lines=2, max_height=100),
    "code": TextStyle(88, 56, max_lines=1, max_height=110, bold=True, width=WIDTH - 2 * MARGIN - 2 * CODE_PADDING[0]),
    "valid_until": TextStyle(40, 28, max_lines=2, max_height=100),
}


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )

    def inside(self, other: Box) -> bool:
        return (
            other.left <= self.left
            and self.right <= other.right
            and other.top <= self.top
            and self.bottom <= other.bottom
        )


@dataclass(frozen=True)
class TextBlock:
    field: str  # the CouponFace field it shows
    lines: tuple[str, ...]
    size: int
    baselines: tuple[float, ...]
    boxes: tuple[Box, ...]  # each line's: its advance width by its fonts' ascent and descent
    cut: bool  # even at the smallest size it did not fit: the last line ends in "…"

    @property
    def box(self) -> Box:
        return Box(
            min(b.left for b in self.boxes),
            self.boxes[0].top,
            max(b.right for b in self.boxes),
            self.boxes[-1].bottom,
        )


@dataclass(frozen=True)
class CouponLayout:
    blocks: tuple[TextBlock, ...]
    code_box: Box  # the outline around the code
    qr: Box
    logo: Box | None
    missing_glyphs: dict[str, str]  # field → the characters no font covers (left out of the picture)

    def block(self, field: str) -> TextBlock:
        return next(block for block in self.blocks if block.field == field)

    @property
    def cut(self) -> tuple[str, ...]:
        """The fields shortened with "…"."""
        return tuple(block.field for block in self.blocks if block.cut)


@dataclass(frozen=True)
class CouponImage:
    png: bytes
    layout: CouponLayout

    @property
    def missing_glyphs(self) -> str:
        return "".join(sorted(set("".join(self.layout.missing_glyphs.values()))))


@dataclass(frozen=True)
class _Run:
    text: str
    font: Path | None  # None: colour emoji, from the emoji font's bitmaps


@lru_cache(maxsize=128)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


@lru_cache(maxsize=4096)
def _drawn_by(chain: tuple[Path, ...], cluster: str) -> tuple[Path | None, str]:
    """The font that draws the cluster (None: the emoji font) and what of it that font draws ("" if none can)."""
    if is_emoji(cluster) and emoji_font().glyphs(cluster):
        return None, cluster
    wanted = [ch for ch in cluster if ch not in _IGNORABLE]
    for path in chain:
        if wanted and all(ord(ch) in _coverage(path) for ch in wanted):
            return path, "".join(wanted)
    if emoji_font().glyphs(cluster):  # a symbol only the emoji font has, e.g. a text-style emoji
        return None, cluster
    base = next((path for path in chain if wanted and ord(wanted[0]) in _coverage(path)), None)
    if base is None:
        return None, ""
    return base, "".join(ch for ch in wanted if ord(ch) in _coverage(base))  # an accent the font lacks is left out


@lru_cache(maxsize=2048)
def _runs(chain: tuple[Path, ...], text: str) -> tuple[_Run, ...]:
    runs: list[_Run] = []
    for cluster in clusters(text):
        font, drawn = _drawn_by(chain, cluster) if not cluster.isspace() else (chain[-1], cluster)
        if not drawn:
            continue
        if runs and runs[-1].font == font and font is not None:
            runs[-1] = _Run(runs[-1].text + drawn, font)
        else:
            runs.append(_Run(drawn, font))
    return tuple(runs)


def _missing(chain: tuple[Path, ...], text: str) -> str:
    found = []
    for cluster in clusters(text):
        if cluster.isspace():
            continue
        drawn = _drawn_by(chain, cluster)[1]
        found += [ch for ch in cluster if ch not in _IGNORABLE and ch not in drawn]
    return "".join(dict.fromkeys(found))


def _emoji_scale(size: int) -> float:
    return size / emoji_font().strike_size


@lru_cache(maxsize=8192)
def _width(chain: tuple[Path, ...], text: str, size: int) -> float:
    total = 0.0
    for run in _runs(chain, text):
        if run.font is None:
            glyphs = emoji_font().glyphs(run.text) or []
            total += sum(emoji_font().glyph(name).advance for name in glyphs) * _emoji_scale(size)
        else:
            total += _font(run.font, size).getlength(run.text)
    return total


def _extent(chain: tuple[Path, ...], text: str, size: int) -> tuple[float, float]:
    """How far the line's fonts reach above and below the baseline."""
    ascent, descent = 0.0, 0.0
    for run in _runs(chain, text):
        if run.font is None:
            for name in emoji_font().glyphs(run.text) or []:
                glyph = emoji_font().glyph(name)
                ascent = max(ascent, glyph.top * _emoji_scale(size))
                descent = max(descent, (glyph.image.height - glyph.top) * _emoji_scale(size))
        else:
            font_ascent, font_descent = _font(run.font, size).getmetrics()
            ascent, descent = max(ascent, font_ascent), max(descent, font_descent)
    return ascent, descent


def _only_emoji(word: str) -> bool:
    return all(is_emoji(cluster) for cluster in clusters(word) if not cluster.isspace())


def _only_symbols(word: str) -> bool:
    return not any(ch.isalnum() for ch in word) and not any(is_emoji(cluster) for cluster in clusters(word))


# Punctuation that closes what comes before it: written apart (French "offert !"), it still wraps with that word.
_CLOSING: Final = frozenset("!?:;%.,)]}»”’…")


def _tokens(text: str) -> list[str]:
    """Words that wrap as one: an emoji (or a run of them) stays with the word before it (with the word after it
    when it comes first), closing punctuation with the word before it, and another lone symbol such as "+" or "&"
    with the word after it."""
    tokens: list[str] = []
    for word in text.split():
        closing = _only_symbols(word) and word[0] in _CLOSING
        if tokens and (_only_emoji(word) or closing or _only_emoji(tokens[-1]) or _only_symbols(tokens[-1])):
            tokens[-1] += f" {word}"
        else:
            tokens.append(word)
    if len(tokens) > 1 and _only_symbols(tokens[-1]):  # a symbol at the end has no word after it
        tokens[-2:] = [f"{tokens[-2]} {tokens[-1]}"]
    return tokens


# Kana and punctuation a Japanese or Chinese line does not start with (a simple kinsoku): they break with the
# character before them.
_NO_LINE_START: Final = frozenset("、。，．・：；？！ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ）」』】〕〉》,.:;!?)")


def _units(token: str) -> list[str]:
    """A token wider than the line breaks between these: its characters, where an emoji (with the spaces before
    it) and a character that does not start a line stay with the character before them."""
    units: list[str] = []
    for cluster in clusters(token):
        if units and (cluster.isspace() or units[-1].endswith(" ") or is_emoji(cluster) or cluster in _NO_LINE_START):
            units[-1] += cluster
        else:
            units.append(cluster)
    return units


def _wrap(chain: tuple[Path, ...], text: str, size: int, max_width: float, *, break_words: bool) -> list[str] | None:
    """Greedy wrapping by tokens; a token wider than the line is broken between its units, or (not break_words)
    the text does not fit: None."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        candidate = f"{line} {token}" if line else token
        if _width(chain, candidate, size) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        if _width(chain, token, size) <= max_width:
            line = token
            continue
        if not break_words:
            return None
        for unit in _units(token):
            if line and _width(chain, line + unit, size) > max_width:
                lines.append(line.rstrip())
                line = unit
            else:
                line += unit
    return [*lines, line] if line or not lines else lines  # an empty text is one empty line


def _ellipsized(chain: tuple[Path, ...], line: str, size: int, max_width: float) -> str:
    """The line ending in "…", shortened by whole words, or (one word left, as in CJK) by characters."""
    kept = line.split(" ")
    while len(kept) > 1 and _width(chain, _closed(" ".join(kept)), size) > max_width:
        kept.pop()
    characters = clusters(" ".join(kept))
    while characters and _width(chain, _closed("".join(characters)), size) > max_width:
        characters.pop()
    return _closed("".join(characters))


def _closed(text: str) -> str:
    return text.rstrip(" ,;:-–—+&") + ELLIPSIS


def _lines_allowed(style: TextStyle, size: int) -> int:
    return min(style.max_lines, max(1, int(style.max_height // round(size * LINE_PITCH))))


def _fit(chain: tuple[Path, ...], text: str, style: TextStyle) -> tuple[list[str], int, bool]:
    """The lines and size the text is set in, and whether it was cut. Shrinking comes before breaking a word (or
    a CJK phrase) between its characters, and both before cutting."""
    sizes = range(style.largest, style.smallest - 1, -2)
    for break_words in (False, True):
        for size in sizes:
            lines = _wrap(chain, text, size, style.width, break_words=break_words)
            if lines is not None and len(lines) <= _lines_allowed(style, size):
                return lines, size, False
    size = style.smallest
    lines = (_wrap(chain, text, size, style.width, break_words=True) or [""])[: _lines_allowed(style, size)]
    return [*lines[:-1], _ellipsized(chain, lines[-1], size, style.width)], size, True


@dataclass(frozen=True)
class _Set:
    """A field's text fitted, before it has a place on the card."""

    field: str
    chain: tuple[Path, ...]
    lines: list[str]
    size: int
    cut: bool
    ascent: float
    descent: float

    @property
    def height(self) -> float:
        return self.ascent + (len(self.lines) - 1) * round(self.size * LINE_PITCH) + self.descent

    def placed(self, top: float) -> TextBlock:
        pitch = round(self.size * LINE_PITCH)
        baselines = tuple(top + self.ascent + i * pitch for i in range(len(self.lines)))
        boxes = []
        for line, baseline in zip(self.lines, baselines, strict=True):
            width = _width(self.chain, line, self.size)
            left = (WIDTH - width) / 2
            boxes.append(Box(left, baseline - self.ascent, left + width, baseline + self.descent))
        return TextBlock(self.field, tuple(self.lines), self.size, baselines, tuple(boxes), self.cut)


def _chain(field: str, fonts: list[Path]) -> tuple[Path, ...]:
    """The fonts a field's text is drawn with, in order (emoji aside): the client's, then DejaVu Sans."""
    return (*fonts, BOLD if STYLES[field].bold else REGULAR)


def _set(field: str, text: str, fonts: list[Path]) -> _Set:
    style = STYLES[field]
    chain = _chain(field, fonts)
    lines, size, cut = _fit(chain, text, style)
    extents = [_extent(chain, line, size) for line in lines]
    return _Set(field, chain, lines, size, cut, max(e[0] for e in extents), max(e[1] for e in extents))


def _logo_size(config: ClientConfig) -> tuple[int, int] | None:
    if config.coupon.logo is None:
        return None
    with Image.open(config.asset(config.coupon.logo)) as logo:
        scale = min(LOGO_BOX[0] / logo.width, LOGO_BOX[1] / logo.height, 1.0)
        return max(1, round(logo.width * scale)), max(1, round(logo.height * scale))


def layout_coupon(face: CouponFace, config: ClientConfig) -> CouponLayout:
    """Where everything goes: top to bottom logo, venue, prize, staff line, code in its box, "valid until", QR."""
    fonts = [config.asset(path) for path in config.coupon.fonts]
    texts = {
        "venue": face.venue,
        "prize": face.prize,
        "staff_line": face.staff_line,
        "code": face.code,
        "valid_until": face.valid_until,
    }
    fitted = {field: _set(field, text, fonts) for field, text in texts.items()}
    missing = {field: _missing(fitted[field].chain, text) for field, text in texts.items()}
    logo = _logo_size(config)
    code_pad = CODE_PADDING[1]
    # Each entry: a height, and the gap before the next one in units of the gap (the staff line, the code and its
    # date read as one group).
    stack: list[tuple[str, float, float]] = [
        *([("logo", float(logo[1]), 1.0)] if logo else []),
        ("venue", fitted["venue"].height, 1.0),
        ("prize", fitted["prize"].height, 1.0),
        ("staff_line", fitted["staff_line"].height, 0.45),
        ("code", fitted["code"].height + 2 * code_pad, 0.45),
        ("valid_until", fitted["valid_until"].height, 1.0),
        ("qr", float(QR_SIZE), 0.0),
    ]
    units = sum(weight for _, _, weight in stack)
    free = HEIGHT - 2 * PADDING - sum(height for _, height, _ in stack)
    gap = max(0.0, min(MAX_GAP, free / units))
    y = PADDING + max(0.0, (free - gap * units) / 2)
    blocks: list[TextBlock] = []
    places: dict[str, Box] = {}
    for name, height, weight in stack:
        if name in fitted:
            blocks.append(fitted[name].placed(y + (code_pad if name == "code" else 0)))
        width = {"logo": logo[0] if logo else 0, "qr": QR_SIZE}.get(name, 0)
        places[name] = Box((WIDTH - width) / 2, y, (WIDTH + width) / 2, y + height)
        y += height + gap * weight
    code = next(block for block in blocks if block.field == "code").box
    code_box = Box(
        code.left - CODE_PADDING[0], code.top - code_pad, code.right + CODE_PADDING[0], code.bottom + code_pad
    )
    return CouponLayout(
        blocks=tuple(blocks),
        code_box=code_box,
        qr=places["qr"],
        logo=places.get("logo"),
        missing_glyphs={field: chars for field, chars in missing.items() if chars},
    )


def _qr(data: str, size: int, foreground: str) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    image = qr.make_image(fill_color=foreground, back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.Resampling.NEAREST)


@lru_cache(maxsize=256)
def _emoji_image(name: str, size: int) -> Image.Image:
    glyph = emoji_font().glyph(name)
    scale = _emoji_scale(size)
    width, height = round(glyph.image.width * scale), round(glyph.image.height * scale)
    return glyph.image.resize((max(1, width), max(1, height)), Image.Resampling.LANCZOS)


def _draw_line(image: Image.Image, block: TextBlock, line: int, chain: tuple[Path, ...], fill: str) -> None:
    draw = ImageDraw.Draw(image)
    x, baseline, size = block.boxes[line].left, block.baselines[line], block.size
    for run in _runs(chain, block.lines[line]):
        if run.font is not None:
            font = _font(run.font, size)
            draw.text((x, baseline), run.text, font=font, fill=fill, anchor="ls")
            x += font.getlength(run.text)
            continue
        for name in emoji_font().glyphs(run.text) or []:
            glyph, scale = emoji_font().glyph(name), _emoji_scale(size)
            picture = _emoji_image(name, size)
            image.paste(picture, (round(x + glyph.left * scale), round(baseline - glyph.top * scale)), picture)
            x += glyph.advance * scale


def render_coupon(face: CouponFace, config: ClientConfig, *, qr: str | None = None) -> CouponImage:
    """The coupon as a PNG; its QR code holds `qr` (the staff redemption page's URL for this code), else the code."""
    template = config.coupon
    layout = layout_coupon(face, config)
    fonts = [config.asset(path) for path in template.fonts]
    image = Image.new("RGB", (WIDTH, HEIGHT), template.background)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (BORDER, BORDER, WIDTH - BORDER, HEIGHT - BORDER), radius=36, outline=template.accent, width=6
    )
    if template.logo is not None and layout.logo is not None:
        with Image.open(config.asset(template.logo)) as opened:
            logo = opened.convert("RGBA")
        logo = logo.resize((round(layout.logo.right - layout.logo.left), round(layout.logo.bottom - layout.logo.top)))
        image.paste(logo, (round(layout.logo.left), round(layout.logo.top)), logo)
    box = layout.code_box
    draw.rounded_rectangle((box.left, box.top, box.right, box.bottom), radius=20, outline=template.accent, width=4)
    for block in layout.blocks:
        fill = template.accent if STYLES[block.field].accent else template.foreground
        for line in range(len(block.lines)):
            _draw_line(image, block, line, _chain(block.field, fonts), fill)
    image.paste(_qr(qr or face.code, QR_SIZE, template.background), (round(layout.qr.left), round(layout.qr.top)))

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return CouponImage(png=buffer.getvalue(), layout=layout)
