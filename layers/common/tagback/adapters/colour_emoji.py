"""Colour emoji for the coupon image: the user-perceived characters of a text, which of them are emoji, and the
bundled Noto Color Emoji's bitmaps for them.

Noto Color Emoji is a bitmap font (CBDT): one strike of PNGs at 109 px per em. Pillow draws such a font only at
that size, and forms the font's sequences (flags, skin tones, families, keycaps) only when libraqm is loadable,
which differs between machines. So the glyphs are found here, from the font's cmap and its ligatures (GSUB), and
their PNGs are read from the font file where its index says they lie (font_tables.py, written at build with
fontTools): the same on every machine, at any size (the caller scales them).
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Final

from PIL import Image

from tagback.adapters.font_tables import emoji_index

EMOJI_FONT: Final = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "NotoColorEmoji.ttf"

ZWJ: Final = "\u200d"
TEXT_STYLE, EMOJI_STYLE = "\ufe0e", "\ufe0f"
KEYCAP: Final = "\u20e3"
_SKIN_TONES: Final = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS: Final = range(0x1F1E6, 0x1F200)
_TAGS: Final = range(0xE0020, 0xE0080)  # subdivision flags: 🏴 + tag letters + cancel tag
# Emoji_Presentation=Yes below U+1F000 (Unicode 15.0 emoji-data.txt): shown in colour even without U+FE0F.
# Above U+1F000 every character the emoji font has is taken as an emoji.
_BMP_EMOJI_PRESENTATION: Final = frozenset(
    [
        *range(0x231A, 0x231C),
        *range(0x23E9, 0x23ED),
        0x23F0,
        0x23F3,
        *range(0x25FD, 0x25FF),
        *range(0x2614, 0x2616),
        *range(0x2648, 0x2654),
        0x267F,
        0x2693,
        0x26A1,
        *range(0x26AA, 0x26AC),
        *range(0x26BD, 0x26BF),
        *range(0x26C4, 0x26C6),
        0x26CE,
        0x26D4,
        0x26EA,
        *range(0x26F2, 0x26F4),
        0x26F5,
        0x26FA,
        0x26FD,
        0x2705,
        *range(0x270A, 0x270C),
        0x2728,
        0x274C,
        0x274E,
        *range(0x2753, 0x2756),
        0x2757,
        *range(0x2795, 0x2798),
        0x27B0,
        0x27BF,
        *range(0x2B1B, 0x2B1D),
        0x2B50,
        0x2B55,
    ]
)


def _joins_previous(ch: str, previous: str) -> bool:
    code = ord(ch)
    if previous.endswith(ZWJ) or ch == ZWJ or code in _SKIN_TONES or code in _TAGS:
        return True
    if code in _REGIONAL_INDICATORS:  # flags are pairs of regional indicators
        indicators = [c for c in previous if ord(c) in _REGIONAL_INDICATORS]
        return len(previous) == 1 and len(indicators) == 1
    return unicodedata.category(ch) in ("Mn", "Me", "Mc")  # accents, variation selectors, the keycap


def clusters(text: str) -> list[str]:
    """The text's user-perceived characters: a letter with its combining accents, an emoji with its variation
    selector, skin tone, keycap or tags, a ZWJ sequence, a flag (a simplified UAX #29)."""
    found: list[str] = []
    for ch in text:
        if found and _joins_previous(ch, found[-1]):
            found[-1] += ch
        else:
            found.append(ch)
    return found


def is_emoji(cluster: str) -> bool:
    """Whether the cluster is shown as a colour emoji (its emoji presentation) rather than as text."""
    if TEXT_STYLE in cluster or cluster[0] in (ZWJ, EMOJI_STYLE):  # the text style, or a stray joiner
        return False
    if any(ch in (EMOJI_STYLE, ZWJ, KEYCAP) or ord(ch) in _SKIN_TONES or ord(ch) in _TAGS for ch in cluster):
        return True
    base = ord(cluster[0])
    return base >= 0x1F000 or base in _BMP_EMOJI_PRESENTATION


@dataclass(frozen=True)
class EmojiGlyph:
    """One glyph's bitmap at the font's strike size, with its place against the baseline (in strike pixels)."""

    image: Image.Image  # RGBA
    left: int  # from the pen position to the bitmap's left edge
    top: int  # from the baseline up to the bitmap's top edge
    advance: int


class ColourEmojiFont:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._bitmaps: dict[str, EmojiGlyph] = {}

    @cached_property
    def _index(self) -> dict[str, Any]:
        return emoji_index(self._path)

    @cached_property
    def _cmap(self) -> dict[int, str]:
        return {int(code): name for code, name in self._index["cmap"].items()}

    @cached_property
    def _strike(self) -> dict[str, list[int]]:
        strike: dict[str, list[int]] = self._index["bitmaps"]
        return strike

    @cached_property
    def strike_size(self) -> int:
        """The pixels per em the bitmaps are drawn at (109 for Noto Color Emoji)."""
        return int(self._index["strike_size"])

    @cached_property
    def _ligatures(self) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        """Sequence ligatures by first glyph, longest first: flags, skin tones, ZWJ sequences, keycaps."""
        return {
            first: [(tuple(rest), glyph) for rest, glyph in candidates]
            for first, candidates in self._index["ligatures"].items()
        }

    def glyphs(self, cluster: str) -> list[str] | None:
        """The glyphs that draw the cluster: one for a sequence the font has, else one per part (as a phone shows
        a ZWJ sequence it does not know); None when the font lacks a part."""
        names = [self._cmap.get(ord(ch)) for ch in cluster if ch not in (EMOJI_STYLE, TEXT_STYLE)]
        if not names or any(name is None for name in names):
            return None
        sequence = [name for name in names if name is not None]
        drawn: list[str] = []
        while sequence:
            first = sequence[0]
            match = next(
                (
                    (len(rest) + 1, glyph)
                    for rest, glyph in self._ligatures.get(first, [])
                    if tuple(sequence[1 : 1 + len(rest)]) == rest
                ),
                (1, first),
            )
            drawn.append(match[1])
            del sequence[: match[0]]
        drawn = [name for name in drawn if name in self._strike]  # ZWJ and tag letters have no picture of their own
        return drawn or None

    def glyph(self, name: str) -> EmojiGlyph:
        if name not in self._bitmaps:
            offset, length, left, top, advance = self._strike[name]
            with self._path.open("rb") as font:
                font.seek(offset)
                png = font.read(length)
            image = Image.open(io.BytesIO(png)).convert("RGBA")
            self._bitmaps[name] = EmojiGlyph(image, left, top, advance)
        return self._bitmaps[name]


@lru_cache(maxsize=1)
def emoji_font() -> ColourEmojiFont:
    """Opened on first use: a coupon without emoji never reads the 11 MB font."""
    return ColourEmojiFont(EMOJI_FONT)
