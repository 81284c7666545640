from __future__ import annotations

from pathlib import Path

import pytest

from tagback.cli import main
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
