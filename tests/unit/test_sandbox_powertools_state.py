"""Two venues' invocations at once in the sandbox's one process keep their metrics and log keys apart, as two
containers do in Lambda (sandbox/powertools_state.py)."""

from __future__ import annotations

import contextvars
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import powertools_state
from sandbox.apigw import LambdaContext
from sandbox.function_output import set_log_stream
from tagback.observability import count, logger, metrics


@pytest.fixture
def installed() -> Iterator[None]:
    metrics.clear_metrics()
    powertools_state.install()
    yield
    powertools_state.uninstall()


def invoke(handler: Any, function_name: str) -> None:
    """As the sandbox runs an invocation: in a context of its own, with Powertools' state of its own."""

    def run() -> None:
        with powertools_state.in_own_container():
            handler({}, LambdaContext(function_name))

    contextvars.copy_context().run(run)


def test_an_invocation_ending_meanwhile_neither_publishes_nor_clears_the_others_metrics(
    installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    added, other_done = threading.Event(), threading.Event()
    lines = io.StringIO()
    before = set_log_stream(lines)

    @metrics.log_metrics
    @logger.inject_lambda_context
    def first(event: dict[str, Any], context: Any) -> None:
        count("dm_sent")
        added.set()
        other_done.wait(10)  # the other venue's invocation starts and ends meanwhile
        logger.info("prize sent")

    @metrics.log_metrics
    @logger.inject_lambda_context
    def second(event: dict[str, Any], context: Any) -> None:
        added.wait(10)
        count("repeat_replied")

    try:
        running = threading.Thread(target=invoke, args=(first, "tagback-demo-prize"))
        running.start()
        invoke(second, "tagback-luna-prize")
        other_done.set()
        running.join()
    finally:
        set_log_stream(before)
    published = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [{k for k in p if k in ("DmSent", "RepeatReplied")} for p in published] == [{"RepeatReplied"}, {"DmSent"}]
    (logged,) = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert logged["function_name"] == "tagback-demo-prize"  # not the invocation that started last
