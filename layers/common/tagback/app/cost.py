"""`tagback cost`: the monthly AWS bill of a venue and of the edge, from what the sandbox measured a mention, an idle
day and a monthly report to ask of AWS (bench/cost/measured.json, written by bench/measure_cost.py) at public
prices (bench/cost/prices.json, each with its source and date). docs/cost.md explains the figures.

A venue's month is its mentions, 30.4 idle days (its schedules) and one report; the edge's is every venue's
deliveries and link clicks, and its watchdog's hourly runs (each reads every venue: its time and reads grow with
them). Lambda is billed per request and per GB-second: a function's time is its measured wall time, plus its CPU time
again for each share of a vCPU it lacks below 1,769 MB (Lambda gives a function CPU in proportion to its memory: the
sandbox ran it on a whole core), plus a round trip to Meta, Google or the CRM for each call it made outside AWS (the
fakes answer on loopback), plus its cold starts. Custom metrics are billed per series and hour published: a venue's
mention series in the hours it has mentions (spread over its open hours), the edge's in the hours any venue has one.
A plain alarm is billed per metric; a Metrics Insights alarm per metric its query analyzes, by the hour: the
measured series its query matches, in the hours they are published (while nothing fails, a venue's stream reads'
IteratorAge). Free tiers are left out: they are the account's, not a venue's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

GIB = 1024**3
SERVICES = (
    "Lambda",
    "API Gateway (HTTP API)",
    "DynamoDB",
    "EventBridge Scheduler",
    "SES",
    "S3",
    "SSM (SecureString reads: KMS)",
    "CloudWatch alarms",
    "CloudWatch logs",
    "CloudWatch metrics",
    "X-Ray",
)


class CostModelError(Exception):
    """The measurements or the prices lack what the model needs (the message names it)."""


@dataclass(frozen=True)
class Bill:
    """One service's monthly cost, in dollars."""

    service: str
    venue_idle: float
    venue: float  # one venue with the mentions asked
    edge_idle: float
    edge: float  # the edge behind every venue with those mentions


# What a mention is, as measured: a whole engaged guest (the goal is judged on it: the most a mention asks for), or a
# bare one (the story mention, the prize with its coupon, the questions sent and none answered).
MENTION = "mention"
BARE_MENTION = "bare_mention"


@dataclass(frozen=True)
class _Month:
    """How many of each measured activity a stack's month holds, and for how many venues."""

    mention: str  # which measured activity a mention is (MENTION, BARE_MENTION)
    mentions: float
    idle_days: float
    reports: float
    venues: int
    watchdog_runs: float  # the edge's hourly runs, each over every venue


# What a watchdog run does per venue it reads (its time, its reads, its calls): measured over the sandbox's venues,
# counted for the venues asked (its per-run work, the registry scan among it, counted so too: an upper bound).
_PER_VENUE = ("wall_ms", "cpu_ms", "external_calls", "dynamodb", "calls")


def monthly_bills(
    measured: Mapping[str, Any],
    prices: Mapping[str, float],
    mentions: float,
    venues: int,
    mention: str = MENTION,
) -> list[Bill]:
    """Each service's monthly cost for one venue with `mentions` a month and the edge behind `venues` of them; a
    mention is the measured activity named `mention`."""
    if mentions < 0 or venues < 1:
        raise CostModelError("mentions must be 0 or more and venues 1 or more")
    try:
        days = float(measured["assumptions"]["days_per_month"]["value"])
        venue = [_costs(measured, prices, "venue", _Month(mention, m, days, 1, 1, 0)) for m in (0, mentions)]
        edge = [
            _costs(measured, prices, "edge", _Month(mention, m * venues, days * venues, venues, venues, 24 * days))
            for m in (0, mentions)
        ]
    except KeyError as missing:
        raise CostModelError(f"bench/cost files: no {missing} (run python -m bench.measure_cost)") from None
    return [Bill(s, venue[0][s], venue[1][s], edge[0][s], edge[1][s]) for s in SERVICES]


def per_thousand_mentions(bills: list[Bill], mentions: float, venues: int) -> float:
    """What 1,000 more mentions cost: a venue's bill over its idle bill, with its share of the edge's."""
    if mentions == 0:
        return 0.0
    added = sum(b.venue - b.venue_idle + (b.edge - b.edge_idle) / venues for b in bills)
    return added / mentions * 1000


def _assumed(measured: Mapping[str, Any], name: str) -> Any:
    return measured["assumptions"][name]["value"]


