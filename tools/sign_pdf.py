"""The table sign as a PDF (fpdf2, a dev dependency: an operator tool's, in no layer) and its PNG (poppler's
pdftoppm): a band in the coupon's colours with the venue and the title, the four numbered steps, the prize teaser,
and at the foot the QR code of the venue's profile (drawn as vector squares: sharp at any print size), the line
beside it and the promotion terms.

Text is set in the bundled DejaVu Sans, each character DejaVu lacks from the client's coupon fonts (a CJK font, say),
embedded as subsets: the PDF needs no font on the printer's machine. A character no font has is refused before
anything is drawn, named with its code point; texts that do not fit the page are set smaller, step by step, down to
a floor, and past it refused.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import qrcode
from fontTools.ttLib import TTFont
from fpdf import FPDF

from tagback.adapters.coupon_image import BOLD, REGULAR
from tagback.app.sign import SignFace, SignSize
from tagback.config.model import ClientConfig, CouponTemplate

PAGE_MM: Final[dict[SignSize, tuple[float, float]]] = {"A4": (210, 297), "A5": (148, 210), "A6": (105, 148)}
_SCALES: Final = (1.0, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6)  # the texts' sizes tried, largest first
_PT: Final = 25.4 / 72  # mm per point
_INK: Final = (34, 34, 34)
_MUTED: Final = (90, 90, 90)


class SignProblem(ValueError):
    """A sign that cannot be drawn whole: what to change, with the language."""


@dataclass(frozen=True)
class DrawnSign:
    pdf: bytes
    size: SignSize
    scale: float  # of the texts' largest sizes, to fit the page
    qr_payload: str


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@lru_cache(maxsize=16)
def _coverage(path: Path) -> frozenset[int]:
    with TTFont(str(path), lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(face: SignFace, fonts: list[Path]) -> str:
    """The characters of the sign no font has (DejaVu Sans, then the client's coupon fonts)."""
    covered = frozenset().union(*(_coverage(path) for path in [REGULAR, *fonts]))
    found = [ch for text in face.texts for ch in text if not ch.isspace() and ord(ch) not in covered]
    return "".join(dict.fromkeys(found))


class _Sign(FPDF):
    def __init__(self, size: SignSize, fonts: list[Path]) -> None:
        super().__init__(unit="mm", format=PAGE_MM[size])  # ISO 216, in mm: no name to look up
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.add_font("DejaVu", "", REGULAR)
        self.add_font("DejaVu", "B", BOLD)
        fallbacks = []
        for index, path in enumerate(fonts):
            self.add_font(f"client{index}", "", path)
            fallbacks.append(f"client{index}")
        self.set_fallback_fonts(fallbacks, exact_match=False)
        self.add_page()

    def text_block(
        self, x: float, width: float, text: str, points: float, *, bold: bool = False, align: str = "L"
    ) -> float:
        """Sets `text` wrapped to `width` from the current y; returns its height."""
        self.set_font("DejaVu", "B" if bold else "", points)
        self.set_x(x)
        before = self.get_y()
        self.multi_cell(width, points * _PT * 1.25, text, align=align, new_x="LMARGIN", new_y="NEXT")
        return self.get_y() - before

    def text_height(self, width: float, text: str, points: float, *, bold: bool = False) -> float:
        self.set_font("DejaVu", "B" if bold else "", points)
        height = self.multi_cell(width, points * _PT * 1.25, text, dry_run=True, output="HEIGHT")
        return float(height)  # type: ignore[arg-type]

    def qr(self, payload: str, x: float, y: float, side: float) -> None:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(payload)
        code.make(fit=True)
        matrix = code.get_matrix()
        module = side / len(matrix)
        for row, cells in enumerate(matrix):
            column = 0
            while column < len(cells):  # each run of dark modules in a row as one rectangle
                if not cells[column]:
                    column += 1
                    continue
                start = column
                while column < len(cells) and cells[column]:
                    column += 1
                self.rect(x + start * module, y + row * module, (column - start) * module, module, style="F")


@dataclass(frozen=True)
class _Page:
    """One attempt at the sign: the page, its scale to A5 (`k`) and the texts' scale to their largest sizes."""

    pdf: _Sign
    face: SignFace
    template: CouponTemplate
    width: float
    height: float
    k: float
    scale: float

    @property
    def margin(self) -> float:
        return 11 * self.k

    @property
    def inner(self) -> float:
        return self.width - 2 * self.margin

    def band(self) -> float:
        """The venue and the title in the coupon's colours; returns where the band ends."""
        pdf, k, inner = self.pdf, self.k, self.inner
        venue_pt, title_pt = 15 * k * self.scale, 24 * k * self.scale
        bottom = 9 * k + pdf.text_height(inner, self.face.venue, venue_pt) + 3 * k
        bottom += pdf.text_height(inner, self.face.title, title_pt, bold=True) + 9 * k
        pdf.set_fill_color(*_rgb(self.template.background))
        pdf.rect(0, 0, self.width, bottom, style="F")
        pdf.set_y(9 * k)
        pdf.set_text_color(*_rgb(self.template.foreground))
        pdf.text_block(self.margin, inner, self.face.venue, venue_pt, align="C")
        pdf.set_y(pdf.get_y() + 3 * k)
        pdf.set_text_color(*_rgb(self.template.accent))
        pdf.text_block(self.margin, inner, self.face.title, title_pt, bold=True, align="C")
        return bottom

    def steps(self, y: float) -> float:
        """The four steps from `y`, numbered in the coupon's colours; returns where they end."""
        pdf, k = self.pdf, self.k
        step_pt, disc = 13 * k * self.scale, 8 * k * self.scale
        for number, step in enumerate(self.face.steps, start=1):
            pdf.set_fill_color(*_rgb(self.template.background))
            pdf.ellipse(self.margin, y, disc, disc, style="F")
            pdf.set_text_color(*_rgb(self.template.foreground))
            pdf.set_font("DejaVu", "B", step_pt)
            pdf.set_xy(self.margin, y)
            pdf.cell(disc, disc, str(number), align="C")
            pdf.set_text_color(*_INK)
            pdf.set_y(y + max(0.0, (disc - step_pt * _PT * 1.25) / 2))
            used = pdf.text_block(self.margin + disc + 4 * k, self.inner - disc - 4 * k, step, step_pt)
            y += max(disc, used) + 5 * k
        return y

    def teaser(self, y: float) -> float:
        """The prize teaser from `y`, framed in the accent colour; returns where the frame ends."""
        pdf, k, width = self.pdf, self.k, self.inner - 10 * self.k
        teaser_pt, prize_pt = 14 * k * self.scale, 13 * k * self.scale
        listed = "\n".join(f"•  {name}" for name in self.face.prizes)
        box = 5 * k + pdf.text_height(width, self.face.teaser, teaser_pt, bold=True) + 5 * k
        box += (2 * k + pdf.text_height(width, listed, prize_pt)) if listed else 0
        pdf.set_draw_color(*_rgb(self.template.accent))
        pdf.set_line_width(0.8 * k)
        pdf.rect(self.margin, y, self.inner, box, style="D", round_corners=True, corner_radius=4 * k)
        pdf.set_y(y + 5 * k)
        pdf.set_text_color(*_INK)
        pdf.text_block(self.margin + 5 * k, width, self.face.teaser, teaser_pt, bold=True, align="C")
        if listed:
            pdf.set_y(pdf.get_y() + 2 * k)
            pdf.text_block(self.margin + 5 * k, width, listed, prize_pt)
        return y + box

    def foot(self) -> float:
        """From the bottom up: the terms, the line beside the QR code, the QR code; returns the QR code's top."""
        pdf, k, inner = self.pdf, self.k, self.inner
        terms_pt, scan_pt, side = 8 * k * self.scale, 11 * k * self.scale, 34 * k
        top = self.height - 8 * k
        if self.face.terms:
            top -= pdf.text_height(inner, self.face.terms, terms_pt)
            pdf.set_y(top)
            pdf.set_text_color(*_MUTED)
            pdf.text_block(self.margin, inner, self.face.terms, terms_pt, align="C")
            top -= 3 * k
        top -= pdf.text_height(inner, self.face.scan, scan_pt)
        pdf.set_y(top)
        pdf.set_text_color(*_INK)
        pdf.text_block(self.margin, inner, self.face.scan, scan_pt, align="C")
        top -= 2 * k + side
        pdf.set_fill_color(*_INK)
        pdf.qr(self.face.profile_url, (self.width - side) / 2, top, side)
        return top


def _compose(face: SignFace, config: ClientConfig, size: SignSize, scale: float) -> tuple[_Sign, bool]:
    """The sign at `scale` of its texts' largest sizes (laid out for A5, scaled with the page), and whether it fits
    the page: the content above the QR code, clear of it."""
    width, height = PAGE_MM[size]
    pdf = _Sign(size, [config.asset(path) for path in config.coupon.fonts])
    page = _Page(pdf, face, config.coupon, width, height, width / PAGE_MM["A5"][0], scale)
    content_end = page.teaser(page.steps(page.band() + 8 * page.k))
    return pdf, content_end + 6 * page.k <= page.foot()


def draw_sign(face: SignFace, config: ClientConfig, size: SignSize) -> DrawnSign:
    fonts = [config.asset(path) for path in config.coupon.fonts]
    missing = missing_glyphs(face, fonts)
    if missing:
        listed = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
        raise SignProblem(
            f"{face.language} sign: {listed} cannot be drawn: no font has them (DejaVu Sans, then coupon.fonts); add "
            "a font that covers them to coupon.fonts, or change the text"
        )
    for scale in _SCALES:
        pdf, fits = _compose(face, config, size, scale)
        if fits:
            return DrawnSign(bytes(pdf.output()), size, scale, face.profile_url)
    raise SignProblem(
        f"{face.language} sign: its texts do not fit an {size} page even at {_SCALES[-1]:.0%} of their size: "
        "shorten the sign_* texts or the prize names, or choose a larger --size"
    )


def pdf_to_png(pdf: Path, png: Path, dpi: int = 150) -> None:
    """The PDF's page as a PNG, rendered by poppler's pdftoppm (Debian's poppler-utils; `make test` installs it)."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SignProblem("pdftoppm is not installed: apt-get install poppler-utils (Debian), then run sign again")
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [pdftoppm, "-png", "-r", str(dpi), "-singlefile", str(pdf), str(png.with_suffix(""))], check=True
    )
