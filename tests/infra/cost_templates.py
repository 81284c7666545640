"""What the cost model reads from a synthesized stack: each function's memory, the plain alarms' metrics, the Metrics
Insights alarms' queries and the log groups' retention. bench/measure_cost.py records them beside its measurements;
tests/infra/test_cost_measurements.py checks that the record still matches the stacks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk.assertions import Template


def alarm_metrics(alarm: Mapping[str, Any]) -> int:
    """The metrics a plain alarm is billed for: one for a metric alarm, each metric of a metric-math alarm; none for
    a Metrics Insights alarm (`SELECT …`), billed by the metrics its query analyzes (`insights_queries`)."""
    metrics = alarm["Properties"].get("Metrics")
    if metrics is None:
        return 1
    if any(_is_query(m) for m in metrics):
        return 0
    return len([m for m in metrics if "MetricStat" in m])


def _is_query(metric: Mapping[str, Any]) -> bool:
    return str(metric.get("Expression", "")).startswith("SELECT ")


def stack_figures(template: Template) -> dict[str, Any]:
    functions = template.find_resources("AWS::Lambda::Function").values()
    alarms = template.find_resources("AWS::CloudWatch::Alarm").values()
    log_groups = template.find_resources("AWS::Logs::LogGroup").values()
    return {
        "memory_mb": {
            f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: int(f["Properties"]["MemorySize"])
            for f in functions
            if "POWERTOOLS_SERVICE_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})
        },
        "alarms": len(alarms),
        "alarm_metrics": sum(alarm_metrics(a) for a in alarms),
        "insights_queries": sorted(
            str(m["Expression"]) for a in alarms for m in a["Properties"].get("Metrics", []) if _is_query(m)
        ),
        "log_retention_days": sorted({int(g["Properties"].get("RetentionInDays", 0)) for g in log_groups}),
    }
