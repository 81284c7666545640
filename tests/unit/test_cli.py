from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tagback.adapters.aws import Aws
from tagback.cli import _aws, main, run
from tests.conftest import DEMO_CONFIG


def test_check_accepts_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DEMO_CONFIG)]) == 0
    assert "ok  demo: Café Aurora (3 prizes, Europe/Lisbon)" in capsys.readouterr().out


def test_check_names_file_field_and_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "demo.yaml"
    bad.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace("Europe/Lisbon", "Lisbon"), encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    assert f"{bad}: timezone: unknown IANA timezone 'Lisbon'" in capsys.readouterr().err


def test_replay_needs_a_stack_or_both_queue_and_function(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", "--queue-url", "https://sqs.example/q"])
    assert exited.value.code == 2
    assert "replay needs --stack, or both --queue-url and --function" in capsys.readouterr().err


class FakeStatus:
    def __init__(self, status: dict[str, str]) -> None:
        self.status = status

    def raise_for_status(self) -> None:
        pass

    def json(self) -> dict[str, str]:
        return self.status


STATUS = {"aws_endpoint": "http://127.0.0.1:5000", "region": "eu-west-1", "table": "tagback-demo", "client_id": "demo"}


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
