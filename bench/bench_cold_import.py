"""Cold import of each handler on Lambda's Python (3.13), from the assets as `cdk synth` builds them (each function
on its layer, with the bytecode they ship), printed as ratios to a bare `import boto3` (the runtime's, compiled) in
the same run; and each layer's unpacked size, which Lambda downloads and unpacks at every cold start. Times are the
import's CPU time: the machine is shared, and waiting for a core is not the import's cost.

Each import runs in a fresh `python3.13 -I -S -B` that sees only the function's folder, its layer and the runtime's
packages, in Lambda's order, with the variables Lambda sets that the libraries read at import: outside Lambda the
X-Ray SDK (Powertools' Tracer imports it) builds a botocore client for its sampling rules at import, which in Lambda
it does not (Lambda samples), and that alone costs about half an `import boto3`.

Beside each handler, its floor: a module importing only what every handler of its kind must, from the same layer,
run the same way. pydantic and Powertools are the customer's fixed dependencies, and issue 14 wants Powertools'
Tracer, botocore patched, on every function: a handler's ratio above its floor is ours (its models, routes, wiring).
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from infra.assets import FUNCTION_LAYERS, ROOT, compile_bytecode
from tagback.config.agency import load_agency_config
from tagback.config.loading import load_client_config
from tests.infra.lambda_runtime import install_runtime_packages, run_in_lambda_python, synthesized_assets

RUNS = 7
MB = 1e6
# Issue 15's goals: (cold import as a ratio to `import boto3`, unpacked MB) for each function's layer.
GOALS = {"edge": (1.3, 25), "conversation": (1.6, 60), "report": (1.6, None), "owner": (1.6, None)}
# What every handler imports and builds at import, as tagback/observability.py does, and pydantic's BaseModel. Not a
# model built (the functions' settings models build when first validated), nor boto3: the handlers import it on first
# use, and at import only botocore, which the Tracer patches.
MANDATED = """
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

logger = Logger()
metrics = Metrics(namespace="Tagback")
tracer = Tracer(patch_modules=("botocore",))
"""
# Each kind's floor: the Powertools utility its handlers are built on, and the mandated stack. The batch utility
# before pydantic, as the prize handler imports it: after pydantic, its types import Powertools' parser models.
FLOORS = {
    "http": """
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths

app = APIGatewayHttpResolver()
"""
    + MANDATED,
    "stream": """
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
"""
    + MANDATED,
    "event": MANDATED,
}
# The kind of each function (by its folder under functions/): an HTTP API route, a stream's batches, or an event
# from a schedule, CloudFormation or an alarm.
KINDS = {
    "webhook": "http",
    "redemption": "http",
    "prize": "stream",
    "owner_delivery": "stream",
    "registry": "event",
    "watchdog": "event",
    "review_followup": "event",
    "monthly_report": "event",
}


def write_floors(folder: Path) -> None:
    """Each kind's floor as a module `floor_<kind>` in `folder`, with bytecode, as a function's folder ships."""
    folder.mkdir()
    for kind, source in FLOORS.items():
        (folder / f"floor_{kind}.py").write_text(source, encoding="utf-8")
    compile_bytecode(folder)


def unpacked_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def cold_imports() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        config = load_client_config(ROOT / "clients" / "demo.yaml")
        agency = load_agency_config(ROOT / "agency.yaml")
        assets = synthesized_assets(agency, config, work / "cdk.out", work / "build")
        runtime = work / "runtime"
        install_runtime_packages(runtime)
        floors = work / "floors"
        write_floors(floors)
        layers = {FUNCTION_LAYERS[name]: assets.layers[name] for name in assets.functions}
        floor_runs = sorted({(KINDS[name], FUNCTION_LAYERS[name]) for name in assets.functions})

        def seconds(module: str, *paths: Path) -> float:
            lambda_environment = {
                "LAMBDA_TASK_ROOT": str(paths[0]),
                "AWS_LAMBDA_FUNCTION_NAME": paths[0].name,
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
                "AWS_REGION": "eu-west-1",
            }
            outcome = run_in_lambda_python(module, list(paths), lambda_environment, work / "result.json")
            return float(outcome["import_cpu_seconds"])

        runs: dict[str, list[float]] = {}
        for _ in range(RUNS):  # interleaved, so a slower moment of the machine weighs on every figure alike
            runs.setdefault("boto3", []).append(seconds("boto3", runtime))
            for name, function in assets.functions.items():
                runs.setdefault(name, []).append(seconds("handler", function, assets.layers[name], runtime))
            for kind, layer in floor_runs:
                runs.setdefault(f"{kind} {layer}", []).append(seconds(f"floor_{kind}", floors, layers[layer], runtime))
        median = {label: statistics.median(values) for label, values in runs.items()}
        boto3 = median["boto3"]
        print(
            f"cold import on python3.13 with the shipped bytecode, CPU time, median of {RUNS}: "
            f"import boto3 {boto3 * 1e3:.1f} ms"
        )
        print(
            "floor: what every handler of a kind must import (FLOORS): pydantic, Powertools' Logger, Metrics and "
            "Tracer patching botocore; http with the HTTP resolver, stream with the batch processor"
        )
        for kind, layer in floor_runs:
            ratio = median[f"{kind} {layer}"] / boto3
            goal = GOALS[layer][0]
            print(
                f"floor {kind:6} on {layer:12} {median[f'{kind} {layer}'] * 1e3:6.1f} ms = {ratio:4.2f}x boto3"
                f"   (its functions' goal <= {goal}x{': MISSED by the floor alone' if ratio > goal else ''})"
            )
        for name in assets.functions:
            layer = FUNCTION_LAYERS[name]
            goal = GOALS[layer][0]
            ratio = median[name] / boto3
            floor = median[f"{KINDS[name]} {layer}"] / boto3
            print(
                f"cold import {name:16} on {layer:12} {median[name] * 1e3:6.1f} ms = {ratio:4.2f}x boto3"
                f" = floor {KINDS[name]} {floor:4.2f}x + ours {ratio - floor:4.2f}x"
                f"   (goal <= {goal}x{'' if ratio <= goal else ': MISSED'})"
            )
        for layer, python in sorted(layers.items()):
            size = unpacked_bytes(python.parent) / MB
            goal_mb = GOALS[layer][1]
            verdict = "" if goal_mb is None else f"   (goal <= {goal_mb} MB{'' if size <= goal_mb else ': MISSED'})"
            print(f"layer {layer:12} unpacked {size:6.1f} MB{verdict}")


if __name__ == "__main__":
    cold_imports()
