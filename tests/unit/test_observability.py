"""Metrics the alarms watch and the traces' annotations, as the functions emit them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tagback import observability
from tagback.observability import FUNCTION_ERRORS_METRIC, errors_counted, traced


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
