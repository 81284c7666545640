"""`python -m tools.preview clients/<id>.yaml [--out out]` (`make preview CLIENT=<id>`): the whole conversation the
venue's guests get, in every language, as out/preview/<id>/index.html — played by the real engine (app/preview.py)
on tables in moto's memory, so no AWS and no network."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tagback.adapters.coupon_image import render_coupon
from tagback.adapters.emoji_webfont import emoji_subset
from tagback.adapters.phones import valid_phone
from tagback.app.preview import preview
from tagback.config.loading import ConfigError, load_client_config
from tagback.domain.clock import SystemClock
from tools.memory_table import memory_tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preview", description=__doc__)
    parser.add_argument("client_file", type=Path, help="clients/<client-id>.yaml")
    parser.add_argument("--out", type=Path, default=Path("out"))
    arguments = parser.parse_args(argv)
    try:
        config = load_client_config(arguments.client_file)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    with memory_tables() as tables:
        page = preview(
            config,
            arguments.out / "preview" / config.client_id,
            new_table=tables.new,
            draw_coupon=lambda face, config: render_coupon(face, config).png,
            emoji_font=emoji_subset,
            valid_phone=valid_phone,
            now=SystemClock().now(),
        )
    print(f"{config.venue_name}: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
