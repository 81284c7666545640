"""`tagback sign`: a PDF per language of the page size asked for, with every text of the sign (read back with
poppler's pdftotext), the QR code of the venue's profile, CJK from the client's font, and a PNG of it."""

from __future__ import annotations

import re
import shutil
import subprocess
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from tagback.app.sign import sign_face, sign_faces
from tagback.config.loading import ConfigError, load_client_config, parse_client_config
from tagback.config.model import ClientConfig
from tests.conftest import ROOT
from tests.coupon_gallery import CJK_FONT
from tools.sign import main
from tools.sign_pdf import PAGE_MM, SignProblem, draw_sign

LUNA = ROOT / "clients" / "luna.yaml"
TULP = ROOT / "tests" / "fixtures" / "clients" / "tulp.yaml"
POINTS_PER_MM = 72 / 25.4


def poppler(tool: str, *arguments: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is missing: `make test` installs poppler-utils"
    return subprocess.run([found, *arguments], capture_output=True, text=True, check=True).stdout


def pdf_of(config: ClientConfig, language: str, size: str, folder: Path) -> Path:
    pdf = folder / f"{config.client_id}-{language}-{size}.pdf"
    pdf.write_bytes(draw_sign(sign_face(config, language), config, size).pdf)  # type: ignore[arg-type]
    return pdf


def page_size_mm(pdf: Path) -> tuple[float, float]:
    found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", poppler("pdfinfo", str(pdf)))
    assert found
    return round(float(found[1]) / POINTS_PER_MM, 1), round(float(found[2]) / POINTS_PER_MM, 1)


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("size", ["A5", "A4", "A6"])
def test_the_sign_is_one_page_of_the_size_asked_for(size: str, tmp_path: Path) -> None:
    pdf = pdf_of(load_client_config(ROOT / "clients" / "demo.yaml"), "de", size, tmp_path)
    assert page_size_mm(pdf) == PAGE_MM[size]  # type: ignore[index]
    assert "Pages:           1" in poppler("pdfinfo", str(pdf))


@pytest.mark.parametrize("config_file", [ROOT / "clients" / "demo.yaml", LUNA, TULP])
def test_every_text_of_each_languages_sign_is_in_its_pdf(config_file: Path, tmp_path: Path) -> None:
    config = load_client_config(config_file)
    for face in sign_faces(config):
        text = words(poppler("pdftotext", str(pdf_of(config, face.language, "A5", tmp_path)), "-"))
        missing = [shown for shown in face.texts if words(shown) not in text]
        assert not missing, f"{config.client_id} {face.language}: {missing}"
        assert f"@{config.instagram_username}" in text
        assert all(prize.name_in(face.language) in text for prize in config.prizes)


def test_the_texts_are_the_catalogs_with_the_venue_and_its_prizes() -> None:
    demo = load_client_config(ROOT / "clients" / "demo.yaml")
    face = sign_face(demo, "en")
    assert face.steps == (
        "Make sure your account is public (or follow us first)",
        "Post a photo or video of your visit to your Story",
        "Tag @cafe.aurora with the mention sticker",
        "Get your prize in your DMs within seconds",
    )
    assert (face.teaser, face.prizes) == (
        "Win one of these prizes:",
        ("Free espresso", "Free pastel de nata", "Brunch for two"),
    )
    assert face.terms == "Promotion terms: https://cafe-aurora.example/story-prize-terms"
    assert sign_face(load_client_config(LUNA), "es").terms is None  # no terms_url: no line


def test_the_qr_code_opens_the_venues_instagram_profile() -> None:
    # No QR decoder is installed here: the payload the drawing encodes is asserted.
    config = load_client_config(LUNA)
    drawn = draw_sign(sign_face(config, "es"), config, "A5")
    assert drawn.qr_payload == "https://www.instagram.com/taquerialuna/"


def luna_with(**changes: Any) -> ClientConfig:
    data = yaml.safe_load(LUNA.read_text(encoding="utf-8"))
    return parse_client_config(deepcopy(data) | changes, "luna.yaml", LUNA.parent)


def fixed_japanese_prize(folder: Path, fonts: list[str]) -> ClientConfig:
    """Luna with one prize, named in Japanese, and these fonts beside its file."""
    shutil.copy(CJK_FONT, folder / CJK_FONT.name)
    data = yaml.safe_load(LUNA.read_text(encoding="utf-8"))
    matcha = "抹茶ラテとどら焼き"
    data["prizes"] = [{"id": "matcha", "name": matcha, "names": {"en": matcha}, "weight": 100}]
    data["coupon"]["fonts"] = fonts
    return parse_client_config(data, "luna.yaml", folder)


def test_cjk_text_comes_from_the_clients_font_with_no_glyph_missing(tmp_path: Path) -> None:
    config = fixed_japanese_prize(tmp_path, [CJK_FONT.name])
    face = sign_face(config, "es")
    assert face.teaser == "Tu premio: 抹茶ラテとどら焼き" and face.prizes == ()  # one prize: named, no list
    pdf = pdf_of(config, "es", "A5", tmp_path)
    assert "Tu premio: 抹茶ラテとどら焼き" in words(poppler("pdftotext", str(pdf), "-"))
    embedded = [line.split()[0].split("+")[-1] for line in poppler("pdffonts", str(pdf)).splitlines()[2:]]
    assert embedded == ["DejaVuSansBook", "DejaVuSansBold", "TagbackTestCJKSubset"]


def test_a_character_no_font_has_is_refused_with_its_code_point(tmp_path: Path) -> None:
    config = fixed_japanese_prize(tmp_path, [])
    with pytest.raises(SignProblem, match=r"es sign: '抹' \(U\+62B9\).*coupon.fonts"):
        draw_sign(sign_face(config, "es"), config, "A5")


def test_texts_too_long_for_the_page_are_refused_naming_the_size() -> None:
    long = "Recibe tu premio por mensaje directo en segundos. " * 18  # each within Meta's limit, as every text
    config = luna_with(messages={"es": {"sign_public": long, "sign_story": long, "sign_dm": long}})
    with pytest.raises(SignProblem, match="do not fit an A6 page"):
        draw_sign(sign_face(config, "es"), config, "A6")


def test_a_language_without_built_in_texts_must_give_the_signs(tmp_path: Path) -> None:
    data = yaml.safe_load(TULP.read_text(encoding="utf-8"))
    del data["messages"]["nl"]["sign_tag"]
    with pytest.raises(ConfigError) as refused:
        parse_client_config(data, "tulp.yaml", TULP.parent)
    assert any(problem.startswith("messages.nl.sign_tag: missing") for problem in refused.value.problems)


def test_the_command_writes_a_pdf_and_a_png_per_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(LUNA), "--size", "A6", "--out", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    for language in ("es", "en"):
        pdf = tmp_path / "sign" / "luna" / f"sign-{language}-A6.pdf"
        assert str(pdf) in said
        assert page_size_mm(pdf) == PAGE_MM["A6"]
        with Image.open(pdf.with_suffix(".png")) as png:  # 150 dots per inch, pdftoppm rounding up
            assert abs(png.size[0] - 105 / 25.4 * 150) <= 1 and abs(png.size[1] - 148 / 25.4 * 150) <= 1
