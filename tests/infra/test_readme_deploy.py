"""The README's deploy story against what it describes: the stacks it deploys, the outputs it explains, the secrets
it names and the commands' flags."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from aws_cdk.assertions import Template

from infra.assets import ROOT
from infra.names import EDGE_STACK
from tagback.cli import main
from tagback.config.agency import AgencyConfig

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_deploys_the_apps_stacks() -> None:
    deployed = set(re.findall(r"npx aws-cdk@2 (?:deploy|destroy) (Tagback-[\w<>-]+)", README))
    assert deployed == {EDGE_STACK, "Tagback-<client-id>"}  # the app's: the edge, and one per clients/<client-id>.yaml
    assert set(re.findall(r"npx aws-cdk@2 (\w+)", README)) == {"bootstrap", "deploy", "destroy"}


def test_the_readme_explains_every_output_of_both_stacks(template: Template, edge_template: Template) -> None:
    rows = [line.split("|") for line in README.splitlines() if line.startswith("| `Tagback-")]
    explained: dict[str, set[str]] = {}
    for _, stack, outputs, *_ in rows:
        explained.setdefault(stack.strip().strip("`"), set()).update(re.findall(r"`(\w+)`", outputs))
    assert explained == {
        EDGE_STACK: set(edge_template.to_json()["Outputs"]),
        "Tagback-<client-id>": set(template.to_json()["Outputs"]),
    }


def test_the_readme_creates_the_secrets_agency_yaml_names(agency_config: AgencyConfig) -> None:
    created = set(re.findall(r"aws ssm put-parameter --type SecureString --name (/tagback/edge/[\w-]+)", README))
    assert created == {agency_config.secrets.meta_app_secret, agency_config.secrets.meta_verify_token}


@pytest.mark.parametrize(
    "line", sorted({m.strip() for m in re.findall(r"python -m tagback\.cli ([^`\n]+)", README)}), ids=lambda s: s[:40]
)
def test_each_readme_command_has_the_flags_it_shows(line: str) -> None:
    words = line.replace("\\|", "|").replace("[", " ").replace("]", " ").split()  # `erase\|export`: a table's
    command = [w.split("|")[0] for w in (words[:2] if words[0] == "guest" else words[:1])]
    usage = io.StringIO()
    with contextlib.redirect_stdout(usage), pytest.raises(SystemExit):
        main([*command, "--help"])
    for flag in (w.rstrip(".,;:)") for w in words if w.startswith("--")):
        assert flag in usage.getvalue(), f"{flag} is not a flag of {' '.join(command)}"
