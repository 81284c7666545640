#!/usr/bin/env python3
"""The CDK app: one stack `Tagback-<client-id>` per file in clients/. Every config is validated first; a bad
one stops the synth with the file, the field and the reason, so nothing half-configured is ever deployed."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `cdk` runs this file as a script: make the repo and the domain package importable.
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]

from aws_cdk import App, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.stack import TagbackStack  # noqa: E402
from tagback.config.loading import ConfigError, client_files, load_client_configs  # noqa: E402
from tagback.config.model import ClientConfig  # noqa: E402


def build_app(configs: list[ClientConfig], app: App | None = None, build_dir: Path = ROOT / "build") -> App:
    app = app or App()
    for config in configs:
        TagbackStack(app, f"Tagback-{config.client_id}", config=config, build_dir=build_dir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main(clients_dir: Path = ROOT / "clients") -> int:
    try:
        configs = load_client_configs(client_files(clients_dir))
    except ConfigError as error:
        print(f"Refusing to synthesize: {error}", file=sys.stderr)
        return 1
    if not configs:
        print(f"No client configs in {clients_dir}: add clients/<client-id>.yaml", file=sys.stderr)
        return 1
    build_app(configs).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
