"""The staff redemption page through the sandbox's edge, as a phone at the counter meets it: a guest's real coupon
(story mention → prize DM), its QR link, VALID → Redeem with a PIN → ALREADY USED; two phones at once; a forged code
answered without a read of the venue's table (counted); the wrong-PIN lockout and its release on the sandbox clock;
an expired coupon. Every state's page is looked at in headless Chromium at 375 px: its text (the DOM it renders) and a
screenshot, kept in out/redemption/ (`make redemption-pages` runs this file)."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from sandbox.chat import Guest
from sandbox.iam import acting_role
from sandbox.resources import SANDBOX_SIGNING_KEY, SANDBOX_STAFF_PINS
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.domain.awards import AwardKey, Coupon
from tagback.domain.prizes import new_coupon_code
from tagback.store.schema import guest_key
from tests.conftest import ROOT
from tests.e2e.test_report_in_browser import chromium, run

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "out" / "redemption"
ANA, RUI = SANDBOX_STAFF_PINS["Ana"], SANDBOX_STAFF_PINS["Rui"]
__all__ = ["chromium"]  # the fixture, shared with the report's browser test


class TableCalls:
    """Every DynamoDB call the edge's redemption function makes, by table and operation (a botocore hook on the
    default session, installed before the sandbox makes its clients)."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.role = ""

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.role and acting_role() == self.role:
            self.calls[(params.get("TableName", ""), model.name)] += 1

    def on(self, table: str) -> int:
        return sum(n for (name, _), n in self.calls.items() if name == table)


@pytest.fixture(scope="module")
def table_calls() -> Iterator[TableCalls]:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    calls = TableCalls()
    events = boto3.DEFAULT_SESSION.events
    events.register("before-parameter-build.dynamodb", calls, unique_id="tagback-redemption-calls")
    yield calls
    events.unregister("before-parameter-build.dynamodb", unique_id="tagback-redemption-calls")


@pytest.fixture(scope="module")
def sandbox(table_calls: TableCalls) -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        table_calls.role = running._edge_role("redemption")
        yield running


def coupon_of(sandbox: Sandbox, guest_id: str) -> str:
    """A guest's coupon, won as guests win it: a story mention, English, the prize DM."""
    guest = Guest(sandbox, guest_id)
    guest.mention()
    guest.tap("English")
    award = next(i for i in sandbox.venue().store.table.items_under(guest_key(guest_id)) if i["item_type"] == "award")
    return str(award["coupon_code"])


def page_url(sandbox: Sandbox, code: str, client_id: str = "demo") -> str:
    return f"{sandbox.url}/c/{client_id}/{code}"


def form_token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, "the page offers the PIN form"
    return found.group(1)


def redeem(sandbox: Sandbox, code: str, pin: str, token: str) -> requests.Response:
    """Press "Redeem" as the page's own form does: a form post from the edge's origin."""
    return requests.post(
        page_url(sandbox, code), data={"pin": pin, "token": token}, headers={"Origin": sandbox.url}, timeout=10
    )


