"""The preview page as the owner sees it on a phone: headless Chromium at 375 px, nothing sticking out or cut off,
every coupon loaded, the chat there; the screenshot is kept as out/preview/<client>/preview-375.png."""

from __future__ import annotations

import html
import re

import pytest
from PIL import Image

from tagback.config.loading import load_client_config
from tests.conftest import ROOT
from tests.e2e.test_report_in_browser import WINDOW, chromium, framed, measure, run
from tools.preview import main

pytestmark = pytest.mark.e2e
__all__ = ["chromium"]  # the fixture, shared with the report's test
WIDTH = 375
COUPONS_LOADED = """<script>
addEventListener("load", function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) if (images[i].complete && images[i].naturalWidth > 0) loaded++;
  document.title = loaded + "/" + images.length;
});
</script>"""


@pytest.mark.parametrize("client", ["demo", "luna"])
def test_the_preview_reads_on_a_phone(chromium: str, client: str) -> None:
    assert main([str(ROOT / "clients" / f"{client}.yaml"), "--out", str(ROOT / "out")]) == 0
    folder = ROOT / "out" / "preview" / client
    page = (folder / "index.html").read_text(encoding="utf-8")
    measured = measure(chromium, page, WIDTH, folder / "measure.html")  # beside the page: its coupons resolve
    assert measured["viewport"] == WIDTH
    assert measured["scrollWidth"] <= WIDTH, measured  # no sideways scrolling
    assert measured["outside"] == [] and measured["overflowing"] == [], measured

    counted = folder / "loaded.html"
    counted.write_text(page.replace("</body>", f"{COUPONS_LOADED}</body>"), encoding="utf-8")
    dom = run(chromium, "--dump-dom", counted.as_uri()).stdout
    title = re.search(r"<title>(\d+)/(\d+)</title>", dom)
    assert title and title[1] == title[2] and int(title[2]) > 0, "a coupon image did not load"
    assert (
        f"{load_client_config(ROOT / 'clients' / f'{client}.yaml').venue_name}: what guests receive"
        in html.unescape(dom)
    )

    shown = folder / "shown.html"
    shown.write_text(framed(page, WIDTH, measured["height"]), encoding="utf-8")
    full = folder / "full.png"
    run(chromium, f"--window-size={WINDOW},{measured['height']}", f"--screenshot={full}", shown.as_uri())
    screenshot = folder / f"preview-{WIDTH}.png"
    Image.open(full).crop((0, 0, WIDTH, measured["height"])).save(screenshot)
    for scratch in (full, shown, counted, folder / "measure.html"):
        scratch.unlink()
    colours = Image.open(screenshot).convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, "the screenshot is (nearly) blank"
