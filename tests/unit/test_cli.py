from __future__ import annotations

import io
import json
import random
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from moto import mock_aws
from werkzeug.serving import BaseWSGIServer, make_server

from infra.event_sources import OUTBOX_STREAM, PRIZE_STREAM
from sandbox.fake_google import FakeGoogle
from sandbox.fake_graph import FakeGraphApi
from tagback import cli
from tagback.adapters.aws import Aws
from tagback.adapters.google.sheets import GoogleSheetsSink
from tagback.cli import _aws, main, run
from tagback.domain.awards import AwardKey, Coupon
from tagback.domain.clock import ManualClock
from tagback.domain.events import OutboxEvent
from tagback.domain.prizes import new_coupon_code
from tagback.store.repositories import Repositories
from tagback.store.schema import table_definition
from tests.conftest import DEMO_CONFIG, ROOT


def test_check_accepts_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DEMO_CONFIG)]) == 0
    assert "ok  demo: Café Aurora (3 prizes, Europe/Lisbon)" in capsys.readouterr().out


def test_check_names_file_field_and_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "demo.yaml"
    bad.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace("Europe/Lisbon", "Lisbon"), encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    assert f"{bad}: timezone: unknown IANA timezone 'Lisbon'" in capsys.readouterr().err


def test_check_warns_of_settings_two_client_files_share_but_accepts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "clients" / "assets", tmp_path / "assets")
    demo = Path(shutil.copy(DEMO_CONFIG, tmp_path / "demo.yaml"))
    copy = tmp_path / "newvenue.yaml"
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("client_id: demo", "client_id: newvenue")
    text = text.replace("/tagback/demo/", "/tagback/newvenue/").replace("17841400000000001", "17841400000000009")
    copy.write_text(text, encoding="utf-8")
    assert main(["check", str(demo), str(copy)]) == 0
    out = capsys.readouterr().out
    also = f"is also client 'demo''s ({demo}): fine if one owner runs both venues, else change it"
    for where, value in [
        ("integrations.google_sheets.spreadsheet_id", "1DemoCafeAuroraSheetId0123456789"),
        ("integrations.webhook.url", "https://crm.cafe-aurora.example/hooks/tagback"),
        ("report.recipients", "owner@cafe-aurora.example"),
        ("review_links.google_place_id", "ChIJdemoCafeAurora0001"),
    ]:
        assert f"warning  {copy}: {where}: {value} {also}" in out
    assert "ok  newvenue: Café Aurora" in out


def test_check_draws_every_coupon_and_names_the_characters_it_cannot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "clients" / "assets", tmp_path / "assets")
    japanese = tmp_path / "demo.yaml"
    japanese.write_text(
        DEMO_CONFIG.read_text(encoding="utf-8").replace("de: Gratis-Espresso", "de: Espresso und 抹茶"),
        encoding="utf-8",
    )
    assert main(["check", str(japanese)]) == 1
    assert f"{japanese}: prizes[0].names.de: '抹' (U+62B9), '茶' (U+8336) cannot be drawn on the de coupon" in (
        capsys.readouterr().err
    )


def test_check_refuses_a_bad_agency_file_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agency = tmp_path / "agency.yaml"
    agency.write_text((ROOT / "agency.yaml").read_text(encoding="utf-8").replace('"990000000000001"', "app"))
    assert main(["check", "--agency", str(agency), str(DEMO_CONFIG)]) == 1
    err = capsys.readouterr().err
    assert str(agency) in err and "meta.app_id" in err


