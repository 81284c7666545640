"""What each function loads when Lambda imports its handler: only what its layer ships (or the runtime has), and the
edge's nothing heavy; each checked in a fresh interpreter, as a cold start imports it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import packages_distributions

import pytest

from infra.assets import FUNCTION_LAYERS, LAYERS, ROOT
from tests.infra.lambda_runtime import RUNTIME_PACKAGES, requirements

pytestmark = pytest.mark.infra

# What the webhook never needs to answer Meta: imaging, fonts, phone numbers, Google's auth, an HTTP client.
HEAVY = ("PIL", "fontTools", "phonenumbers", "google.auth", "requests", "qrcode", "cryptography", "babel", "yaml")


def modules_after_importing(function: str) -> set[str]:
    """The modules that importing functions/<function>/handler.py loads, in a fresh interpreter."""
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; before = set(sys.modules); "
            f"import functions.{function}.handler; print(json.dumps(sorted(set(sys.modules) - before)))",
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common")])},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(listed.stdout)
    return set(loaded)


def test_the_webhooks_import_loads_nothing_heavy() -> None:
    loaded = modules_after_importing("webhook")
    assert not [module for module in HEAVY if module in loaded]


def test_the_monthly_reports_import_leaves_the_report_to_the_1st() -> None:
    # Its daily snapshot, nearly every run, never builds the report: its modules load when the report runs.
    loaded = modules_after_importing("monthly_report")
    assert not {"tagback.app.report", "tagback.app.report_email"} & loaded


@pytest.mark.parametrize("function", sorted(FUNCTION_LAYERS))
def test_a_handlers_import_loads_only_what_its_layer_ships(function: str) -> None:
    need = LAYERS[FUNCTION_LAYERS[function]]
    shipped = {*requirements(need.requirements.read_text(encoding="utf-8")), *RUNTIME_PACKAGES}
    distributions = packages_distributions()  # an installed distribution's top-level modules; not the stdlib's
    tops = {module.split(".")[0] for module in modules_after_importing(function)} - {"tagback", "functions"}
    unshipped = {
        top: owners
        for top in tops & set(distributions)
        if not (owners := {owner.lower().replace("_", "-") for owner in distributions[top]}) & shipped
    }
    assert not unshipped, f"functions/{function} imports what the {need.name} layer does not ship: {unshipped}"