def _activities(measured: Mapping[str, Any], month: _Month) -> list[tuple[float, float, Mapping[str, Any]]]:
    """Each activity of the month: how many, how many for what it does per venue (_PER_VENUE), what it measured."""
    watchdog = measured["watchdog_run"]
    per_venue_runs = month.watchdog_runs * month.venues / float(watchdog["venues"])
    return [
        (month.mentions, month.mentions, measured[month.mention]),
        (month.idle_days, month.idle_days, measured["idle_day"]),
        (month.reports, month.reports, measured["report"]),
        (month.watchdog_runs, per_venue_runs, watchdog),
    ]


def _costs(measured: Mapping[str, Any], prices: Mapping[str, float], stack: str, month: _Month) -> dict[str, float]:
    activities = _activities(measured, month)
    functions = {name: f for name, f in measured["functions"].items() if f["stack"] == stack}

    def total(path: tuple[str, ...]) -> float:
        """Σ over the month's activities of one measured figure (0 where an activity has none)."""
        summed = 0.0
        for count, per_venue_count, activity in activities:
            value: Any = activity
            for step in path:
                value = value.get(step, {}) if isinstance(value, Mapping) else 0
            times = per_venue_count if path[0] in _PER_VENUE else count
            summed += times * (float(value) if not isinstance(value, Mapping) else 0.0)
        return summed

    def calls(operation: str) -> float:
        return total(("calls", stack, operation))

    invocations = {name: total(("invocations", name)) for name in functions}
    return {
        "Lambda": _lambda(measured, prices, functions, month, total),
        "API Gateway (HTTP API)": (
            month.mentions * measured[month.mention]["invocations"].get("webhook", 0) * prices["api_http_request"]
            if stack == "edge"
            else 0.0
        ),
        "DynamoDB": _dynamodb(measured, prices, stack, month, total),
        "EventBridge Scheduler": sum(invocations.get(f, 0) for f in ("review_followup", "monthly_report"))
        * prices["scheduler_invocation"],
        "SES": (month.reports * measured["report"].get("ses_recipients", 0) * prices["ses_email"])
        if stack == "venue"
        else 0.0,
        "S3": _s3(measured, prices, stack, month, calls),
        "SSM (SecureString reads: KMS)": (calls("ssm:GetParameter") + calls("ssm:PutParameter"))
        * prices["kms_request"],
        "CloudWatch alarms": measured["stacks"][stack]["alarm_metrics"] * prices["cloudwatch_alarm_metric_month"]
        + _insights_alarms(measured, prices, stack, month),
        "CloudWatch logs": _logs(measured, prices, stack, invocations, total),
        "CloudWatch metrics": _series_hours(measured, stack, month, _custom)
        * prices["cloudwatch_metric_month"]
        / float(_assumed(measured, "hours_per_month")),
        "X-Ray": _xray(measured, prices, stack, month, invocations),
    }


def _xray(
    measured: Mapping[str, Any],
    prices: Mapping[str, float],
    stack: str,
    month: _Month,
    invocations: Mapping[str, float],
) -> float:
    """Traces recorded: Lambda's active tracing samples each function's invocations by its own fixed rule (a
    reservoir a second, then a share of the rest; not configurable), at the rate the function is invoked in the
    hours it is busy — a venue's in its open hours, the edge's in every hour."""
    sampling = _assumed(measured, "xray_lambda_sampling")
    hours = float(_assumed(measured, "hours_per_month"))
    if stack == "venue":
        hours = float(_assumed(measured, "open_hours_per_day")) * float(_assumed(measured, "days_per_month"))
    traced = sum(
        count * traced_share(count / (hours * 3600), int(sampling["reservoir_per_second"]), sampling["fixed_rate"])
        for count in invocations.values()
    )
    return traced * prices["xray_trace"]


def traced_share(per_second: float, reservoir: int, fixed_rate: float) -> float:
    """The share of requests X-Ray's sampling records when they come at random at `per_second`: each second the first
    `reservoir` of them, then `fixed_rate` of the rest."""
    if per_second <= 0:
        return 1.0
    # E[min(N, reservoir)] for N ~ Poisson(per_second): Σ over k < reservoir of P(N > k).
    below, term, reserved = 0.0, math.exp(-per_second), 0.0
    for k in range(reservoir):
        below += term
        reserved += 1 - below
        term *= per_second / (k + 1)
    return (reserved + fixed_rate * (per_second - reserved)) / per_second


