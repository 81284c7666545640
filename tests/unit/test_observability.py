"""Metrics: the agency's series for every outcome, and the venue's own for what is alarmed per venue."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

import pytest

from tagback import observability
from tagback.observability import count, for_venue, metrics


@pytest.fixture(autouse=True)
def no_venue_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(observability, "_venue", ContextVar("venue", default=None))
    metrics.clear_metrics()


def published(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The EMF records printed (`single_metric` prints its own at once), then the handler's flush of the rest."""
    metrics.flush_metrics()
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def test_outcomes_are_the_agencys_series_and_a_token_refusal_is_also_the_venues(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "prize")  # as the stack sets it for each function
    for_venue("demo")
    count("dm_sent")
    count("waiting_for_token")
    venue, agency = published(capsys)
    assert (venue["client_id"], venue["service"], venue["TokenRefused"]) == ("demo", "prize", [1.0])
    assert venue["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["client_id", "service"]]  # the alarm's
    assert "client_id" not in agency and (agency["DmSent"], agency["TokenRefused"]) == ([1.0], [1.0])


def test_without_a_venue_nothing_is_published_per_venue(capsys: pytest.CaptureFixture[str]) -> None:
    count("waiting_for_token")  # the edge's functions, the CLI: no venue
    (agency,) = published(capsys)
    assert "client_id" not in agency and agency["TokenRefused"] == [1.0]
