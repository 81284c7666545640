from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import single_language_venues
from sandbox.runtime import Sandbox, SandboxOptions


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """The sandbox's two venues, each in its first language without the contact question: a mention's answer is its
    prize or the repeat reply."""
    first, *more = single_language_venues(tmp_path)
    with Sandbox(SandboxOptions(config_path=first, more_config_paths=tuple(more), port=0)) as running:
        yield running
