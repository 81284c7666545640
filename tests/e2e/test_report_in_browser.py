"""The report as the owner sees it: rendered by a real browser (headless Chromium), screenshot and page text."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from tagback.app.report import build_report
from tagback.app.report_email import render_html
from tagback.config.model import ClientConfig
from tests.conftest import ROOT
from tests.unit.test_reporting import OCTOBER, SEPTEMBER

pytestmark = pytest.mark.e2e
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        ):
            subprocess.run(command, capture_output=True, timeout=900, check=False)
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("Debian's chromium is not installed and could not be installed here (needs root and apt-get)")
    return found


def run(chromium: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *arguments],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


def test_the_report_renders_with_its_headline_numbers(chromium: str, demo_config: ClientConfig) -> None:
    page = ROOT / "out" / "report-seeded-2026-10.html"
    page.parent.mkdir(exist_ok=True)
    page.write_text(render_html(build_report(demo_config, "2026-10", OCTOBER, SEPTEMBER)), encoding="utf-8")
    screenshot = page.with_suffix(".png")
    run(chromium, "--window-size=700,1500", f"--screenshot={screenshot}", page.as_uri())
    picture = Image.open(screenshot).convert("RGB")
    colours = picture.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert max(count for count, _ in colours) < 0.9 * picture.width * picture.height
    text = run(chromium, "--dump-dom", page.as_uri()).stdout
    for shown in (
        "Your Tagback month",
        "Story mentions",
        "40",
        "+15",
        "Guests reached",
        "31",
        "€32.20",
        "2026-10-25",
        "not available",
    ):
        assert shown in text, shown
    assert Path(screenshot).stat().st_size > 10_000
