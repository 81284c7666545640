"""Metrics as the functions emit them (the agency's series for every outcome, the venue's own for what the agency's
alarms group by venue) and the traces' annotations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tagback import observability
from tagback.observability import FUNCTION_ERRORS_METRIC, count, errors_counted, for_venue, metrics, traced


@pytest.fixture(autouse=True)
def no_metrics_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "prize")  # as the stack sets it for each function
    monkeypatch.setattr(metrics, "service", "prize")
    metrics.clear_metrics()


def published(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The EMF records printed (`single_metric` prints its own at once), then the handler's flush of the rest."""
    metrics.flush_metrics()
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def test_outcomes_are_the_agencys_series_and_a_token_refusal_the_venues_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for_venue("demo")
    count("dm_sent")
    count("waiting_for_token")
    venue, agency = published(capsys)
    assert (venue["client_id"], venue["service"], venue["TokenRefused"]) == ("demo", "prize", [1.0])
    assert venue["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["client_id", "service"]]  # the alarm's
    # Not also without the venue: the alarm would see that series as a venue of its own ("Other").
    assert "client_id" not in agency and agency["DmSent"] == [1.0] and "TokenRefused" not in agency


def test_without_a_venue_nothing_is_published_per_venue(capsys: pytest.CaptureFixture[str]) -> None:
    count("waiting_for_token")  # the edge's functions, the CLI: no venue
    (agency,) = published(capsys)
    assert "client_id" not in agency and agency["TokenRefused"] == [1.0]


def test_a_venues_failed_invocation_counts_function_errors_with_the_venue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @errors_counted
    def handler(event: dict[str, Any], context: object) -> None:
        for_venue("demo")  # as a venue's handler says first
        raise RuntimeError("DynamoDB unavailable")

    with pytest.raises(RuntimeError):
        handler({}, None)
    (venue,) = published(capsys)
    assert (venue["client_id"], venue["service"], venue[FUNCTION_ERRORS_METRIC]) == ("demo", "prize", [1.0])


def test_a_handler_that_raises_counts_function_errors_and_still_raises(metric_counts: Counter[str]) -> None:
    @errors_counted
    def failing(event: dict[str, Any], context: object) -> None:
        raise RuntimeError("DynamoDB unavailable")

    @errors_counted
    def fine(event: dict[str, Any], context: object) -> str:
        return "done"

    assert fine({}, None) == "done"
    assert metric_counts[FUNCTION_ERRORS_METRIC] == 0
    with pytest.raises(RuntimeError):
        failing({}, None)
    assert metric_counts[FUNCTION_ERRORS_METRIC] == 1


@dataclass
class Subsegment:
    name: str
    annotations: dict[str, str] = field(default_factory=dict)

    def put_annotation(self, key: str, value: str) -> None:
        self.annotations[key] = value


@dataclass
class Provider:
    subsegments: list[Subsegment] = field(default_factory=list)

    @contextmanager
    def in_subsegment(self, name: str) -> Iterator[Subsegment]:
        self.subsegments.append(Subsegment(name))
        yield self.subsegments[-1]


@dataclass
class Tracer:
    disabled: bool
    provider: Provider = field(default_factory=Provider)


def test_traced_work_is_a_subsegment_annotated_with_what_finds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    tracer = Tracer(disabled=False)
    monkeypatch.setattr(observability, "tracer", tracer)
    with traced("inbound_event", mid="m-1", kind="story_mention"):
        pass
    assert tracer.provider.subsegments == [Subsegment("inbound_event", {"mid": "m-1", "kind": "story_mention"})]


def test_outside_lambda_tracing_is_off_and_traced_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert observability.tracer.disabled  # no LAMBDA_TASK_ROOT here; POWERTOOLS_TRACE_DISABLED says so too
    tracer = Tracer(disabled=True)
    monkeypatch.setattr(observability, "tracer", tracer)
    with traced("inbound_event", mid="m-1"):
        pass
    assert tracer.provider.subsegments == []
