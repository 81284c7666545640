"""The README's deploy story against what it describes: the stacks it deploys, the outputs it explains, the secrets
it names and the commands' flags."""

from __future__ import annotations

import contextlib
import importlib
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


MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def test_each_make_target_the_readme_shows_is_the_makefiles() -> None:
    targets = set(re.findall(r"^([\w-]+):", MAKEFILE, re.M))
    shown = set(re.findall(r"(?:`|^)make ([a-z][\w-]*)", README, re.M))  # as a command, not "make sure"
    assert shown and shown <= targets, f"not in the Makefile: {sorted(shown - targets)}"


def test_make_preview_and_sign_run_the_commands_the_readme_says_they_are() -> None:
    for target in ("preview", "sign"):
        recipe = MAKEFILE.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        command = re.search(r"\$\(PY\) (-m tools\.\w+ [^\n]+)", recipe)
        assert command, target
        shown = command[1].replace("$(CLIENT)", "<client-id>").replace(" --size $(SIZE)", "")
        assert f"python {shown}" in README, f"make {target} runs `python {shown}`, which the README does not show"


def test_adding_a_venue_runs_every_step_in_order() -> None:
    block = README.split("**Add a venue**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    steps = [line.split("  #")[0].strip() for line in block.splitlines()]
    assert [step.split()[0:2] for step in steps] == [
        ["source", ".venv/bin/activate"],  # `python -m tagback.cli` fails outside the venv
        ["cp", "clients/demo.yaml"],
        ["make", "check-config"],
        ["make", "preview"],
        ["make", "sign"],
        ["aws", "ssm"],
        ["npx", "aws-cdk@2"],
        ["python", "-m"],
    ]
    assert steps[-1] == "python -m tagback.cli connect --client <client-id>"


@pytest.mark.parametrize("tool", ["preview", "sign"])
def test_the_tools_flags_the_readme_shows_exist(tool: str) -> None:
    module = importlib.import_module(f"tools.{tool}")
    shown = re.search(rf"python -m tools\.{tool} ([^`]+)`", README)
    assert shown, f"the README does not show python -m tools.{tool}"
    usage = io.StringIO()
    with contextlib.redirect_stdout(usage), pytest.raises(SystemExit):
        module.main(["--help"])
    for flag in re.findall(r"--[\w-]+", shown[1]):
        assert flag in usage.getvalue(), f"{flag} is not a flag of tools.{tool}"
