"""Cold import of each handler on Lambda's Python (3.13), from the assets as `cdk synth` builds them, printed as
ratios to a bare `import boto3` (the runtime's, compiled) in the same run.

Each import runs in a fresh `python3.13 -I -S -B` that sees only the function's folder, the common layer and the
runtime's packages: once with the bytecode the assets ship, once from copies without it (what Lambda would run
without it: /opt and /var/task are read-only, so every cold start compiles every module it imports).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

from infra.assets import ROOT
from tagback.config.agency import load_agency_config
from tagback.config.loading import load_client_config
from tests.infra.lambda_runtime import install_runtime_packages, run_in_lambda_python, synthesized_assets

RUNS = 7


def cold_imports() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        config = load_client_config(ROOT / "clients" / "demo.yaml")
        agency = load_agency_config(ROOT / "agency.yaml")
        assets = synthesized_assets(agency, config, work / "cdk.out", work / "build")
        runtime = work / "runtime"
        install_runtime_packages(runtime)
        no_bytecode = shutil.ignore_patterns("__pycache__", "*.pyc")
        bare = work / "without-bytecode"
        shutil.copytree(assets.layer / "python", bare / "layer", ignore=no_bytecode)
        for name, function in assets.functions.items():
            shutil.copytree(function, bare / name, ignore=no_bytecode)

        def seconds(module: str, *paths: Path) -> float:
            return float(run_in_lambda_python(module, list(paths), {}, work / "result.json")["import_seconds"])

        runs: dict[str, list[float]] = {}
        for _ in range(RUNS):  # interleaved, so a slower moment of the machine weighs on every figure alike
            runs.setdefault("boto3", []).append(seconds("boto3", runtime))
            for name, function in assets.functions.items():
                runs.setdefault(name, []).append(seconds("handler", function, assets.layer / "python", runtime))
                runs.setdefault(f"{name} -pyc", []).append(seconds("handler", bare / name, bare / "layer", runtime))
        median = {label: statistics.median(values) for label, values in runs.items()}
        boto3 = median["boto3"]
        print(f"cold import on python3.13 (median of {RUNS}), import boto3: {boto3 * 1e3:6.1f} ms")
        for name in assets.functions:
            shipped, compiling = median[name], median[f"{name} -pyc"]
            print(
                f"cold import {name:16} with bytecode {shipped * 1e3:6.1f} ms = {shipped / boto3:4.1f}x boto3   "
                f"without {compiling * 1e3:6.1f} ms = {compiling / boto3:4.1f}x boto3   "
                f"bytecode saves {1 - shipped / compiling:4.0%}"
            )


if __name__ == "__main__":
    cold_imports()
