"""Cold import of each handler on Lambda's Python (3.13), from the assets as `cdk synth` builds them (each function
on its layer, with the bytecode they ship), printed as ratios to a bare `import boto3` (the runtime's, compiled) in
the same run; and each layer's unpacked size, which Lambda downloads and unpacks at every cold start.

Each import runs in a fresh `python3.13 -I -S -B` that sees only the function's folder, its layer and the runtime's
packages, in Lambda's order, with the variables Lambda sets that the libraries read at import: outside Lambda the
X-Ray SDK (Powertools' Tracer imports it) builds a botocore client for its sampling rules at import, which in Lambda
it does not (Lambda samples), and that alone costs about half an `import boto3`.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from infra.assets import FUNCTION_LAYERS, ROOT
from tagback.config.agency import load_agency_config
from tagback.config.loading import load_client_config
from tests.infra.lambda_runtime import install_runtime_packages, run_in_lambda_python, synthesized_assets

RUNS = 7
MB = 1e6
# Issue 15's goals: (cold import as a ratio to `import boto3`, unpacked MB) for each function's layer.
GOALS = {"edge": (1.3, 25), "conversation": (1.6, 60), "report": (1.6, None), "owner": (1.6, None)}


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

        def seconds(module: str, *paths: Path) -> float:
            lambda_environment = {
                "LAMBDA_TASK_ROOT": str(paths[0]),
                "AWS_LAMBDA_FUNCTION_NAME": paths[0].name,
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
                "AWS_REGION": "eu-west-1",
            }
            outcome = run_in_lambda_python(module, list(paths), lambda_environment, work / "result.json")
            return float(outcome["import_seconds"])

        runs: dict[str, list[float]] = {}
        for _ in range(RUNS):  # interleaved, so a slower moment of the machine weighs on every figure alike
            runs.setdefault("boto3", []).append(seconds("boto3", runtime))
            for name, function in assets.functions.items():
                runs.setdefault(name, []).append(seconds("handler", function, assets.layers[name], runtime))
        median = {label: statistics.median(values) for label, values in runs.items()}
        boto3 = median["boto3"]
        print(
            f"cold import on python3.13 with the shipped bytecode, median of {RUNS}: import boto3 {boto3 * 1e3:.1f} ms"
        )
        for name in assets.functions:
            layer = FUNCTION_LAYERS[name]
            goal = GOALS[layer][0]
            ratio = median[name] / boto3
            print(
                f"cold import {name:16} on {layer:12} {median[name] * 1e3:6.1f} ms = {ratio:4.2f}x boto3"
                f"   (goal <= {goal}x{'' if ratio <= goal else ': MISSED'})"
            )
        for layer, python in sorted({FUNCTION_LAYERS[name]: assets.layers[name] for name in assets.functions}.items()):
            size = unpacked_bytes(python.parent) / MB
            goal_mb = GOALS[layer][1]
            verdict = "" if goal_mb is None else f"   (goal <= {goal_mb} MB{'' if size <= goal_mb else ': MISSED'})"
            print(f"layer {layer:12} unpacked {size:6.1f} MB{verdict}")


if __name__ == "__main__":
    cold_imports()
