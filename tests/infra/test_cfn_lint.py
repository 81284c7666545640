"""cfn-lint over every client's synthesized template (bundling skipped): no error and no warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App
from cfnlint.api import ManualArgs, lint_file

from infra.app import build_app
from infra.assets import ROOT
from tagback.config.loading import client_files, load_client_configs

pytestmark = pytest.mark.infra

# W3005: CDK lists each function's role in its DependsOn, which the function's GetAtt of the role already implies.
# Redundant and harmless, and written by CDK, not by this stack.
IGNORED = ["W3005"]
REGIONS = ["us-east-1", "eu-west-1"]


def test_cfn_lint_finds_nothing_in_any_clients_template(tmp_path: Path) -> None:
    configs = load_client_configs(client_files(ROOT / "clients"))
    app = App(context={"aws:cdk:bundling-stacks": []}, outdir=str(tmp_path / "cdk.out"))
    build_app(configs, app=app, build_dir=tmp_path / "build")
    templates = [Path(stack.template_full_path) for stack in app.synth().stacks]
    assert len(templates) == len(configs) > 0
    findings = [
        f"{match.rule.id} {match.filename}:{match.linenumber} {match.message}"
        for template in templates
        for match in lint_file(template, ManualArgs(regions=REGIONS, ignore_checks=IGNORED))
    ]
    assert not findings, "\n".join(findings)
