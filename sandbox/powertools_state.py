"""Powertools' module-level state, one copy per invocation, as Lambda gives each concurrent invocation a container.

The functions keep Powertools' Logger and Metrics at module level (tagback/observability.py), as Lambda code does: a
container runs one invocation at a time, so the metrics an invocation adds (with their dimensions and metadata) are
its own until its handler flushes them, and the keys its Logger appends (function name, request id) are on its own
lines. The sandbox runs every venue's functions, and concurrent invocations of one function, in one process: there
one invocation's flush would publish and clear another's metrics, and a log line would carry another invocation's
function and request. Once installed, each invocation run `in_own_container` has its own copy of that state (a
metric set starting empty, as a container's does after the last flush; the Logger's keys as the container set them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from tagback.observability import logger, metrics

# Per invocation: (id of the object, attribute) → that invocation's value.
_invocation: ContextVar[dict[tuple[int, str], Any] | None] = ContextVar("powertools_invocation", default=None)


class _PerInvocation:
    """An attribute of each invocation's own, first `fresh(obj)`, inside `in_own_container`; the object's (its
    container's) outside any invocation."""

    def __init__(self, fresh: Callable[[Any], Any]) -> None:
        self.fresh = fresh

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        state = _invocation.get()
        if state is None:
            return obj.__dict__[self.name]
        key = (id(obj), self.name)
        if key not in state:
            state[key] = self.fresh(obj)
        return state[key]

    def __set__(self, obj: Any, value: Any) -> None:
        state = _invocation.get()
        if state is None:
            obj.__dict__[self.name] = value
        else:
            state[(id(obj), self.name)] = value


class _InvocationMetrics(AmazonCloudWatchEMFProvider):
    metric_set = _PerInvocation(lambda _: {})
    metadata_set = _PerInvocation(lambda _: {})
    dimension_sets = _PerInvocation(lambda _: [])
    timestamp = _PerInvocation(lambda _: None)
    # What clear_metrics leaves: the default dimensions (set once per container).
    dimension_set = _PerInvocation(lambda provider: {k: str(v) for k, v in provider.default_dimensions.items()})


class _InvocationLogFormat(LambdaPowertoolsFormatter):
    log_format = _PerInvocation(lambda formatter: dict(formatter.__dict__["log_format"]))


def install() -> None:
    """From now on the functions' Metrics and Logger keep their state per invocation (in `in_own_container`)."""
    metrics.provider.__class__ = _InvocationMetrics
    logger.registered_formatter.__class__ = _InvocationLogFormat


def uninstall() -> None:
    metrics.provider.__class__ = AmazonCloudWatchEMFProvider
    logger.registered_formatter.__class__ = LambdaPowertoolsFormatter


@contextmanager
def in_own_container() -> Iterator[None]:
    """Run an invocation with Powertools' state of its own (within the caller's context: a function's invocation
    runs in a copy of the context of its own)."""
    token = _invocation.set({})
    try:
        yield
    finally:
        _invocation.reset(token)
