from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tagback.config.loading import load_client_config, parse_client_config
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "clients" / "demo.yaml"
APP_SECRET = "test_app_secret_123"
VERIFY_TOKEN = "test-verify-token"

# Handlers log to stdout (captured by pytest); keep it to what matters.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


# The demo client reduced to one language and no contact question: the prize DM follows the mention directly.
ENGLISH_ONLY = {"languages": ["en"], "messages": {}, "contact_capture": {"channels": "off"}}


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
