"""The sandbox as a user runs it: a separate process on a port, driven over HTTP, stopped by a signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests

from sandbox import meta_payloads as p
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
APP_SECRET, VERIFY_TOKEN = "e2e-app-secret", "e2e-verify-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    environ = dict(
        os.environ,
        PORT=str(port),
        TAGBACK_APP_SECRET=APP_SECRET,
        TAGBACK_VERIFY_TOKEN=VERIFY_TOKEN,
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_DISABLED="true",
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
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"sandbox did not start: {process.communicate()[0]}")
    yield url, process
    if process.poll() is None:
        process.kill()


def test_status_reports_where_everything_is(sandbox: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = sandbox
    status = requests.get(f"{url}/_sandbox/status", timeout=5).json()
    assert set(status) == {"aws_endpoint", "region", "table", "graph_url", "client_id", "ig_account_id"}
    assert status["client_id"] == "demo" and status["table"] == "tagback-demo"
    assert status["aws_endpoint"].startswith("http://127.0.0.1:")


def test_webhook_over_http_with_the_configured_secrets(sandbox: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = sandbox
    us = requests.get(f"{url}/_sandbox/status", timeout=5).json()["ig_account_id"]
    handshake = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "c-1"}
    assert requests.get(f"{url}/webhook", params=handshake, timeout=5).text == "c-1"
    body, headers = p.signed(p.envelope(us, [p.story_mention("g-e2e", us, "mid.e2e")]), APP_SECRET)
    first = requests.post(f"{url}/webhook", data=body, headers=headers, timeout=5)
    again = requests.post(f"{url}/webhook", data=body, headers=headers, timeout=5)
    assert (first.json()["stored"], again.json()["duplicates"]) == (1, 1)
    assert (
        requests.post(f"{url}/webhook", data=body, headers={"X-Hub-Signature-256": "sha256=0"}, timeout=5).status_code
        == 403
    )
    assert requests.get(f"{url}/nowhere", timeout=5).status_code == 404


def test_messages_and_clock_controls(sandbox: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = sandbox
    assert requests.get(f"{url}/_sandbox/messages", timeout=5).json() == []
    before = requests.post(f"{url}/_sandbox/clock", json={"advance_minutes": 0}, timeout=5).json()["now"]
    after = requests.post(f"{url}/_sandbox/clock", json={"advance_minutes": 90}, timeout=5).json()
    assert after["fired"] == []
    assert datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before) == timedelta(minutes=90)
    assert requests.post(f"{url}/_sandbox/clock", json={"advance_minutes": -5}, timeout=5).status_code == 400


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
    for line in (
        "answered 200 with the challenge",
        "the mention is stored as an inbound event",
        "answered 403",
        "the redelivery was a no-op",
        "Demo complete",
    ):
        assert line in result.stdout
    assert "✘" not in result.stdout
