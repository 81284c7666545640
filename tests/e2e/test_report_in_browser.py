"""The report as the owner sees it: rendered by a real browser (headless Chromium) at a phone's width (375 px) and a
desktop's (1024 px), measured for anything cut off or broken over two lines, screenshot to out/<client>-report-375.png
and out/<client>-report-1024.png (the demo café's in English, Taquería Luna's in Spanish).

Headless Chromium lays a page out at 500 px at the least, whatever the window, so the report is shown in an iframe
of the width under test: its viewport is exactly that wide.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tagback.app.report import build_report
from tagback.app.report_email import render_html
from tagback.config.loading import load_client_config
from tagback.config.model import ClientConfig
from tagback.domain.languages import LANGUAGES
from tagback.messages.report_labels import LABELS
from tests.conftest import DEMO_CONFIG, ROOT
from tests.unit.test_reporting import OCTOBER, SEPTEMBER, client

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
WINDOW = 1100  # wider than any width under test, and than headless Chromium's least
# Per-table prizes and where the review links were opened too, so their lines are measured and pictured.
STATS = (
    OCTOBER
    | {
        f"awards_table_{table}": count
        for table, count in zip(range(1, 15), [6, 2, 9, 4, 1, 3, 2, 5, 1, 1, 7, 2, 1, 3], strict=True)
    }
    | {"review_link_browser_in_app": 9, "review_link_browser_ios": 2, "review_link_browser_android": 2}
    | {"review_link_browser_desktop": 1}
)
# Taquería Luna's prizes that month, one of them not handed out; no Google rating (it has no Places API key).
LUNA_STATS = {name: value for name, value in STATS.items() if not name.startswith("rating")} | {
    "awards_prize_churros": 21,
    "awards_prize_agua-fresca": 12,
    "awards_prize_taco-platter": 0,
}
# The 1st of a month, before its first snapshot: most figures "not available", their column narrow.
EARLY = {"mentions": 3, "awards": 2}
# Run inside the report: its viewport, how wide the document is, every element that sticks out of the viewport or
# whose content overflows its box (a number cut off or spilling over its neighbour), and every "not available"
# broken over two lines (an inline element has a box per line it spans).
MEASURE = """<script>
(function () {
  var width = window.innerWidth, outside = [], overflowing = [], broken = [], unbroken = 0;
  var all = document.body.getElementsByTagName("*");
  for (var i = 0; i < all.length; i++) {
    var element = all[i], box = element.getBoundingClientRect();
    var what = element.tagName + " " + (element.textContent || "").trim().slice(0, 40);
    if (box.width && (box.right > width + 0.5 || box.left < -0.5)) outside.push(what);
    if (element.clientWidth && element.scrollWidth > element.clientWidth + 1) overflowing.push(what);
    var text = element.firstChild && element.firstChild.nodeType === 3 ? element.firstChild.nodeValue : "";
    if (text.replace(/\u00a0/g, " ") === NOT_AVAILABLE) {
      if (element.getClientRects().length > 1) broken.push(what); else unbroken++;
    }
  }
  parent.document.getElementById("measured").textContent = JSON.stringify({
    viewport: width, scrollWidth: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
    outside: outside, overflowing: overflowing, broken: broken, unbroken: unbroken});
})();
</script>"""


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


def framed(page: str, width: int, height: int, *, measured: bool = False) -> str:
    """A page showing the report in an iframe `width` px wide (and, `measured`, the report's measurements)."""
    language = re.search(r'<html lang="([^"]+)"', page)
    assert language, "the report names its language"
    not_available = json.dumps(LABELS["not_available"][language.group(1)])
    script = MEASURE.replace("NOT_AVAILABLE", not_available)
    report = page.replace("</body>", f"{script}</body>") if measured else page
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        f'<iframe srcdoc="{html.escape(report, quote=True)}" '
        f'style="border:0;display:block;width:{width}px;height:{height}px"></iframe>'
        '<pre id="measured"></pre></body></html>'
    )


