"""The edge's webhook function built from its environment, as in Lambda: the registry table, the venues' tables and
the agency app's SSM secrets on moto."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.webhook import handler
from sandbox import meta_payloads as p
from sandbox.apigw import LambdaContext, http_api_event
from tagback.adapters.meta.webhook import sign
from tagback.domain.awards import AwardKey
from tagback.store.registry import Registry
from tagback.store.repositories import Repositories
from tagback.store.schema import guest_key, table_definition
from tagback.store.table import Table
from tests import user_agents as ua
from tests.conftest import (
    APP_SECRET,
    APP_SECRET_PARAM,
    DEMO_ACCOUNT,
    DEMO_CONFIG,
    VERIFY_TOKEN,
    VERIFY_TOKEN_PARAM,
    registration,
)
from tests.integration.conftest import REGION, client

pytestmark = pytest.mark.integration
OTHER_ACCOUNT = "17841400000000002"


def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return handler.lambda_handler(http_api_event(method, path, **kwargs), LambdaContext("webhook"))


@pytest.fixture
def deployed(aws: str, edge_table: str, table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repositories]:
    """The edge deployed, with the demo venue registered; the demo venue's table."""
    ssm = client("ssm", aws)
    for name, value in ((APP_SECRET_PARAM, APP_SECRET), (VERIFY_TOKEN_PARAM, VERIFY_TOKEN)):
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    monkeypatch.setenv("REGISTRY_TABLE", edge_table)
    monkeypatch.setenv("META_APP_SECRET_PARAM", APP_SECRET_PARAM)
    monkeypatch.setenv("META_VERIFY_TOKEN_PARAM", VERIFY_TOKEN_PARAM)
    Registry(Table(edge_table, client("dynamodb", aws))).register(
        registration("demo", DEMO_ACCOUNT, table=table, region=REGION)
    )
    handler.edge.override(None)  # cold start: everything from the environment
    yield Repositories.on(table, client=client("dynamodb", aws))
    handler.edge.override(None)


def post(body: bytes) -> dict[str, Any]:
    return call("POST", "/webhook", body=body, headers={"X-Hub-Signature-256": sign(body, APP_SECRET)})


def test_batched_post_sent_five_times_is_stored_once(deployed: Repositories) -> None:
    us = DEMO_ACCOUNT
    body = p.meta_json(
        p.envelope(
            us,
            [p.story_mention("g1", us, "m1"), p.read("g1", us, "m0")],
            [p.text("g2", us, "m2", "café"), p.echo("g2", us, "m3")],
            [p.quick_reply("g3", us, "m4", "LANG:pt"), p.postback("g3", us, "m5", "REVIEW_YES:a")],
        )
    )
    answers = [post(body) for _ in range(5)]
    assert [a["statusCode"] for a in answers] == [200] * 5
    assert [json.loads(a["body"])["stored"] for a in answers] == [4, 0, 0, 0, 0]
    stored = {g: [i["SK"] for i in deployed.table.items_under(guest_key(g))] for g in ("g1", "g2", "g3")}
    assert stored == {"g1": ["IN#m1"], "g2": ["IN#m2"], "g3": ["IN#m4", "IN#m5"]}


def test_one_delivery_reaches_two_venues_tables_and_the_quarantine(
    deployed: Repositories, aws: str, edge_table: str
) -> None:
    dynamodb = client("dynamodb", aws)
    bar_table = f"tagback-bar-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(**table_definition(bar_table))
    Registry(Table(edge_table, dynamodb)).register(registration("bar", OTHER_ACCOUNT, table=bar_table, region=REGION))
    entries = [
        *p.envelope(DEMO_ACCOUNT, [p.story_mention("g1", DEMO_ACCOUNT, "d1")])["entry"],
        *p.envelope(OTHER_ACCOUNT, [p.text("g2", OTHER_ACCOUNT, "b1", "olá")])["entry"],
        *p.envelope("17841400000000555", [p.text("g3", "17841400000000555", "u1", "hi")])["entry"],
    ]
    answer = post(p.meta_json({"object": "instagram", "entry": entries}))
    assert json.loads(answer["body"]) == {"received": 3, "stored": 2, "duplicates": 0, "unknown_account": 1}
    bar = Repositories.on(bar_table, client=dynamodb)
    assert [i["SK"] for i in deployed.table.items_under(guest_key("g1"))] == ["IN#d1"]
    assert deployed.table.items_under(guest_key("g2")) == []
    assert [i["SK"] for i in bar.table.items_under(guest_key("g2"))] == ["IN#b1"]
    quarantined = Table(edge_table, dynamodb).items_of_type("quarantined")
    assert [q["reason"] for q in quarantined] == ["no venue registered for account 17841400000000555"]


def test_handshake_reads_the_verify_token_from_ssm(deployed: Repositories) -> None:
    query = f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=42"
    assert call("GET", "/webhook", query=query)["body"] == "42"


