"""The bundled Noto Color Emoji cut down to the characters of a text, for a page that must show its emoji on any
machine (`make preview`): a few kilobytes instead of the whole font's 11 MB."""

from __future__ import annotations

import io

from fontTools import subset
from fontTools.ttLib import TTFont

from tagback.adapters.colour_emoji import EMOJI_FONT


def emoji_subset(text: str) -> bytes | None:
    """The font with only what `text` needs of it (its sequences too), or None when the text has none of its
    characters but the ones any font has."""
    with TTFont(str(EMOJI_FONT), lazy=False) as font:
        covered = set(font.getBestCmap())
        wanted = {ord(ch) for ch in text if ord(ch) in covered and not ch.isascii() and not ch.isspace()}
        if not wanted:
            return None
        options = subset.Options()
        options.layout_features = ["*"]  # the ligatures that form flags, skin tones and families
        options.name_IDs = ["*"]
        cut = subset.Subsetter(options)
        cut.populate(unicodes=wanted)
        cut.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue()
