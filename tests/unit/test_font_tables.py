"""The fonts' tables (tagback/adapters/font_tables.py): the committed ones are what fontTools reads from the bundled
fonts, and with them a coupon is drawn as with fontTools, without loading it (the layers do not ship it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tagback.adapters.colour_emoji import EMOJI_FONT
from tagback.adapters.coupon_image import BOLD, REGULAR, render_coupon
from tagback.adapters.font_tables import (
    coverage_table,
    emoji_index,
    measured_coverage,
    measured_emoji_index,
    write_coverage,
)
from tests.coupon_gallery import CJK_FONT, EMOJI, JAPANESE, ROOT, config_with_fonts

STALE = "run `python -m tagback.adapters.font_tables` after changing a bundled font"


def test_the_bundled_fonts_coverage_tables_are_what_fonttools_reads() -> None:
    for font in (REGULAR, BOLD):
        ranges = json.loads(coverage_table(font).read_text(encoding="utf-8"))
        assert {code for first, last in ranges for code in range(first, last + 1)} == measured_coverage(font), STALE


def test_the_emoji_fonts_index_is_what_fonttools_reads() -> None:
    assert emoji_index(EMOJI_FONT) == measured_emoji_index(EMOJI_FONT), STALE


def test_with_the_tables_a_coupon_is_drawn_as_with_fonttools_without_loading_it(tmp_path: Path) -> None:
    config_with_fonts(tmp_path / "tabled", [CJK_FONT])
    write_coverage(tmp_path / "tabled" / CJK_FONT.name)
    drawn = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from pathlib import Path\n"
            "from tagback.adapters.coupon_image import render_coupon\n"
            "from tests.coupon_gallery import CJK_FONT, EMOJI, JAPANESE, config_with_fonts\n"
            "folder = Path(sys.argv[1])\n"
            "config = config_with_fonts(folder, [CJK_FONT])\n"
            "for name, face in (('emoji', EMOJI), ('japanese', JAPANESE)):\n"
            "    (folder / f'{name}.png').write_bytes(render_coupon(face, config).png)\n"
            "print('fontTools' in sys.modules)\n",
            str(tmp_path / "tabled"),
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common")])},
        capture_output=True,
        text=True,
        check=True,
    )
    assert drawn.stdout.strip() == "False"
    untabled = config_with_fonts(tmp_path / "untabled", [CJK_FONT])  # read with fontTools
    assert (tmp_path / "tabled" / "emoji.png").read_bytes() == render_coupon(EMOJI, untabled).png
    assert (tmp_path / "tabled" / "japanese.png").read_bytes() == render_coupon(JAPANESE, untabled).png
