"""The webhook function built from its environment, as in Lambda: config file, table and SSM secrets on moto."""

from __future__ import annotations

import json

import pytest

from functions.webhook import handler
from sandbox import meta_payloads as p
from sandbox.apigw import LambdaContext, http_api_event
from tagback.adapters.meta.webhook import sign
from tagback.config.model import ClientConfig
from tagback.store.repositories import Repositories
from tagback.store.schema import guest_key
from tests.conftest import APP_SECRET, DEMO_CONFIG, VERIFY_TOKEN
from tests.integration.conftest import client

pytestmark = pytest.mark.integration


@pytest.fixture
def deployed(aws: str, table: str, demo_config: ClientConfig, monkeypatch: pytest.MonkeyPatch):
    ssm = client("ssm", aws)
    for name, value in (
        (demo_config.secrets.meta_app_secret, APP_SECRET),
        (demo_config.secrets.meta_verify_token, VERIFY_TOKEN),
    ):
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    monkeypatch.setenv("TABLE_NAME", table)
    monkeypatch.setenv("TAGBACK_CLIENT_CONFIG", str(DEMO_CONFIG))
    handler.webhook.override(None)  # cold start: everything from the environment
    yield Repositories.on(table, client=client("dynamodb", aws))
    handler.webhook.override(None)


def test_batched_post_sent_five_times_is_stored_once(deployed: Repositories, demo_config: ClientConfig) -> None:
    us = demo_config.instagram_account_id
    body = p.meta_json(
        p.envelope(
            us,
            [p.story_mention("g1", us, "m1"), p.read("g1", us, "m0")],
            [p.text("g2", us, "m2", "café"), p.echo("g2", us, "m3")],
            [p.quick_reply("g3", us, "m4", "LANG:pt"), p.postback("g3", us, "m5", "REVIEW_YES:a")],
        )
    )
    headers = {"X-Hub-Signature-256": sign(body, APP_SECRET)}
    answers = [
        handler.lambda_handler(http_api_event("POST", "/webhook", body=body, headers=headers), LambdaContext("webhook"))
        for _ in range(5)
    ]
    assert [a["statusCode"] for a in answers] == [200] * 5
    assert [json.loads(a["body"])["stored"] for a in answers] == [4, 0, 0, 0, 0]
    stored = {g: [i["SK"] for i in deployed.table.items_under(guest_key(g))] for g in ("g1", "g2", "g3")}
    assert stored == {"g1": ["IN#m1"], "g2": ["IN#m2"], "g3": ["IN#m4", "IN#m5"]}


def test_handshake_reads_the_verify_token_from_ssm(deployed: Repositories) -> None:
    event = http_api_event(
        "GET", "/webhook", query=f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=42"
    )
    assert handler.lambda_handler(event, LambdaContext("webhook"))["body"] == "42"


def test_a_missing_environment_fails_loudly_at_cold_start(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.setenv("TAGBACK_CLIENT_CONFIG", str(DEMO_CONFIG))
    handler.webhook.override(None)
    with pytest.raises(RuntimeError, match="TABLE_NAME"):
        handler.webhook.get()


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
    page = (out / "report-2026-10.html").read_text(encoding="utf-8")
    assert "Story mentions" in page and ">12<" in page and "+8" in page
    assert (out / "report-2026-10.eml").read_bytes().startswith(b"Subject: Your Tagback month")
