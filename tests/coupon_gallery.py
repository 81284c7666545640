"""Coupons to look at: `make coupons` (`python -m tests.coupon_gallery`) writes to out/coupons/ every prize of
clients/*.yaml in every language the client offers (as `check-config` lays them out, with the longest date, but
with a real code), and samples: emoji, a long prize and venue, a prize too long even at the smallest size (cut
with "…"), and Japanese with the CJK test font.

The CJK test font is a subset of Noto Sans CJK JP Regular (Debian's fonts-noto-cjk, NotoSansCJK-Regular.ttc, font
0; SIL OFL 1.1, LICENSE-NotoSansCJK.txt beside it) to the characters of JAPANESE only, made with fontTools' subset
and renamed "Tagback Test CJK Subset". A real venue lists the whole font in coupon.fonts (README).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from tagback.adapters.coupon_image import render_coupon
from tagback.config.checks import coupon_faces
from tagback.config.loading import client_files, load_client_config, parse_client_config
from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace

ROOT = Path(__file__).resolve().parent.parent
CJK_FONT = ROOT / "tests" / "fixtures" / "fonts" / "TagbackTestCJK-subset.otf"
CODE = "7KQ4-M2XZ-9HJT"
EMOJI = CouponFace(
    "Café Aurora", "Free cake 🍰 + coffee ☕", CODE, "Valid until 28 Sep 2026", "Show this coupon to our staff"
)
LONG = CouponFace(
    "The Grand Old Riverside Coffee House and Patisserie of Saint Mary's Square",
    "Two large cappuccinos with oat milk and two slices of the chef's famous lemon meringue pie",
    CODE,
    "Valid until 28 Sep 2026",
    "Show this coupon to our staff",
)
TOO_LONG = replace(LONG, prize=" ".join([LONG.prize] * 3), venue=" ".join([LONG.venue] * 2))
# Every character here is in the CJK test font; its digits and Latin come from DejaVu Sans.
JAPANESE = CouponFace(
    "喫茶ルナ", "抹茶ラテとどら焼き ☕", CODE, "2026年12月28日まで有効", "このクーポンをスタッフにお見せください"
)


def config_with_fonts(folder: Path, fonts: list[Path]) -> ClientConfig:
    """The demo client with these fonts copied beside its file and listed in coupon.fonts."""
    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load((ROOT / "clients" / "demo.yaml").read_text(encoding="utf-8"))
    shutil.copytree(ROOT / "clients" / "assets", folder / "assets", dirs_exist_ok=True)
    for font in fonts:
        shutil.copy(font, folder / font.name)
    data["coupon"]["fonts"] = [font.name for font in fonts]
    return parse_client_config(data, "gallery", folder)


def main(out: Path = ROOT / "out" / "coupons") -> int:
    written = []
    for client_file in client_files(ROOT / "clients"):
        config = load_client_config(client_file)
        prize_ids = [prize.id for prize in config.prizes]
        for language, index, face in coupon_faces(config):
            written.append(out / config.client_id / f"{prize_ids[index]}-{language}.png")
            written[-1].parent.mkdir(parents=True, exist_ok=True)
            written[-1].write_bytes(render_coupon(replace(face, code=CODE), config).png)
    demo = load_client_config(ROOT / "clients" / "demo.yaml")
    japanese = config_with_fonts(out / "samples" / "config", [CJK_FONT])
    samples = {"emoji": (EMOJI, demo), "long": (LONG, demo), "cut": (TOO_LONG, demo), "japanese": (JAPANESE, japanese)}
    for name, (face, config) in samples.items():
        written.append(out / "samples" / f"{name}.png")
        written[-1].write_bytes(render_coupon(face, config).png)
    shutil.rmtree(out / "samples" / "config")
    print("\n".join(str(path.relative_to(ROOT)) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