def _lambda(
    measured: Mapping[str, Any],
    prices: Mapping[str, float],
    functions: Mapping[str, Any],
    month: _Month,
    total: Any,
) -> float:
    full_cpu = float(_assumed(measured, "full_cpu_memory_mb"))
    external_ms = float(_assumed(measured, "external_call_ms"))
    cold_per_mention = _assumed(measured, "cold_starts_per_mention")
    dollars = 0.0
    for name, function in functions.items():
        memory = float(function["memory_mb"])
        cpu_share_lacking = max(0.0, full_cpu / memory - 1)
        ms = (
            total(("wall_ms", name))
            + total(("cpu_ms", name)) * cpu_share_lacking
            + total(("external_calls", name)) * external_ms
        )
        # Cold: the mention's assumed ones; every idle and report invocation (hours apart).
        invocations = total(("invocations", name))
        mention_invocations = month.mentions * float(measured[month.mention]["invocations"].get(name, 0))
        cold = month.mentions * float(cold_per_mention.get(name, 0)) + invocations - mention_invocations
        ms += cold * float(function["init_ms"])
        dollars += invocations * prices["lambda_request"] + ms / 1000 * memory / 1024 * prices["lambda_gb_second"]
    return dollars


def _dynamodb(measured: Mapping[str, Any], prices: Mapping[str, float], stack: str, month: _Month, total: Any) -> float:
    requests = (
        total(("dynamodb", stack, "read_units")) * prices["dynamodb_read_unit"]
        + total(("dynamodb", stack, "write_units")) * prices["dynamodb_write_unit"]
    )
    if stack != "venue":
        return requests
    # What a month's mentions leave in the table stays up to the client's retention (each item's TTL).
    stored = month.mentions * float(measured[month.mention]["stored"]["dynamodb_bytes"])
    held = stored * float(measured["retention_days"]) / float(_assumed(measured, "days_per_month"))
    return requests + held / GIB * (prices["dynamodb_storage_gb_month"] + prices["dynamodb_pitr_gb_month"])


def _s3(measured: Mapping[str, Any], prices: Mapping[str, float], stack: str, month: _Month, calls: Any) -> float:
    if stack != "venue":
        return 0.0
    downloads = month.mentions * float(_assumed(measured, "image_downloads_per_mention"))
    stored = month.mentions * float(measured[month.mention]["stored"]["s3_bytes"])
    held = stored * float(measured["coupon_days"]) / float(_assumed(measured, "days_per_month"))
    return (
        calls("s3:PutObject") * prices["s3_put_request"]
        + (calls("s3:GetObject") + downloads) * prices["s3_get_request"]
        + held / GIB * prices["s3_storage_gb_month"]
    )


def _logs(
    measured: Mapping[str, Any],
    prices: Mapping[str, float],
    stack: str,
    invocations: Mapping[str, float],
    total: Any,
) -> float:
    platform = _assumed(measured, "platform_log_lines")  # Lambda's START, END and REPORT lines
    count = sum(invocations.values())
    events = total(("logs", stack, "events")) + count * float(platform["events"])
    printed = total(("logs", stack, "bytes")) + count * float(platform["bytes"])
    ingested = (printed + events * float(_assumed(measured, "log_event_overhead_bytes"))) / GIB
    retention = max(measured["stacks"][stack]["log_retention_days"]) / float(_assumed(measured, "days_per_month"))
    return ingested * (prices["cloudwatch_logs_ingested_gb"] + retention * prices["cloudwatch_logs_stored_gb_month"])


def _custom(series: str) -> bool:
    """A metric series billed as a custom metric: not AWS's own (`AWS/…`, free)."""
    return not series.startswith("AWS/")


def _series_hours(measured: Mapping[str, Any], stack: str, month: _Month, counted: Callable[[str], bool]) -> float:
    """The month's hours of the `counted` metric series, summed. A series naming the venue (`<client>`: its
    `client_id`, its function) is the venue's; any other is shared by every venue and the edge (the agency's
    column): its hours are the hours any venue publishes it (the schedules' series in the same local hours for every
    venue)."""
    hours_per_month = float(_assumed(measured, "hours_per_month"))
    days = month.idle_days / month.venues

    def own(series: str) -> bool:
        return counted(series) and ("<client>" in series) == (stack == "venue")

    if stack == "venue":  # its guests come in its open hours
        open_hours = float(_assumed(measured, "open_hours_per_day")) * float(_assumed(measured, "days_per_month"))
    else:  # some venue is open at any hour
        open_hours = hours_per_month
    active_hours = open_hours * (1 - math.exp(-month.mentions / open_hours)) if month.mentions else 0.0
    mention_series = [s for s in measured[month.mention]["metric_series_hours"] if own(s)]
    series_hours = len(mention_series) * active_hours
    for activity, count in (("idle_day", days), ("report", 1.0), ("watchdog_run", month.watchdog_runs)):
        hours = measured[activity]["metric_series_hours"]
        series_hours += count * sum(float(h) for s, h in hours.items() if own(s))
    return series_hours


