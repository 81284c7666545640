"""The benches' floors (bench/): what every handler of a kind must import and run, which `make bench` prints beside
the handlers. A floor is only what its handlers load, or "ours" (a handler's ratio above its floor) would be
understated."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest

from bench.bench_cold_import import FLOORS, KINDS
from bench.bench_webhook import machinery_floor
from infra.assets import FUNCTION_LAYERS, ROOT
from sandbox.apigw import LambdaContext, http_api_event

# What Lambda sets that the libraries read at import (as the cold-import bench runs them): the Tracer is on.
LAMBDA_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "tagback-floors",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_REGION": "eu-west-1",
}
MANDATED_MODULES = {"pydantic.main", "aws_lambda_powertools.logging", "aws_lambda_powertools.metrics", "aws_xray_sdk"}


@functools.cache
def modules_loaded(source: str) -> frozenset[str]:
    """The modules loaded by running `source` in a fresh interpreter."""
    listed = subprocess.run(
        [sys.executable, "-c", f"{source}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        env={
            **os.environ,
            **LAMBDA_ENVIRONMENT,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common")]),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(listed.stdout.splitlines()[-1])
    return frozenset(loaded)


@pytest.mark.parametrize("function", sorted(FUNCTION_LAYERS))
def test_a_functions_floor_loads_the_mandated_stack_and_nothing_its_handler_does_not(function: str) -> None:
    floor = modules_loaded(FLOORS[KINDS[function]])
    handler = modules_loaded(f"import functions.{function}.handler")
    assert floor >= MANDATED_MODULES, sorted(MANDATED_MODULES - floor)
    assert floor <= handler, sorted(floor - handler)


@pytest.mark.filterwarnings("ignore:No application metrics")  # the floor counts nothing: counting is ours
def test_the_per_post_floor_answers_the_webhooks_post() -> None:
    event = http_api_event("POST", "/webhook", body=b'{"object": "instagram", "entry": []}')
    answer = machinery_floor()(event, LambdaContext("floor"))
    assert answer["statusCode"] == 200, answer
