"""cfn-lint over the edge's and every client's synthesized template (bundling skipped): no error and no warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]

from infra.app import build_app
from infra.assets import ROOT
from infra.names import EDGE_STACK
from tagback.config.agency import AgencyConfig
from tagback.config.loading import client_files, load_client_configs
from tests.infra.conftest import unbundled_app

pytestmark = pytest.mark.infra

# W3005: CDK lists each function's role in its DependsOn, which the function's GetAtt of the role already implies.
# Redundant and harmless, and written by CDK, not by this stack.
IGNORED = ["W3005"]
REGIONS = ["us-east-1", "eu-west-1"]


def test_cfn_lint_finds_nothing_in_the_edges_or_any_clients_template(
    agency_config: AgencyConfig, tmp_path: Path
) -> None:
    configs = load_client_configs(client_files(ROOT / "clients"))
    app = build_app(agency_config, configs, app=unbundled_app(tmp_path / "cdk.out"), build_dir=tmp_path / "build")
    stacks = app.synth().stacks
    assert sorted(s.stack_name for s in stacks) == sorted([EDGE_STACK, *(f"Tagback-{c.client_id}" for c in configs)])
    assert configs
    findings = [
        f"{match.rule.id} {match.filename}:{match.linenumber} {match.message}"
        for template in (Path(stack.template_full_path) for stack in stacks)
        for match in lint_file(template, ManualArgs(regions=REGIONS, ignore_checks=IGNORED))
    ]
    assert not findings, "\n".join(findings)