def test_replay_needs_a_stack_or_both_queue_and_function(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", "--queue-url", "https://sqs.example/q"])
    assert exited.value.code == 2
    assert "replay needs --stack, or both --queue-url and --function" in capsys.readouterr().err


def test_replay_of_a_stack_sends_each_queue_through_its_function(monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = {
        "TableName": "tagback-demo",
        "PrizeFunctionName": "prize-fn",
        "PrizeDeadLetterQueueUrl": "https://sqs/prize-dlq",
        "OwnerDeliveryFunctionName": "owner-fn",
        "IntegrationDeadLetterQueueUrl": "https://sqs/integrations-dlq",
        "FollowUpFunctionName": "followup-fn",
        "FollowUpFailureQueueUrl": "https://sqs/followup-failures",
        "ReportFunctionName": "report-fn",
        "ReportFailureQueueUrl": "https://sqs/report-failures",
    }
    replayed: list[tuple[str, str, str | None, dict[str, Any] | None]] = []
    monkeypatch.setattr(cli, "stack_outputs", lambda stack: outputs)
    monkeypatch.setattr(cli, "replay_dead_letters", record_replays(replayed))
    assert main(["replay", "--stack", "Tagback-demo"]) == 0
    assert replayed == [
        ("https://sqs/prize-dlq", "prize-fn", None, PRIZE_STREAM.filter_pattern),  # the records its mapping admits
        # the owner's events, to the sinks still missing
        ("https://sqs/integrations-dlq", "owner-fn", "tagback-demo", OUTBOX_STREAM.filter_pattern),
        ("https://sqs/followup-failures", "followup-fn", None, None),
        ("https://sqs/report-failures", "report-fn", None, None),
    ]


def record_replays(replayed: list[Any]) -> Any:
    def replay_dead_letters(
        queue: str, function: str, table: str | None = None, filter_pattern: dict[str, Any] | None = None
    ) -> int:
        replayed.append((queue, function, table, filter_pattern))
        return 0

    return replay_dead_letters


def test_replay_of_one_queue_keeps_the_records_its_function_s_mapping_admits(monkeypatch: pytest.MonkeyPatch) -> None:
    replayed: list[tuple[str, str, str | None, dict[str, Any] | None]] = []
    monkeypatch.setattr(cli, "replay_dead_letters", record_replays(replayed))
    for function in ("tagback-demo-prize", "tagback-demo-owner-delivery", "tagback-demo-review-followup"):
        assert main(["replay", "--queue-url", "https://sqs/q", "--function", function]) == 0
    assert [filter_pattern for *_, filter_pattern in replayed] == [
        PRIZE_STREAM.filter_pattern,
        OUTBOX_STREAM.filter_pattern,
        None,  # a scheduled function's on-failure queue: no stream records
    ]


def test_replay_of_a_stack_from_before_owner_delivery_says_to_deploy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {"TableName": "tagback-demo", "PrizeFunctionName": "prize-fn", "PrizeDeadLetterQueueUrl": "https://q"}
    monkeypatch.setattr(cli, "stack_outputs", lambda stack: outputs)
    assert run(["replay", "--stack", "Tagback-demo"]) == 1
    assert capsys.readouterr().err == (
        "error: the stack Tagback-demo has no OwnerDeliveryFunctionName output: deploy this version first\n"
    )


class FakeStatus:
    def __init__(self, status: dict[str, Any]) -> None:
        self.status = status

    def raise_for_status(self) -> None:
        pass

    def json(self) -> dict[str, Any]:
        return self.status


STATUS: dict[str, Any] = {
    "aws_endpoint": "http://127.0.0.1:5000",
    "region": "eu-west-1",
    "table": "tagback-demo",
    "client_id": "demo",
}


def test_a_sandbox_is_used_with_the_credentials_it_publishes(monkeypatch: pytest.MonkeyPatch) -> None:
    published = STATUS | {"aws_access_key_id": "AKIAOPERATOR", "aws_secret_access_key": "operator-secret"}
    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeStatus(published))
    assert _aws("http://127.0.0.1:8787/", "demo") == Aws(
        endpoint="http://127.0.0.1:5000",
        region="eu-west-1",
        access_key_id="AKIAOPERATOR",
        secret_access_key="operator-secret",
        table="tagback-demo",
        client_id="demo",
    )


def test_a_sandbox_that_publishes_no_credentials_gets_dummy_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeStatus(STATUS))
    aws = _aws("http://127.0.0.1:8787", "demo")
    assert (aws.access_key_id, aws.secret_access_key) == ("sandbox", "sandbox")


