"""What the fonts can draw, read from tables written beside each font when it is built, so that Lambda's layers ship
no fontTools (30 MB): a font's coverage (`<font>.coverage.json`: the code points of its cmap, as ranges) and the
colour emoji font's index (`<font>.index.json`: its cmap, its sequence ligatures, and where each bitmap's PNG lies
in the file, with its metrics).

The bundled fonts' tables are committed (`python -m tagback.adapters.font_tables` rewrites them; a test checks them);
a client's fonts get theirs in the client config layer at synth (infra/assets.py). A font without a table, a
client's font on a workstation, is read with fontTools, a dev dependency: `tagback check` and the tests see the same.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

BUNDLED_FONTS: Final = Path(__file__).resolve().parent.parent / "assets" / "fonts"
# The PNG of a glyph in CBDT format 17 follows its small metrics (5 bytes) and its length (4 bytes).
_FORMAT_17_HEADER = 9


def coverage_table(font: Path) -> Path:
    return font.with_name(f"{font.name}.coverage.json")


def emoji_index_table(font: Path) -> Path:
    return font.with_name(f"{font.name}.index.json")


@lru_cache(maxsize=32)
def coverage(font: Path) -> frozenset[int]:
    """The code points the font has a glyph for: from its table, else from the font itself."""
    table = coverage_table(font)
    if not table.is_file():
        return measured_coverage(font)
    ranges: list[list[int]] = json.loads(table.read_text(encoding="utf-8"))
    return frozenset(code for first, last in ranges for code in range(first, last + 1))


def measured_coverage(font: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # noqa: PLC0415 - a dev dependency: only where a font has no table

    with TTFont(str(font), lazy=True, fontNumber=0) as opened:
        return frozenset(opened.getBestCmap())


def _ranges(codes: frozenset[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


def write_coverage(font: Path) -> Path:
    table = coverage_table(font)
    table.write_text(json.dumps(_ranges(measured_coverage(font)), separators=(",", ":")) + "\n", encoding="utf-8")
    return table


def measured_emoji_index(font: Path) -> dict[str, Any]:
    """A CBDT colour font's index (the first strike's): `strike_size` (pixels per em), `cmap` (code point → glyph),
    `ligatures` (first glyph → [components after it, ligature glyph], longest first), `bitmaps` (glyph → [offset of
    its PNG in the file, length, left bearing, top bearing, advance], in strike pixels)."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415 - a dev dependency: the index is written at build

    with TTFont(str(font), lazy=True) as opened:
        strike = opened["CBLC"].strikes[0]
        glyphs = opened["CBDT"].strikeData[0]
        data_start = opened.reader.tables["CBDT"].offset
        bitmaps: dict[str, list[int]] = {}
        for table in strike.indexSubTables:
            if table.imageFormat != 17:
                raise ValueError(f"{font.name}: CBDT image format {table.imageFormat}, only 17 is read")
            for name, (start, end) in zip(table.names, table.locations, strict=True):
                metrics = glyphs[name].metrics
                offset = data_start + start + _FORMAT_17_HEADER
                bitmaps[name] = [offset, end - start - _FORMAT_17_HEADER, metrics.BearingX, metrics.BearingY]
                bitmaps[name].append(metrics.Advance)
        ligatures: dict[str, list[list[Any]]] = {}
        for lookup in opened["GSUB"].table.LookupList.Lookup:
            for subtable in lookup.SubTable if lookup.LookupType == 4 else []:
                for first, found in subtable.ligatures.items():
                    ligatures.setdefault(first, []).extend([list(lig.Component), lig.LigGlyph] for lig in found)
        for candidates in ligatures.values():
            candidates.sort(key=lambda candidate: -len(candidate[0]))
        return {
            "strike_size": int(strike.bitmapSizeTable.ppemY),
            "cmap": {str(code): name for code, name in sorted(opened.getBestCmap().items())},
            "ligatures": ligatures,
            "bitmaps": bitmaps,
        }


def write_emoji_index(font: Path) -> Path:
    table = emoji_index_table(font)
    table.write_text(json.dumps(measured_emoji_index(font), separators=(",", ":")) + "\n", encoding="utf-8")
    return table


def emoji_index(font: Path) -> dict[str, Any]:
    index: dict[str, Any] = json.loads(emoji_index_table(font).read_text(encoding="utf-8"))
    return index


def main() -> None:
    """Rewrites the bundled fonts' tables (after a font is added or updated): a colour (CBDT) font's index, every
    other font's coverage."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415 - a dev dependency: the tables are written at build

    for font in sorted(BUNDLED_FONTS.glob("*.ttf")):
        with TTFont(str(font), lazy=True) as opened:
            colour = "CBDT" in opened
        print(write_emoji_index(font) if colour else write_coverage(font))


if __name__ == "__main__":
    main()