def look(chromium: str, name: str, url_or_html: str, tmp_path: Path) -> str:
    """The page in headless Chromium, 375 px wide: its screenshot in out/redemption/<name>.png, its rendered text.
    A page only a POST shows is looked at from its HTML (saved beside the screenshot)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if url_or_html.startswith("<"):
        saved = SHOTS / f"{name}.html"
        saved.write_text(url_or_html, encoding="utf-8")
        url_or_html = saved.as_uri()
    run(chromium, "--window-size=375,812", f"--screenshot={SHOTS / f'{name}.png'}", url_or_html)
    dom = run(chromium, "--window-size=375,812", "--dump-dom", url_or_html).stdout
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom.split("<body", 1)[1]))


def test_valid_then_redeemed_with_a_pin_then_already_used(sandbox: Sandbox, chromium: str, tmp_path: Path) -> None:
    code = coupon_of(sandbox, "6170000000000801")
    shown = requests.get(page_url(sandbox, code), timeout=10)
    assert shown.status_code == 200 and "Content-Security-Policy" in shown.headers
    assert "script" not in shown.headers["Content-Security-Policy"] and "<script" not in shown.text
    text = look(chromium, "valid", page_url(sandbox, code), tmp_path)
    assert "✓ Valid" in text and "Café Aurora" in text and code in text and "Staff PIN" in text and "Redeem" in text
    assert re.search(r"Free (espresso|pastel de nata)|Brunch for two", text)  # the demo's prizes, in English
    redeemed = redeem(sandbox, code, RUI, form_token(shown.text))
    assert redeemed.status_code == 200
    text = look(chromium, "redeemed", redeemed.content.decode(), tmp_path)
    assert "✓ Redeemed" in text and "Give the prize now." in text and "Rui" in text
    text = look(chromium, "already-used", page_url(sandbox, code), tmp_path)
    assert "✗ Already used" in text and "Rui" in text and "Do not give the prize again." in text
    assert "Redeem" not in text.replace("Redeemed", "")  # no form on a used coupon
    again = redeem(sandbox, code, ANA, form_token(shown.text))
    assert again.status_code == 409 and "Already used" in again.text
    coupon = sandbox.venue().store.coupons.get(code)
    assert coupon is not None and coupon["redeemed_by"] == "Rui"
    events = [i for i in sandbox.venue().store.table.items_of_type("outbox") if i.get("coupon_code") == code]
    # The owner's sheet and CRM hear of the award, then of its redemption, once.
    assert sorted(e["event_type"] for e in events) == ["award", "redemption"]


def test_two_phones_redeeming_at_once_redeem_once(sandbox: Sandbox) -> None:
    code = coupon_of(sandbox, "6170000000000802")
    token = form_token(requests.get(page_url(sandbox, code), timeout=10).text)
    month = sandbox.clock.now().strftime("%Y-%m")
    counted_before = _redeemed_this_month(sandbox, month)
    answers: list[requests.Response] = []
    start = threading.Barrier(2)

    def press(pin: str) -> None:
        start.wait()
        answers.append(redeem(sandbox, code, pin, token))

    phones = [threading.Thread(target=press, args=(pin,)) for pin in (ANA, RUI)]
    for phone in phones:
        phone.start()
    for phone in phones:
        phone.join()
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert sum("Redeemed" in a.text and "Already used" not in a.text for a in answers) == 1
    assert _redeemed_this_month(sandbox, month) == counted_before + 1


def _redeemed_this_month(sandbox: Sandbox, month: str) -> int:
    item = sandbox.venue().store.table.get({"PK": f"STATS#{month}", "SK": "TOTALS"}) or {}
    return int(item.get("coupons_redeemed", 0))


def test_a_forged_code_is_unknown_without_a_read_of_the_venues_table(
    sandbox: Sandbox, table_calls: TableCalls, chromium: str, tmp_path: Path
) -> None:
    genuine = coupon_of(sandbox, "6170000000000803")
    forged = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")  # the body kept, the tag wrong
    table = sandbox.venue().resources.table_name
    before = table_calls.on(table)
    shown = requests.get(page_url(sandbox, forged), timeout=10)
    posted = requests.post(
        page_url(sandbox, forged), data={"pin": ANA, "token": "1.x"}, headers={"Origin": sandbox.url}, timeout=10
    )
    assert (shown.status_code, posted.status_code) == (404, 404)
    assert table_calls.on(table) == before  # zero reads (or writes) of the venue's table
    requests.get(page_url(sandbox, genuine), timeout=10)
    assert table_calls.on(table) > before  # the count sees the genuine code's reads: it would see a forged one's
    text = look(chromium, "unknown", page_url(sandbox, forged), tmp_path)
    assert "? Unknown code" in text and "no prize" in text and "Redeem" not in text


def test_five_wrong_pins_lock_the_code_until_ten_minutes_pass_on_the_sandbox_clock(
    sandbox: Sandbox, chromium: str, tmp_path: Path
) -> None:
    code = coupon_of(sandbox, "6170000000000804")
    token = form_token(requests.get(page_url(sandbox, code), timeout=10).text)
    wrong = "0000" if "0000" not in SANDBOX_STAFF_PINS.values() else "9999"
    for attempt in range(4):
        answer = redeem(sandbox, code, wrong, token)
        assert answer.status_code == 403, attempt
        if attempt == 0:
            text = look(chromium, "wrong-pin", answer.content.decode(), tmp_path)
            assert "Wrong PIN. 4 more wrong ones and the code locks." in text and "✓ Valid" in text
    locked = redeem(sandbox, code, wrong, token)
    assert locked.status_code == 429
    text = look(chromium, "locked", page_url(sandbox, code), tmp_path)
    assert "✗ Locked" in text and "locked until" in text and "Ask the manager" in text and "Staff PIN" not in text
    assert redeem(sandbox, code, ANA, token).status_code == 429  # even the right PIN, while locked
    sandbox.advance(minutes=10)
    shown = requests.get(page_url(sandbox, code), timeout=10)
    assert "✓ Valid" in shown.text
    assert redeem(sandbox, code, ANA, form_token(shown.text)).status_code == 200


def test_an_expired_coupon_says_so(sandbox: Sandbox, chromium: str, tmp_path: Path) -> None:
    # A coupon the prize function stored three weeks ago, valid for 14 days (written as it writes one).
    now = sandbox.clock.now()
    code = new_coupon_code(random.Random(804), SANDBOX_SIGNING_KEY)
    issued = now - timedelta(days=21)
    coupon = Coupon(
        code,
        AwardKey("6170000000000805", issued.date().isoformat()),
        "espresso",
        "Free espresso",
        issued,
        (issued + timedelta(days=14)).date(),
    )
    assert sandbox.venue().store.coupons.add(coupon, now + timedelta(days=90))
    text = look(chromium, "expired", page_url(sandbox, code), tmp_path)
    assert "✗ Expired" in text and "Free espresso" in text and "Staff PIN" not in text


@pytest.mark.parametrize(
    ("path", "status"),
    [("/c/demo/NOT-A-CODE", 400), ("/c/nobody/AAAA-BBBB-CCCC", 404), ("/c/DEMO!/AAAA-BBBB-CCCC", 400)],
)
def test_malformed_links_get_a_4xx_page(sandbox: Sandbox, path: str, status: int) -> None:
    answer = requests.get(f"{sandbox.url}{path}", timeout=10)
    assert answer.status_code == status and answer.headers["Content-Type"].startswith("text/html")


def test_a_huge_or_foreign_post_is_refused_with_a_4xx_page(sandbox: Sandbox, chromium: str, tmp_path: Path) -> None:
    code = coupon_of(sandbox, "6170000000000806")
    token = form_token(requests.get(page_url(sandbox, code), timeout=10).text)
    huge = requests.post(
        page_url(sandbox, code),
        data={"pin": ANA, "token": token, "x": "y" * 5000},
        headers={"Origin": sandbox.url},
        timeout=10,
    )
    foreign = requests.post(
        page_url(sandbox, code),
        data={"pin": ANA, "token": token},
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    assert (huge.status_code, foreign.status_code) == (413, 403)
    text = look(chromium, "bad-form", foreign.content.decode(), tmp_path)
    assert "Not sent from this page" in text and "Scan the coupon's QR code again" in text
    text = look(chromium, "bad-link", f"{sandbox.url}/c/demo/NOT-A-CODE", tmp_path)
    assert "Not a coupon link" in text
    coupon = sandbox.venue().store.coupons.get(code)
    assert coupon is not None and "redeemed_at" not in coupon


def test_the_page_speaks_the_venues_language(sandbox: Sandbox, chromium: str, tmp_path: Path) -> None:
    # Taquería Luna's default language is Spanish: its staff read Spanish, the prize named as its file names it.
    now = sandbox.clock.now()
    code = new_coupon_code(random.Random(806), SANDBOX_SIGNING_KEY)
    coupon = Coupon(
        code,
        AwardKey("6170000000000807", now.date().isoformat()),
        "churros",
        "Free churros",
        now,
        (now + timedelta(days=7)).date(),
    )
    assert sandbox.venue("luna").store.coupons.add(coupon, now + timedelta(days=90))
    text = look(chromium, "valid-es", page_url(sandbox, code, "luna"), tmp_path)
    assert "✓ Válido" in text and "Churros gratis" in text and "Válido hasta" in text and "Canjear" in text
