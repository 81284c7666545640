"""`python -m tools.sign clients/<id>.yaml [--size A5|A4|A6] [--out out]` (`make sign CLIENT=<id> [SIZE=A4]`): the
printable table sign, out/sign/<id>/sign-<language>-<size>.pdf and .png, per language the venue offers (texts:
app/sign.py; drawing: tools/sign_pdf.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tagback.app.sign import SIGN_SIZES, sign_faces
from tagback.config.loading import ConfigError, load_client_config
from tools.sign_pdf import SignProblem, draw_sign, pdf_to_png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sign", description=__doc__)
    parser.add_argument("client_file", type=Path, help="clients/<client-id>.yaml")
    parser.add_argument("--size", choices=SIGN_SIZES, default=SIGN_SIZES[0], help="the page (default A5, portrait)")
    parser.add_argument("--out", type=Path, default=Path("out"))
    arguments = parser.parse_args(argv)
    try:
        config = load_client_config(arguments.client_file)
        folder = arguments.out / "sign" / config.client_id
        folder.mkdir(parents=True, exist_ok=True)
        for face in sign_faces(config):
            pdf = folder / f"sign-{face.language}-{arguments.size}.pdf"
            pdf.write_bytes(draw_sign(face, config, arguments.size).pdf)
            pdf_to_png(pdf, pdf.with_suffix(".png"))
            print(f"{config.venue_name} ({face.language}, {arguments.size}): {pdf} and {pdf.with_suffix('.png').name}")
    except (ConfigError, SignProblem) as problem:
        print(f"error: {arguments.client_file}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