def test_a_sandbox_of_another_client_or_none_at_all_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeStatus(STATUS))
    assert run(["redeem", "AAAA-BBBB-CCCC", "--client", "other", "--sandbox", "http://127.0.0.1:8787"]) == 1
    assert capsys.readouterr().err == "error: the sandbox at http://127.0.0.1:8787 runs client 'demo', not 'other'\n"

    def refused(url: str, timeout: float) -> FakeStatus:
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(requests, "get", refused)
    assert run(["coupon", "AAAA-BBBB-CCCC", "--signing-key-param", "/k", "--sandbox", "http://127.0.0.1:1"]) == 1
    assert capsys.readouterr().err == (
        "error: no sandbox answers at http://127.0.0.1:1/_sandbox/status (ConnectionError); "
        "start one with `make sandbox`\n"
    )


TWO_VENUES = STATUS | {
    "clients": [
        {"client_id": "demo", "ig_account_id": "17841400000000001", "table": "tagback-demo"},
        {"client_id": "norte", "ig_account_id": "17841400000000002", "table": "tagback-norte"},
    ]
}


def test_a_sandbox_of_several_venues_gives_each_client_its_own_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeStatus(TWO_VENUES))
    assert (_aws("http://127.0.0.1:8787", "norte").table, _aws("http://127.0.0.1:8787", "norte").client_id) == (
        "tagback-norte",
        "norte",
    )
    assert _aws("http://127.0.0.1:8787").table == "tagback-demo"  # no client named: the first venue, as before
    assert run(["redeem", "AAAA-BBBB-CCCC", "--client", "sur", "--sandbox", "http://127.0.0.1:8787"]) == 1
    assert (
        capsys.readouterr().err == "error: the sandbox at http://127.0.0.1:8787 runs clients demo, norte, not 'sur'\n"
    )


# -- connect ---------------------------------------------------------------------------------------------------
CAFE, NORTE = "17841400000000001", "17841400000000002"
APP_SECRET_PARAM = "/tagback/edge/meta-app-secret"
TOKEN_PARAM = "/tagback/demo/meta-access-token"  # the demo client file's
AGENCY_YAML = f"""
agency_name: Demo Agency
meta: {{app_id: "990000000000001", login_redirect_uri: "https://agency.example/connected"}}
secrets: {{meta_app_secret: {APP_SECRET_PARAM}, meta_verify_token: /tagback/edge/meta-verify-token}}
alerts: {{emails: [alerts@agency.example]}}
"""


@dataclass
class Sandbox:
    graph: FakeGraphApi
    cafe: str  # a valid token of each venue's account
    norte: str
    argv: list[str]  # `connect --client demo` against this sandbox
    ssm: Any
    table: Any

    def stored(self) -> str | None:
        try:
            return str(self.ssm.get_parameter(Name=TOKEN_PARAM, WithDecryption=True)["Parameter"]["Value"])
        except self.ssm.exceptions.ParameterNotFound:
            return None


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch, clock: ManualClock, tmp_path: Path) -> Iterator[Sandbox]:
    graph = FakeGraphApi(clock.now)
    cafe, norte = graph.add_account(CAFE, "cafe.aurora"), graph.add_account(NORTE, "bar.norte")
    server: BaseWSGIServer = make_server("127.0.0.1", 0, graph, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    status = TWO_VENUES | {
        "aws_endpoint": None,  # moto in this process
        "graph_url": f"http://127.0.0.1:{server.port}",
        "edge_url": "http://127.0.0.1:8787",
        "now": clock.now().isoformat(),
    }
    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeStatus(status))
    monkeypatch.chdir(ROOT)  # clients/<id>.yaml
    agency = tmp_path / "agency.yaml"
    agency.write_text(AGENCY_YAML, encoding="utf-8")
    with mock_aws():
        ssm, dynamodb = boto3.client("ssm", region_name="eu-west-1"), boto3.client("dynamodb", region_name="eu-west-1")
        ssm.put_parameter(Name=APP_SECRET_PARAM, Value=graph.app_secret, Type="SecureString")
        dynamodb.create_table(**table_definition("tagback-demo"))
        argv = ["connect", "--client", "demo", "--sandbox", "http://127.0.0.1:8787", "--agency", str(agency)]
        yield Sandbox(graph, cafe, norte, argv, ssm, Repositories.on("tagback-demo", client=dynamodb).tokens)
    server.shutdown()


