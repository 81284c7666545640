"""The cost model's record of the stacks (bench/cost/measured.json) against the stacks as they are: a change to a
function's memory, to the alarms or to log retention needs `python -m bench.measure_cost` again (docs/cost.md)."""

from __future__ import annotations

import json

from aws_cdk.assertions import Template

from infra.assets import ROOT
from tests.infra.cost_templates import stack_figures

MEASURED = json.loads((ROOT / "bench" / "cost" / "measured.json").read_text(encoding="utf-8"))
RERUN = "the stacks changed since bench/cost/measured.json: run python -m bench.measure_cost (docs/cost.md)"


def test_the_measured_functions_memory_alarms_and_log_retention_are_the_stacks(
    template: Template, edge_template: Template
) -> None:
    stacks = {"venue": stack_figures(template), "edge": stack_figures(edge_template)}
    memory = {name: f["memory_mb"] for name, f in MEASURED["functions"].items()}
    assert memory == {name: stacks[f["stack"]]["memory_mb"][name] for name, f in MEASURED["functions"].items()}, RERUN
    for stack, figures in stacks.items():
        assert MEASURED["stacks"][stack] == {k: v for k, v in figures.items() if k != "memory_mb"}, RERUN