def test_a_link_click_is_counted_in_the_venues_table(deployed: Repositories) -> None:
    token = "L" * 22
    target = "https://search.google.com/local/writereview?placeid=X"
    deployed.links.create(token, target, "google", AwardKey("g1", "2026-11-20"), datetime.now(UTC) + timedelta(days=1))
    for _ in range(3):  # the same guest, three times
        answer = call(
            "GET", f"/l/demo/{token}", route="/l/{client}/{token}", path_parameters={"client": "demo", "token": token}
        )
        assert answer["statusCode"] == 302 and answer["headers"] == {"Location": target, "Cache-Control": "no-store"}
    clicked = deployed.links.click(token, datetime.now(UTC))  # one more, to read the count
    assert clicked is not None and clicked["clicks"] == 4
    month = datetime.now(UTC).astimezone(registration().tz).strftime("%Y-%m")
    totals = deployed.stats.month_totals(month)
    assert (totals["review_link_clicks_google"], totals["review_link_unique_clicks_google"]) == (3, 1)


def test_a_link_preview_and_an_in_app_tap_on_dynamodb(deployed: Repositories) -> None:
    token = "M" * 22
    target = "https://search.google.com/local/writereview?placeid=X"
    deployed.links.create(token, target, "google", AwardKey("g1", "2026-11-20"), datetime.now(UTC) + timedelta(days=1))

    def follow(user_agent: str) -> dict[str, Any]:
        path = {"client": "demo", "token": token}
        headers = {"User-Agent": user_agent}
        return call("GET", f"/l/demo/{token}", route="/l/{client}/{token}", path_parameters=path, headers=headers)

    assert follow(ua.FACEBOOKEXTERNALHIT)["statusCode"] == 302
    assert follow(ua.INSTAGRAM_IOS)["statusCode"] == 200  # the hand-off page
    clicked = deployed.links.click(token, datetime.now(UTC))  # one more, to read the counts
    assert clicked is not None and (clicked["clicks"], clicked["previews"]) == (2, 1)
    month = datetime.now(UTC).astimezone(registration().tz).strftime("%Y-%m")
    totals = deployed.stats.month_totals(month)
    assert (totals["review_link_unique_clicks_google"], totals["review_link_browser_in_app"]) == (1, 1)


def test_a_missing_environment_fails_loudly_at_cold_start(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRY_TABLE", raising=False)
    monkeypatch.setenv("META_APP_SECRET_PARAM", APP_SECRET_PARAM)
    monkeypatch.setenv("META_VERIFY_TOKEN_PARAM", VERIFY_TOKEN_PARAM)
    handler.edge.override(None)
    with pytest.raises(RuntimeError, match="REGISTRY_TABLE"):
        handler.edge.get()


def test_coupon_codes_are_checked_offline_with_the_key_from_ssm(aws: str, capsys: pytest.CaptureFixture[str]) -> None:
    import random  # noqa: PLC0415

    from tagback.cli import main  # noqa: PLC0415
    from tagback.domain.prizes import new_coupon_code  # noqa: PLC0415

    client("ssm", aws).put_parameter(Name="/tagback/cli/coupon-key", Value="k-123", Type="SecureString", Overwrite=True)
    code = new_coupon_code(random.Random(4), "k-123")
    assert main(["coupon", code.lower(), "--signing-key-param", "/tagback/cli/coupon-key"]) == 0
    assert (
        main(
            ["coupon", code[:-1] + ("2" if code[-1] != "2" else "3"), "--signing-key-param", "/tagback/cli/coupon-key"]
        )
        == 1
    )
    assert f"{code}: genuine" in capsys.readouterr().out


def test_the_report_command_builds_the_month_from_the_table(
    aws: str, table: str, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagback.cli import main  # noqa: PLC0415
    from tagback.store.repositories import Repositories  # noqa: PLC0415

    stats = Repositories.on(table, client=client("dynamodb", aws)).stats
    stats.add_to_month("2026-10", {"mentions": 12, "unique_guests": 9, "mentions_day_03": 12})
    stats.add_to_month("2026-09", {"mentions": 4})
    client("ses", aws).verify_email_identity(EmailAddress="reports@tagback.example")
    monkeypatch.chdir(DEMO_CONFIG.parent.parent)  # the clients/ folder is read from the working directory
    out = tmp_path / "reports"  # type: ignore[operator]
    assert (
        main(
            [
                "report",
                "--client",
                "demo",
                "--month",
                "2026-10",
                "--table",
                table,
                "--out",
                str(out),
                "--send",
            ]
        )
        == 0
    )
    page = (out / "demo-report-2026-10.html").read_text(encoding="utf-8")
    assert "Story mentions" in page and ">12<" in page and "+8" in page
    assert (out / "demo-report-2026-10.eml").read_bytes().startswith(b"Subject: Monthly report")
    assert "Prepared by Demo Agency" in page  # agency.yaml's name, as the deployed function has it
