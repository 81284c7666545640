"""Each function's memory: its measured peak with headroom, or more where the CPU that comes with it is waited for
(docs/cost.md, Memory; `make bench` prints the peaks)."""

from __future__ import annotations

from aws_cdk.assertions import Template

from tests.infra.cost_templates import stack_figures


def test_each_function_has_the_memory_its_measured_peak_and_its_cpu_need(
    template: Template, edge_template: Template
) -> None:
    memory = stack_figures(template)["memory_mb"] | stack_figures(edge_template)["memory_mb"]
    assert memory == {
        "webhook": 512,  # peak 79 MB; the CPU of a cold start inside Meta's 5 s
        "prize": 512,  # peak 117 MB for a mention; the CPU the waiting guest's answers take
        "review_followup": 256,  # a language timeout delivers the prize as the prize function does
        "monthly_report": 192,
        "watchdog": 192,
        "registry": 192,
        "redemption": 256,  # the staff page: a cold start's CPU while staff wait at the counter
        "owner_delivery": 256,  # peak 97 MB delivering an award to sheet and CRM; nobody waits for it
    }
