"""The sandbox as a user runs it: a separate process on a port, driven over HTTP, stopped by a signal."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
import yaml

from sandbox import meta_payloads as p
from tests.conftest import ENGLISH_ONLY, ROOT
from tests.e2e.waiting import wait_for

pytestmark = pytest.mark.e2e
APP_SECRET, VERIFY_TOKEN = "e2e-app-secret", "e2e-verify-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    # The demo client in English only: a mention leads straight to the prize (no language question).
    clients = tmp_path_factory.mktemp("clients")
    shutil.copytree(ROOT / "clients" / "assets", clients / "assets")
    config = yaml.safe_load((ROOT / "clients" / "demo.yaml").read_text(encoding="utf-8")) | ENGLISH_ONLY
    (clients / "demo.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    port = free_port()
    environ = dict(
        os.environ,
        PORT=str(port),
        TAGBACK_APP_SECRET=APP_SECRET,
        TAGBACK_VERIFY_TOKEN=VERIFY_TOKEN,
        TAGBACK_CLIENT_CONFIG=str(clients / "demo.yaml"),
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox"],
        cwd=ROOT,
        env=environ,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/_sandbox/status", timeout=1).ok:
                break
        except requests.RequestException:  # not listening yet, or bound but not serving yet
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"sandbox did not start: {process.communicate()[0]}")
    yield url, process
    if process.poll() is None:
        process.kill()
    # What the sandbox printed (its log lines, any traceback), for a failing run to be read afterwards.
    (clients / "sandbox-output.log").write_text(process.communicate()[0] or "", encoding="utf-8")


def test_status_reports_where_everything_is(sandbox: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = sandbox
    status = requests.get(f"{url}/_sandbox/status", timeout=5).json()
    assert {"aws_endpoint", "region", "table", "graph_url", "client_id", "ig_account_id"} <= set(status)
    assert status["client_id"] == "demo" and status["table"] == "tagback-demo"
    assert status["aws_endpoint"].startswith("http://127.0.0.1:")


def post_mention(url: str, guest: str, mid: str) -> requests.Response:
    status = requests.get(f"{url}/_sandbox/status", timeout=5).json()
    us, now = status["ig_account_id"], datetime.fromisoformat(status["now"])
    body, headers = p.signed(p.envelope(us, [p.story_mention(guest, us, mid, int(now.timestamp() * 1000))]), APP_SECRET)
    return requests.post(f"{url}/webhook", data=body, headers=headers, timeout=5)


def messages_to(url: str, guest: str) -> list[dict[str, Any]]:
    sent = requests.get(f"{url}/_sandbox/messages", timeout=5).json()
    return [m["json"]["message"] for m in sent if m["json"]["recipient"]["id"] == guest]


def test_webhook_over_http_with_the_configured_secrets(sandbox: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = sandbox
    handshake = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "c-1"}
    assert requests.get(f"{url}/webhook", params=handshake, timeout=5).text == "c-1"
    first, again = post_mention(url, "g-http", "mid.http"), post_mention(url, "g-http", "mid.http")
    assert (first.json()["stored"], again.json()["duplicates"]) == (1, 1)
    forged = requests.post(f"{url}/webhook", data=b"{}", headers={"X-Hub-Signature-256": "sha256=0"}, timeout=5)
    assert forged.status_code == 403
    assert requests.get(f"{url}/nowhere", timeout=5).status_code == 404


def test_a_signed_mention_ends_in_the_prize_text_and_image_within_two_seconds(
    sandbox: tuple[str, subprocess.Popen[str]],
) -> None:
    url, _ = sandbox
    assert post_mention(url, "g-fast", "mid.fast").status_code == 200
    took = wait_for(lambda: len(messages_to(url, "g-fast")) == 2, seconds=2.0)
    text, image = messages_to(url, "g-fast")
    assert "Your prize" in text["text"] and image["attachment"]["type"] == "image"
    print(f"mention → prize text and image: {took:.2f} s of wall time")


def test_the_follow_up_is_scheduled_for_sixty_minutes_and_fires_on_the_clock(
    sandbox: tuple[str, subprocess.Popen[str]],
) -> None:
    url, _ = sandbox
    now = datetime.fromisoformat(requests.get(f"{url}/_sandbox/status", timeout=5).json()["now"])
    post_mention(url, "g-clock", "mid.clock")
    wait_for(lambda: len(messages_to(url, "g-clock")) == 2, seconds=5)
    (schedule,) = [
        s
        for s in requests.get(f"{url}/_sandbox/schedules", timeout=5).json()
        if s["Input"].get("guest_id") == "g-clock"
    ]
    due = datetime.fromisoformat(schedule["ScheduleExpression"][3:-1]).replace(tzinfo=UTC)
    assert timedelta(minutes=60) <= due - now < timedelta(minutes=61)
    assert schedule["ActionAfterCompletion"] == "DELETE"
    before = requests.post(f"{url}/_sandbox/clock", json={"advance_minutes": 59}, timeout=5).json()
    assert schedule["Name"] not in before["fired"]
    after = requests.post(f"{url}/_sandbox/clock", json={"advance_minutes": 2}, timeout=10).json()
    assert schedule["Name"] in after["fired"]
    assert "review on Google" in messages_to(url, "g-clock")[-1]["text"]
    assert requests.post(f"{url}/_sandbox/clock", json={"advance_minutes": -5}, timeout=5).status_code == 400


def test_faults_throttle_twice_then_one_dm_and_outside_window_is_permanent(
    sandbox: tuple[str, subprocess.Popen[str]],
) -> None:
    url, _ = sandbox
    assert requests.post(f"{url}/_sandbox/faults", json={"send": ["throttle", "throttle"]}, timeout=5).ok
    post_mention(url, "g-throttled", "mid.throttled")
    wait_for(lambda: len(messages_to(url, "g-throttled")) == 2, seconds=10)
    assert sum("Your prize" in m.get("text", "") for m in messages_to(url, "g-throttled")) == 1

    assert requests.post(f"{url}/_sandbox/faults", json={"send": ["outside_window"]}, timeout=5).ok
    post_mention(url, "g-late", "mid.late")
    time.sleep(1.5)  # several stream polls: a retry loop would show up as more requests
    assert messages_to(url, "g-late") == []
    assert requests.post(f"{url}/_sandbox/faults", json={"send": ["no-such-fault"]}, timeout=5).status_code == 400


def test_a_poison_record_goes_to_the_dead_letter_queue_and_the_stream_moves_on(
    sandbox: tuple[str, subprocess.Popen[str]],
) -> None:
    url, _ = sandbox
    status = requests.get(f"{url}/_sandbox/status", timeout=5).json()
    aws = {
        "endpoint_url": status["aws_endpoint"],
        "region_name": status["region"],
        "aws_access_key_id": status["aws_access_key_id"],  # IAM is enforced: the sandbox's operator
        "aws_secret_access_key": status["aws_secret_access_key"],
    }
    poison = {
        "PK": {"S": "GUEST#poison"},
        "SK": {"S": "IN#mid.poison"},
        "item_type": {"S": "inbound_event"},
        "kind": {"S": "not-a-kind"},
    }
    boto3.client("dynamodb", **aws).put_item(TableName=status["table"], Item=poison)
    post_mention(url, "g-after-poison", "mid.after")
    wait_for(lambda: len(messages_to(url, "g-after-poison")) == 2, seconds=10)  # the stream was not blocked
    sqs = boto3.client("sqs", **aws)
    queue = status["prize_dead_letter_queue"]
    wait_for(
        lambda: (
            sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
            == "1"
        ),
        seconds=10,
    )
    report = requests.post(f"{url}/_sandbox/replay", timeout=10).json()["prize"]
    assert (report["replayed"], report["still_failing"]) == (0, 1)  # still poison: kept for a person


def test_sigterm_stops_everything(sandbox: tuple[str, subprocess.Popen[str]]) -> None:
    url, process = sandbox
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "sandbox stopped" in output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sandbox/status", timeout=2)


def test_make_demo_tells_the_story_and_succeeds() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PORT="0"),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for line in ("answered 200 with the challenge", "Transcript: Ana", "Transcript: Ben", "Demo complete"):
        assert line in result.stdout
    assert "✘" not in result.stdout
