"""What the cost model reads from a synthesized stack: each function's memory, the alarms' metrics and the log groups'
retention. bench/measure_cost.py records them beside its measurements; tests/infra/test_cost_measurements.py checks
that the record still matches the stacks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk.assertions import Template


def alarm_metrics(alarm: Mapping[str, Any]) -> int:
    """The metrics an alarm is billed for: one for a metric alarm, each metric of a metric-math alarm (a Metrics
    Insights query, `SELECT …`, counts as one here; its price per metric analysed is not modelled)."""
    metrics = alarm["Properties"].get("Metrics")
    if metrics is None:
        return 1
    return max(1, len([m for m in metrics if "MetricStat" in m or "SELECT" in str(m.get("Expression", ""))]))


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
        "log_retention_days": sorted({int(g["Properties"].get("RetentionInDays", 0)) for g in log_groups}),
    }
