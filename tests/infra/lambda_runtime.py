"""The functions and their layers as `cdk synth` builds them, run by Lambda's CPython with only what Lambda gives
them: the 3.13 import-and-invoke test (tests/infra) and the cold-import benchmark (bench/) share it."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from uv import find_uv_bin

from infra.app import build_app
from infra.assets import ROOT, compile_bytecode, install_for_lambda, lambda_python
from infra.names import EDGE_STACK
from tagback.config.agency import AgencyConfig
from tagback.config.model import ClientConfig

# What Lambda's python3.13 runtime has besides the standard library: boto3 and its dependencies.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
# How `make lock` exports a layer's requirements (the Makefile's LAYER_EXPORT, after `--only-group layer-<name>`).
LAYER_EXPORT = (
    "--no-emit-project",
    *(option for package in RUNTIME_PACKAGES for option in ("--no-emit-package", package)),
)
# A module imported in a fresh interpreter, as Lambda's bootstrap imports a handler (for it, the paths are the
# function's folder, its layer's python/ and the runtime's packages, in Lambda's order). Writes the import's CPU
# time (on a shared machine, waiting for a core is not the import's cost), the interpreter's bytecode magic and,
# given an event on stdin, the handler's response.
_DRIVER = """
import importlib.util, json, sys, time
module, result, *paths = sys.argv[1:]
sys.path[:0] = paths
started = time.process_time()
imported = importlib.import_module(module)
seconds = time.process_time() - started
outcome = {"import_cpu_seconds": seconds, "magic": importlib.util.MAGIC_NUMBER.hex()}
event = sys.stdin.read()
if event:
    class Context:
        function_name = "tagback-runtime-test"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:tagback-runtime-test"
        aws_request_id = "00000000-0000-4000-8000-000000000000"
        def get_remaining_time_in_millis(self):
            return 60_000
    outcome["response"] = imported.lambda_handler(json.loads(event), Context())
with open(result, "w") as out:
    json.dump(outcome, out)
"""


@dataclass(frozen=True)
class Assets:
    client_config: Path  # the client config layer's client.json
    functions: dict[str, Path]  # by function (POWERTOOLS_SERVICE_NAME)
    layers: dict[str, Path]  # each function's layer's python/, what Lambda puts on sys.path
    environments: dict[str, dict[str, Any]]  # each function's environment in the template

    @property
    def layer_folders(self) -> set[Path]:
        """Each layer's folder, as Lambda unpacks it under /opt."""
        return {python.parent for python in self.layers.values()}


def synthesized_assets(agency: AgencyConfig, config: ClientConfig, outdir: Path, build_dir: Path) -> Assets:
    """Synthesizes the edge's and the client's stacks with bundling, as `cdk synth` does, and finds the folders that
    would be zipped and uploaded: each Lambda resource's S3 key in a template names its entry in the assets manifest."""
    app = App(outdir=str(outdir))
    build_app(agency, [config], app=app, build_dir=build_dir)
    assembly = app.synth()
    client_configs: set[Path] = set()
    functions: dict[str, dict[str, Any]] = {}
    folders: dict[str, Path] = {}
    layers: dict[str, Path] = {}
    for stack_name in (EDGE_STACK, f"Tagback-{config.client_id}"):
        stack = assembly.get_stack_artifact(stack_name)
        sources = json.loads((outdir / f"{stack.stack_name}.assets.json").read_text(encoding="utf-8"))["files"]

        def folder(s3_key: str, sources: dict[str, Any] = sources) -> Path:
            return outdir / sources[s3_key.removesuffix(".zip")]["source"]["path"]

        resources: dict[str, dict[str, Any]] = stack.template["Resources"]
        layer_folders = {
            logical_id: folder(resource["Properties"]["Content"]["S3Key"])
            for logical_id, resource in resources.items()
            if resource["Type"] == "AWS::Lambda::LayerVersion"
        }
        for resource in resources.values():
            if resource["Type"] == "AWS::Lambda::Function":
                name = resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
                functions[name] = resource["Properties"]
                folders[name] = folder(resource["Properties"]["Code"]["S3Key"])
                own = [layer_folders[reference["Ref"]] for reference in resource["Properties"]["Layers"]]
                client_configs.update(path for path in own if (path / "client.json").is_file())
                (layers[name],) = [path / "python" for path in own if (path / "python" / "tagback").is_dir()]
    (client_config,) = client_configs
    return Assets(
        client_config / "client.json",
        folders,
        layers,
        {name: function["Environment"]["Variables"] for name, function in functions.items()},
    )


def lock_export(*options: str) -> str:
    """The lock's requirements, as `make lock` and `make install` export them."""
    exported = subprocess.run(
        [find_uv_bin(), "export", "--quiet", "--locked", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if exported.returncode != 0:
        raise RuntimeError(f"uv export: {exported.stderr.strip()} (`make lock` updates uv.lock)")
    return exported.stdout


def requirements(exported: str) -> dict[str, str]:
    """Each requirement of an exported file by name: its `name==version [; marker]` line and its hash lines."""
    return {
        match["name"]: match[0]
        for match in re.finditer(r"^(?P<name>[a-z0-9][a-z0-9._-]*)==[^\n]*(?:\n +--hash=[^\n]*)*", exported, re.M)
    }


def install_runtime_packages(target: Path) -> None:
    """boto3 and its dependencies, as Lambda's runtime has them beside the layer: at the lock's versions, compiled."""
    pinned = requirements(lock_export("--no-dev", "--no-emit-project"))
    requirements_file = target.with_name(f"{target.name}-requirements.txt")
    requirements_file.write_text("\n".join(pinned[name] for name in RUNTIME_PACKAGES) + "\n", encoding="utf-8")
    install_for_lambda(requirements_file, target)
    compile_bytecode(target)


def run_in_lambda_python(
    module: str, paths: list[Path], environ: dict[str, str], result: Path, event: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Imports `module` (and invokes its handler with `event`) in a fresh `python3.13 -I -S -B`: `paths` are all it
    sees beyond the standard library, and it writes no bytecode (Lambda's /opt and /var/task are read-only)."""
    subprocess.run(
        [lambda_python(), "-I", "-S", "-B", "-c", _DRIVER, module, str(result), *map(str, paths)],
        input=json.dumps(event) if event is not None else "",
        env=environ,
        text=True,
        check=True,
    )
    outcome: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return outcome
