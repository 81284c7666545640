"""The README's operator commands against a running sandbox, each run as a user runs it: a line in a fresh shell
from the repository's folder, with the project's venv on PATH and no AWS configuration at all."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.domain.stats import month_of
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
README_SANDBOX = "http://127.0.0.1:8787"


def readme_commands() -> dict[str, str]:
    """The README's `python -m tagback.cli … --sandbox` lines, by subcommand (`guest`'s by its action too)."""
    lines = (line.strip() for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    return {
        " ".join(line.split()[3:5] if line.split()[3] == "guest" else line.split()[3:4]): line
        for line in lines
        if line.startswith("python -m tagback.cli ") and line.endswith(f"--sandbox {README_SANDBOX}")
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        yield running


@pytest.fixture(scope="module")
def code(sandbox: Sandbox) -> str:
    """A coupon won through signed webhook deliveries: a story mention, then the language pick."""
    guest = Guest(sandbox, "6170000000000801")
    guest.mention()
    guest.tap("English")
    (award,) = [i for i in sandbox.store.table.items_under(f"GUEST#{guest.guest_id}") if i["item_type"] == "award"]
    return str(award["coupon_code"])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")  # no ~/.aws


def shell(sandbox: Sandbox, home: Path, line: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # as `source .venv/bin/activate`
        "HOME": str(home),
        "TZ": sandbox.config.timezone,  # `date +%Y-%m` gives the venue's month
        # A checkout run with PYTHONPATH (a worktree beside the venv's own) runs its own package, as its user would.
        **{name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ},
        **variables,
    }
    command = line.replace(README_SANDBOX, sandbox.url)
    return subprocess.run(
        ["/bin/bash", "-c", command], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_readme_shows_each_command_against_the_sandbox() -> None:
    assert set(readme_commands()) == {
        "export",
        "coupon",
        "redeem",
        "report",
        "retention",
        "guest export",
        "guest erase",
        "status",
    }


def test_export_writes_the_months_awards(sandbox: Sandbox, code: str, home: Path, tmp_path: Path) -> None:
    done = shell(sandbox, home, f"{readme_commands()['export']} --out {tmp_path}")
    assert done.returncode == 0, done.stderr
    (awards,) = tmp_path.glob("demo-*-awards.csv")
    assert [row["prize"] for row in csv.DictReader(awards.open(encoding="utf-8-sig")) if row["coupon_code"] == code]
    assert len(list(tmp_path.glob("demo-*-contacts.csv"))) == 1


def test_coupon_tells_the_code_from_a_typo_with_the_sandboxs_key(sandbox: Sandbox, code: str, home: Path) -> None:
    genuine = shell(sandbox, home, readme_commands()["coupon"], code=code)
    assert (genuine.returncode, genuine.stdout) == (0, f"{code}: genuine\n"), genuine.stderr
    typo = code[:-1] + ("3" if code[-1] != "3" else "4")
    refused = shell(sandbox, home, readme_commands()["coupon"], code=typo)
    assert refused.returncode == 1 and "NOT a code this client issued" in refused.stdout, refused.stderr


def test_redeem_redeems_once(sandbox: Sandbox, code: str, home: Path) -> None:
    first = shell(sandbox, home, readme_commands()["redeem"], code=code)
    assert first.returncode == 0 and first.stdout.startswith(f"{code}: REDEEMED — "), first.stderr
    assert " for Guest 0801 (until " in first.stdout  # the guest's display name, from their profile (the fake's)
    again = shell(sandbox, home, readme_commands()["redeem"], code=code)
    assert again.returncode == 1 and f"{code}: ALREADY USED on " in again.stdout, again.stderr
    sandbox.settle()
    month = month_of(sandbox.clock.now(), sandbox.config.tz)
    assert sandbox.store.stats.month_totals(month)["coupons_redeemed"] == 1


def test_report_writes_the_months_html_and_email(sandbox: Sandbox, code: str, home: Path, tmp_path: Path) -> None:
    done = shell(sandbox, home, f"{readme_commands()['report']} --out {tmp_path}")
    assert done.returncode == 0, done.stderr
    month = month_of(sandbox.clock.now(), sandbox.config.tz)
    assert "Story mentions" in (tmp_path / f"demo-report-{month}.html").read_text(encoding="utf-8")
    assert (tmp_path / f"demo-report-{month}.eml").read_bytes().startswith(b"Subject: Monthly report")


def test_retention_deletes_the_sheets_rows_older_than_retention(sandbox: Sandbox, code: str, home: Path) -> None:
    sandbox.settle()  # the award's row reaches the sheet
    rows = sandbox.google.rows["Entries"]
    assert [row for row in rows if row[5] == code]
    rows.insert(1, ["award-last-year", "award", "2025-01-10 12:00", "Old Guest", "Free espresso", "", "en", "", ""])
    done = shell(sandbox, home, readme_commands()["retention"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("the sheet 'Entries': 1 row(s) dated before "), done.stdout
    assert "award-last-year" not in [row[0] for row in rows] and [row for row in rows if row[5] == code]


def test_without_a_sandbox_or_aws_setup_the_command_says_so_in_one_line(sandbox: Sandbox, home: Path) -> None:
    line = readme_commands()["export"].removesuffix(f" --sandbox {README_SANDBOX}")
    done = shell(sandbox, home, line)
    assert done.returncode == 1
    assert done.stderr.startswith("error: no AWS region configured") and done.stderr.count("\n") == 1, done.stderr


def test_guest_export_then_erase_the_readmes_guest(sandbox: Sandbox, home: Path) -> None:
    guest = Guest(sandbox, "43")  # the README's guest by hand: a story mention, then the language pick
    guest.mention()
    guest.tap("English")
    exported = shell(sandbox, home, readme_commands()["guest export"])
    assert exported.returncode == 0 and '"guest_id": "43"' in exported.stdout, exported.stderr
    erased = shell(sandbox, home, readme_commands()["guest erase"])
    assert erased.returncode == 0 and "guest 43 erased from demo:" in erased.stdout, erased.stderr
    again = shell(sandbox, home, readme_commands()["guest erase"])
    assert (again.returncode, again.stdout) == (0, "nothing held about guest 43 in demo\n"), again.stderr


def test_status_shows_every_venue_in_one_table(sandbox: Sandbox, code: str, home: Path) -> None:
    luna_reports = sandbox.venue("luna").resources.failure_queue_urls["monthly_report"]
    # A report that failed inside its function waits in luna's queue: SQS tells CloudWatch an active queue's depth
    # every minute (moto does not), as here a minute ago. status reads it there, and only there (the queue itself is
    # left empty: asking it would wake every queue's metrics for six hours, adapters/queue_metrics.py).
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": luna_reports.rsplit("/", 1)[1]}],
                "Timestamp": sandbox.clock.now() - timedelta(minutes=1),
                "Value": 1,
            }
        ],
    )
    done = shell(sandbox, home, readme_commands()["status"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 venues at ") and "ReportFailure 1" in done.stdout, done.stdout
    as_json = shell(sandbox, home, f"{readme_commands()['status']} --json")
    assert as_json.returncode == 0, as_json.stderr
    rows = {row["client_id"]: row for row in json.loads(as_json.stdout)}
    assert set(rows) == {"demo", "luna"}
    assert rows["demo"]["mentions_today"] >= 1 and rows["demo"]["awards_this_month"] >= 1  # the coupon's guest
    assert rows["luna"]["queues"] == {
        "FollowUpFailure": 0,
        "IntegrationDeadLetter": 0,
        "PrizeDeadLetter": 0,
        "ReportFailure": 1,
    }