def test_connect_reads_the_token_from_stdin_stores_it_and_says_what_is_left(
    sandbox: Sandbox, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{sandbox.cafe}\n"))
    assert run(sandbox.argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("connected @cafe.aurora (17841400000000001) to demo\ndone:\n  - ")
    assert "left for a person:\n  - in the Instagram app, logged in as @cafe.aurora:" in out
    assert "callback URL http://127.0.0.1:8787/webhook," in out
    assert sandbox.cafe not in out
    assert sandbox.stored() == sandbox.cafe
    record = sandbox.table.get()
    assert record is not None and (record.account_id, record.username, record.expires_at) == (CAFE, "cafe.aurora", None)
    assert record.stored_at == clock.now()  # the sandbox's clock, which its fake Graph API expires tokens by
    assert sandbox.graph.subscriptions == {CAFE: ["messages", "messaging_postbacks"]}


def test_connect_exchanges_a_login_code_without_reading_stdin(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert run([*sandbox.argv, "--code", f"{sandbox.graph.login_code(CAFE)}#_"]) == 0  # "#_" as Instagram appends
    record = sandbox.table.get()
    assert record is not None and record.expires_at is not None
    assert timedelta(days=60) - timedelta(minutes=1) < record.expires_at - record.stored_at <= timedelta(days=60)
    assert sandbox.stored() not in (None, sandbox.cafe)


def test_connect_refuses_another_accounts_token_in_one_line_storing_nothing(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{sandbox.norte}\n"))
    assert run(sandbox.argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the token is for @bar.norte (account 17841400000000002), but clients/demo.yaml")
    assert err.count("\n") == 1 and sandbox.norte not in err
    assert (sandbox.stored(), sandbox.table.get()) == (None, None)


def test_connect_without_a_token_says_how_to_give_one(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert run(sandbox.argv) == 1
    assert capsys.readouterr().err.startswith("error: no token on stdin: paste the venue's Instagram token")


def test_connect_takes_no_token_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["connect", "--client", "demo", "--token", "IGQ-secret"])  # it would stay in the shell's history
    assert "unrecognized arguments: --token IGQ-secret" in capsys.readouterr().err


def test_in_aws_the_webhook_url_comes_from_the_edge_stack_or_is_left_to_look_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "stack_outputs", lambda stack: {"WebhookUrl": f"https://{stack}.example/webhook"})
    assert cli._meta_endpoints(None) == (None, "https://Tagback-Edge.example/webhook")

    def missing(stack: str) -> dict[str, str]:
        raise ClientError({"Error": {"Code": "ValidationError", "Message": f"{stack} does not exist"}}, "Describe")

    monkeypatch.setattr(cli, "stack_outputs", missing)
    assert cli._meta_endpoints(None) == (None, None)


# -- retention ---------------------------------------------------------------------------------------------------
SHEETS_KEY_PARAM = "/tagback/demo/google-service-account"  # the demo client file's


@pytest.fixture
def owners_sheet(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    """The demo venue's sheet on a fake Google, with a row from January and one from the end of June; a sandbox
    whose clock says 1 July, 23:30 UTC (2 July in Lisbon)."""
    google = FakeGoogle("1DemoCafeAuroraSheetId0123456789")  # clients/demo.yaml's
    server: BaseWSGIServer = make_server("127.0.0.1", 0, google, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    google.url = f"http://127.0.0.1:{server.port}"
    status = STATUS | {"aws_endpoint": None, "sheets_url": google.url, "now": "2026-07-01T23:30:00+00:00"}
    monkeypatch.setattr(requests, "get", lambda url, timeout: FakeStatus(status))
    monkeypatch.chdir(ROOT)  # clients/<id>.yaml
    sink = GoogleSheetsSink(
        spreadsheet_id=google.spreadsheet_id,
        sheet="Entries",
        service_account=google.service_account(),
        tz=ZoneInfo("Europe/Lisbon"),
        base_url=google.url,
    )
    for event_id, day in (
        ("award-january", datetime(2026, 1, 10, 12, tzinfo=UTC)),
        ("award-june", datetime(2026, 6, 30, 12, tzinfo=UTC)),
    ):
        sink.deliver(OutboxEvent(event_id, "award", day, "6170001", display_name="Ana Sousa"))
    with mock_aws():
        ssm = boto3.client("ssm", region_name="eu-west-1")
        ssm.put_parameter(Name=SHEETS_KEY_PARAM, Value=json.dumps(google.service_account()), Type="SecureString")
        yield google
    server.shutdown()


RETENTION = ["retention", "--client", "demo", "--sandbox", "http://127.0.0.1:8787"]


def test_retention_deletes_the_sheets_rows_past_retention_by_the_sandboxs_clock(
    owners_sheet: FakeGoogle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(RETENTION) == 0
    assert capsys.readouterr().out == (
        "the sheet 'Entries': 1 row(s) dated before 2026-04-03 (over 90 days old) deleted, "
        "1 newer row(s) of ours kept (the header and rows not dated by Tagback are left alone)\n"
    )
    assert [row[0] for row in owners_sheet.rows["Entries"]] == ["Row ID", "award-june"]
    assert run(RETENTION) == 0  # again: nothing more to delete
    assert "0 row(s) dated before 2026-04-03 (over 90 days old) deleted, 1 newer row(s)" in capsys.readouterr().out


def test_retention_says_what_to_fix_when_google_refuses(
    owners_sheet: FakeGoogle, capsys: pytest.CaptureFixture[str]
) -> None:
    owners_sheet.fail_next("403")
    assert run(RETENTION) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: google_sheets: HTTP 403: ")
    assert "share the spreadsheet 1DemoCafeAuroraSheetId0123456789 with tagback@" in err and err.count("\n") == 1
    assert len(owners_sheet.rows["Entries"]) == 3


def test_retention_of_a_client_without_a_sheet_or_an_unknown_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert run(["retention", "--client", "luna"]) == 0
    assert capsys.readouterr().out == "luna has no Google Sheet (integrations.google_sheets): nothing to purge\n"
    assert run(["retention", "--client", "sol"]) == 1
    assert "error: no client file clients/sol.yaml (clients here: demo, luna)" in capsys.readouterr().err


# -- the sandbox's clock ------------------------------------------------------------------------------------------
SIGNING_KEY_PARAM = "/tagback/demo/coupon-signing-key"  # the demo client file's
SANDBOX = "http://127.0.0.1:8787"
SANDBOX_NOW = "2026-12-11T10:00:00+00:00"  # 11 Dec, 10:00 in Lisbon: the sandbox clock, moved on from the machine's


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Repositories]:
    """The demo venue's table and signing key in moto, and a sandbox whose clock says 11 Dec."""
    monkeypatch.setattr(
        requests, "get", lambda url, timeout: FakeStatus(TWO_VENUES | {"aws_endpoint": None, "now": SANDBOX_NOW})
    )
    monkeypatch.chdir(ROOT)  # clients/<id>.yaml
    with mock_aws():
        ssm, dynamodb = boto3.client("ssm", region_name="eu-west-1"), boto3.client("dynamodb", region_name="eu-west-1")
        ssm.put_parameter(Name=SIGNING_KEY_PARAM, Value="sandbox-signing-key", Type="SecureString")
        dynamodb.create_table(**table_definition("tagback-demo"))
        yield Repositories.on("tagback-demo", client=dynamodb)


def coupon_until(store: Repositories, last_day: date, seed: int) -> str:
    code = new_coupon_code(random.Random(seed), "sandbox-signing-key")
    issued = datetime(2026, 11, 25, 18, tzinfo=UTC)
    store.coupons.add(
        Coupon(code, AwardKey("6170001", "2026-11-25"), "espresso", "Free espresso", issued, last_day),
        issued + timedelta(days=90),
    )
    return code


def test_redeem_against_a_sandbox_goes_by_the_sandboxs_clock(
    counter: Repositories, capsys: pytest.CaptureFixture[str]
) -> None:
    expired = coupon_until(counter, date(2026, 12, 10), 1)
    assert run(["redeem", expired, "--client", "demo", "--sandbox", SANDBOX]) == 1
    assert capsys.readouterr().out == f"{expired}: EXPIRED — Free espresso (valid until 10 Dec)\n"
    good = coupon_until(counter, date(2026, 12, 20), 2)
    assert run(["redeem", good, "--client", "demo", "--sandbox", SANDBOX]) == 0
    assert run(["redeem", good, "--client", "demo", "--sandbox", SANDBOX]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == f"{good}: ALREADY USED on 11 Dec at 10:00 — Free espresso"
    assert (counter.coupons.get(good) or {})["redeemed_at"] == SANDBOX_NOW


def test_guest_export_and_erase_against_a_sandbox_are_dated_by_its_clock(
    counter: Repositories, capsys: pytest.CaptureFixture[str]
) -> None:
    counter.guests.update("6170001", datetime(2027, 1, 1, tzinfo=UTC), display_name="Ana Sousa")
    guest = ["--client", "demo", "--igsid", "6170001", "--sandbox", SANDBOX]
    assert run(["guest", "export", *guest]) == 0
    assert json.loads(capsys.readouterr().out)["exported_at"] == SANDBOX_NOW
    assert run(["guest", "erase", *guest, "--wait", "0"]) == 1  # no venue function here to fulfil it
    (request,) = [i for i in counter.table.scan() if i["item_type"] == "erasure_request"]
    assert request["requested_at"] == SANDBOX_NOW


def test_staff_pins_are_checked_read_from_stdin_and_stored_as_a_secure_string(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        monkeypatch.setattr(sys, "stdin", io.StringIO('{"Ana": "4821", "Rui": "0937"}\n'))
        assert run(["staff-pins", "--client", "demo"]) == 0
        stored = boto3.client("ssm").get_parameter(Name="/tagback/demo/staff-pins", WithDecryption=True)["Parameter"]
        assert stored["Type"] == "SecureString" and json.loads(stored["Value"]) == {"Ana": "4821", "Rui": "0937"}
        out = capsys.readouterr().out
        assert "stored 2 staff PINs for demo in /tagback/demo/staff-pins: Ana, Rui" in out and "4821" not in out
        monkeypatch.setattr(sys, "stdin", io.StringIO('{"Ana": "4821", "Rui": "4821"}'))
        assert run(["staff-pins", "--client", "demo"]) == 1
        assert "staff PINs refused: two members of staff have the same PIN" in capsys.readouterr().err
        kept = boto3.client("ssm").get_parameter(Name="/tagback/demo/staff-pins", WithDecryption=True)["Parameter"]
        assert json.loads(kept["Value"]) == {"Ana": "4821", "Rui": "0937"}  # the refused ones never stored
