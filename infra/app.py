#!/usr/bin/env python3
"""The CDK app: the agency's edge `Tagback-Edge` (from agency.yaml) and one stack `Tagback-<client-id>` per file in
clients/. Every config is validated first; a bad one stops the synth with the file, the field and the reason, so
nothing half-configured is ever deployed."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `cdk` runs this file as a script: make the repo and the domain package importable.
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]

from aws_cdk import App, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.edge_stack import EdgeStack  # noqa: E402
from infra.names import EDGE_STACK  # noqa: E402
from infra.stack import TagbackStack  # noqa: E402
from tagback.config.agency import AgencyConfig, AgencyConfigError, load_agency_config  # noqa: E402
from tagback.config.loading import ConfigError, client_files, load_client_configs  # noqa: E402
from tagback.config.model import ClientConfig  # noqa: E402


def build_app(
    agency: AgencyConfig, configs: list[ClientConfig], app: App | None = None, build_dir: Path = ROOT / "build"
) -> App:
    app = app or App()
    edge = EdgeStack(app, EDGE_STACK, agency=agency)
    for config in configs:
        venue = TagbackStack(
            app, f"Tagback-{config.client_id}", config=config, agency_name=agency.agency_name, build_dir=build_dir
        )
        # `cdk deploy Tagback-<client-id>` deploys the edge first when it is not up to date: the venue reads what
        # the edge publishes and registers with it.
        venue.add_stack_dependency(edge, "reads the edge's parameters and registers with its registry")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main(clients_dir: Path = ROOT / "clients", agency_file: Path = ROOT / "agency.yaml") -> int:
    try:
        agency = load_agency_config(agency_file)
        configs = load_client_configs(client_files(clients_dir))
    except (AgencyConfigError, ConfigError) as error:
        print(f"Refusing to synthesize: {error}", file=sys.stderr)
        return 1
    if not configs:
        # The edge alone is deployable: its webhook URL goes into Meta's dashboard before any venue is connected.
        print(f"No client configs in {clients_dir}: only {EDGE_STACK} (add clients/<client-id>.yaml)", file=sys.stderr)
    build_app(agency, configs).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