def measure(chromium: str, page: str, width: int, where: Path) -> dict[str, Any]:
    where.write_text(framed(page, width, 600, measured=True), encoding="utf-8")
    dom = run(chromium, f"--window-size={WINDOW},800", "--dump-dom", where.as_uri()).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found and found.group(1), "the measuring script did not run"
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


def assert_nothing_cut_off(measured: dict[str, Any], width: int) -> None:
    assert measured["viewport"] == width
    assert measured["scrollWidth"] <= width, measured  # no sideways scrolling: nothing past the right edge
    assert measured["outside"] == [] and measured["overflowing"] == [], measured
    assert measured["broken"] == [] and measured["unbroken"] > 0, measured  # "not available" on one line


def seeded(config: ClientConfig, stats: dict[str, Any]) -> str:
    """The client's report of October from seeded figures, also written to out/<client>-report-seeded-2026-10.html."""
    page = render_html(build_report(config, "2026-10", stats, SEPTEMBER, agency="Demo Agency"))
    (ROOT / "out").mkdir(exist_ok=True)
    (ROOT / "out" / f"{config.client_id}-report-seeded-2026-10.html").write_text(page, encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def report_page(demo_config: ClientConfig) -> str:
    return seeded(demo_config, STATS)


@pytest.mark.parametrize("width", [375, 1024])
@pytest.mark.parametrize("client_file", ["demo.yaml", "luna.yaml"])
def test_the_report_reads_at_a_phones_and_a_desktops_width(
    chromium: str, client_file: str, width: int, tmp_path: Path
) -> None:
    config = load_client_config(DEMO_CONFIG.parent / client_file)
    page = seeded(config, STATS if config.client_id == "demo" else LUNA_STATS)
    measured = measure(chromium, page, width, tmp_path / "measure.html")
    assert_nothing_cut_off(measured, width)
    height = measured["height"]
    shown = tmp_path / "shown.html"
    shown.write_text(framed(page, width, height), encoding="utf-8")
    full = tmp_path / "full.png"
    run(chromium, f"--window-size={WINDOW},{height}", f"--screenshot={full}", shown.as_uri())
    screenshot = ROOT / "out" / f"{config.client_id}-report-{width}.png"
    Image.open(full).crop((0, 0, width, height)).save(screenshot)
    picture = Image.open(screenshot).convert("RGB")
    assert picture.size == (width, height)
    colours = picture.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert max(count for count, _ in colours) < 0.9 * picture.width * picture.height
    if width == 375:  # the card fills the phone: the venue's colour reaches its right edge, inside the screen
        background = config.coupon.background
        assert picture.getpixel((width - 12, 30)) == tuple(int(background[i : i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("stats", [STATS, EARLY], ids=["seeded", "early"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_language_cuts_anything_off_on_a_phone(
    chromium: str, demo_config: ClientConfig, language: str, stats: dict[str, Any], tmp_path: Path
) -> None:
    settings = {"recipients": ["owner@cafe.example"], "sender": "reports@tagback.example", "language": language}
    page = render_html(build_report(client(demo_config, report=settings), "2026-10", stats, SEPTEMBER, "Demo Agency"))
    assert_nothing_cut_off(measure(chromium, page, 375, tmp_path / "measure.html"), 375)


def test_the_report_renders_with_its_headline_numbers(chromium: str, report_page: str) -> None:
    dom = run(chromium, "--dump-dom", (ROOT / "out" / "demo-report-seeded-2026-10.html").as_uri()).stdout
    text = html.unescape(dom)
    for shown in (
        "Café Aurora",
        "Prepared by Demo Agency",
        "From story to review",
        "Story mentions",
        "40",
        "+15",
        "Guests who got a prize",
        "Accounts reached on Instagram",
        "32,20\xa0€",  # as Portugal writes euros, in English
        "Table 3",
        "Sun, 25 Oct",
        "not\xa0available",
        "Opened in: Instagram or Facebook 9 · Android 2 · iPhone 2 · computer 1",
    ):
        assert shown in text, shown
