from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.function_output import set_log_stream
from tagback import observability
from tagback.config.loading import load_client_config, parse_client_config
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tagback.domain.registrations import Registration

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "clients" / "demo.yaml"
APP_SECRET = "test_app_secret_123"
VERIFY_TOKEN = "test-verify-token"
APP_SECRET_PARAM = "/tagback/edge/meta-app-secret"
VERIFY_TOKEN_PARAM = "/tagback/edge/meta-verify-token"
DEMO_ACCOUNT = "17841400000000001"  # clients/demo.yaml's instagram_account_id
REGISTERED_ON = date(2026, 11, 1)  # when a test's venue first registered with the edge

# Handlers log to stdout (captured by pytest); keep it to what matters.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
# X-Ray: the handlers' Tracer sends nothing outside Lambda (it also sees it is not in Lambda).
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


# The demo client reduced to one language, no contact question and none of its own questions: the prize DM follows
# the mention directly, and nothing follows the prize.
ENGLISH_ONLY = {"languages": ["en"], "messages": {}, "contact_capture": {"channels": "off"}, "questions": []}


@pytest.fixture(scope="session")
def demo_config() -> ClientConfig:
    return load_client_config(DEMO_CONFIG)


@pytest.fixture(scope="session")
def english_only() -> ClientConfig:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8")) | ENGLISH_ONLY
    return parse_client_config(data, "english-only demo", DEMO_CONFIG.parent)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 20, 21, 30, tzinfo=UTC))


def registration(
    client_id: str = "demo", account_id: str = DEMO_ACCOUNT, region: str = "eu-west-1", **changes: Any
) -> Registration:
    """A venue as its stack registers it with the edge (the demo's by default)."""
    fields: dict[str, Any] = {
        "venue_name": f"Venue {client_id}",
        "table": f"tagback-{client_id}",
        "timezone": "Europe/Lisbon",
        "retention_days": 90,
        "link_prefix": f"https://edge.example/l/{client_id}",
        "registered_on": REGISTERED_ON,
    }
    return Registration(client_id=client_id, account_id=account_id, region=region, **(fields | changes))


@pytest.fixture(autouse=True)
def no_venue_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no venue named for its metrics (a handler's for_venue stays, as in a warm function)."""
    monkeypatch.setattr(observability, "_venue", ContextVar("tagback_venue", default=None))


@pytest.fixture
def metric_counts(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every metric counted (by its metric name), instead of being published (the agency's or the venue's)."""
    counted: Counter[str] = Counter()

    def publish(name: str, value: int) -> None:
        counted[name] += value

    monkeypatch.setattr(observability, "_publish", publish)
    return counted


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the functions' logger writes (its handler keeps the sys.stdout of import time, out of capsys' reach)."""
    lines = io.StringIO()
    before = set_log_stream(lines)
    yield lines
    set_log_stream(before)