_QUERY = re.compile(r'SELECT \w+\((\w+)\) FROM (?:SCHEMA\("([^"]+)"((?:, \w+)*)\)|"([^"]+)")')


def analyzed_by(query: str) -> Callable[[str], bool]:
    """Whether a measured metric series (`<namespace>/<name>[<dimension>=<value>,…]`) is one the Metrics Insights
    query analyzes: its metric in its namespace, with exactly the schema's dimensions if it names a schema."""
    matched = _QUERY.match(query)
    if matched is None:
        raise CostModelError(f"a Metrics Insights query the model cannot read: {query}")
    metric, schema, dimensions, namespace = matched.groups()

    def analyzed(series: str) -> bool:
        path, _, dimension_list = series.partition("[")
        series_namespace, _, name = path.rpartition("/")
        names = {d.split("=")[0] for d in dimension_list.rstrip("]").split(",") if d}
        if schema is not None:
            return (series_namespace, name) == (schema, metric) and names == {
                d.strip() for d in dimensions.split(",") if d.strip()
            }
        return (series_namespace, name) == (namespace, metric)

    return analyzed


def _insights_alarms(measured: Mapping[str, Any], prices: Mapping[str, float], stack: str, month: _Month) -> float:
    """The Metrics Insights alarms (all the edge's), billed per metric their queries analyze, by the hour: a venue's
    series (its stream reads' IteratorAge, its FunctionErrors) in the venue's column, the rest in the edge's."""
    queries = [analyzed_by(q) for figures in measured["stacks"].values() for q in figures["insights_queries"]]
    hours = sum(_series_hours(measured, stack, month, query) for query in queries)
    return hours * prices["cloudwatch_insights_alarm_metric_month"] / float(_assumed(measured, "hours_per_month"))


def bills_table(bills: list[Bill], mentions: float, venues: int, dates: Mapping[str, str], *, bare: list[Bill]) -> str:
    """The bills (a mention a whole engaged guest) as the operator reads them: a column per case, the totals, what
    1,000 mentions add (engaged, and `bare`) and an idle venue's bill."""
    header = (
        "service",
        "a venue idle",
        f"a venue {mentions:,.0f}",
        "edge+shared idle",
        f"edge+shared {mentions * venues:,.0f}",
    )
    rows = [[b.service, *(_dollars(v) for v in (b.venue_idle, b.venue, b.edge_idle, b.edge))] for b in bills]
    totals = [sum(getattr(b, field) for b in bills) for field in ("venue_idle", "venue", "edge_idle", "edge")]
    rows.append(["total", *(_dollars(t) for t in totals)])
    lines = [list(header), *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    everything = totals[1] * venues + totals[3]
    thousand = per_thousand_mentions(bills, mentions, venues)
    idle = totals[0] + totals[2] / venues
    return "\n".join(
        [
            f"Monthly AWS cost in dollars: a venue with {mentions:,.0f} mentions a month, and the agency's edge (with "
            f"what every venue shares: metric series) behind {venues:,} such venues",
            f"(measured {dates['measured']}, bench/cost/measured.json; prices of {dates['prices']}, "
            "bench/cost/prices.json; no free tier)",
            "",
            *text,
            "",
            f"{venues:,} venues and the edge: {_dollars(everything)} a month, {_dollars(everything / venues)} a venue",
            *(
                [
                    f"per 1,000 mentions: {_dollars(thousand)} for engaged guests, "
                    f"{_dollars(per_thousand_mentions(bare, mentions, venues))} bare (the prize and the questions "
                    "sent, none answered)"
                ]
                if mentions
                else []  # no mention to divide by
            ),
            f"an idle venue: {_dollars(idle)} a month, with its share of the edge",
            "(the goals, and the figures they are judged on: docs/cost.md)",
        ]
    )


def _dollars(value: float) -> str:
    return f"${value:,.2f}" if value >= 100 else f"${value:,.4f}"
