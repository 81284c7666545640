"""The monthly report as the owner reads it: email-safe HTML (inline CSS, tables, bars drawn with table cells: no
JavaScript, no external assets) and plain text with the same figures, in one MIME message with the awards CSV."""

from __future__ import annotations

import html
from email.message import EmailMessage

from tagback.app.report import Figure, Report


def value_text(report: Report, figure: Figure) -> str:
    if figure.value is None:
        return report.label("not_available")
    return f"{figure.value:.1f}" if figure.key == "rating" else f"{figure.value:,.0f}"


def delta_text(figure: Figure) -> str:
    delta = figure.delta
    if delta is None:
        return ""
    return f"{delta:+.1f}" if figure.key == "rating" else f"{delta:+,.0f}"


def render_text(report: Report) -> str:
    lines = [f"{report.label('title')} — {report.venue} — {report.month}", ""]
    for section, figures in (("direct", report.direct), ("indirect", report.indirect)):
        lines.append(report.label(section))
        for figure in figures:
            delta = delta_text(figure)
            suffix = f" ({delta} {report.label('vs')})" if delta else ""
            lines.append(f"  {report.label(figure.key)}: {value_text(report, figure)}{suffix}")
        lines.append("")
    lines.append(report.label("prizes"))
    lines += [
        f"  {name}: {count}" + (f" (≈ €{cost:.2f})" if cost is not None else "") for name, count, cost in report.prizes
    ]
    if report.estimated_cost is not None:
        lines.append(f"  {report.label('estimated_cost')}: €{report.estimated_cost:.2f}")
    best = report.best_day
    if best:
        lines += ["", f"{report.label('best_day')}: {best[0].isoformat()} ({best[1]})"]
    lines += ["", report.label("per_day")]
    lines += [f"  {day.day:02d} {'#' * count} {count}" for day, count in report.daily if count]
    return "\n".join(lines) + "\n"


def _bars(values: list[tuple[str, int]], colour: str) -> str:
    """A bar chart as table cells (renders in every mail client, no images)."""
    top = max((count for _, count in values), default=0) or 1
    cells = []
    for label, count in values:
        height = max(2, round(80 * count / top)) if count else 1
        cells.append(
            f'<td style="vertical-align:bottom;padding:0 1px;text-align:center;font-size:9px;color:#6b7280">'
            f'<div style="height:{height}px;width:12px;background:{colour};margin:0 auto" title="{count}"></div>'
            f"{html.escape(label)}</td>"
        )
    return f'<table role="presentation" cellspacing="0" cellpadding="0"><tr>{"".join(cells)}</tr></table>'


def render_html(report: Report) -> str:
    e = html.escape

    def figure_rows(figures: list[Figure]) -> str:
        rows = []
        for figure in figures:
            delta = delta_text(figure)
            colour = "#059669" if delta.startswith("+") else "#dc2626" if delta.startswith("-") else "#6b7280"
            rows.append(
                f'<tr><td width="250" style="padding:6px 0;color:#374151">{e(report.label(figure.key))}</td>'
                f'<td width="150" style="padding:6px 0;text-align:right;font-weight:bold;font-size:18px;white-space:nowrap">{e(value_text(report, figure))}</td>'
                f'<td width="150" style="padding:6px 0 6px 10px;text-align:right;color:{colour};font-size:12px;white-space:nowrap">'
                f"{e(delta + ' ' + report.label('vs')) if delta else ''}</td></tr>"
            )
        return "".join(rows)

    prize_rows = "".join(
        f'<tr><td style="padding:4px 0">{e(name)}</td><td style="text-align:right">{count}</td>'
        f'<td style="text-align:right;color:#6b7280">{f"≈ €{cost:.2f}" if cost is not None else ""}</td></tr>'
        for name, count, cost in report.prizes
    )
    cost = (
        f'<tr><td style="padding-top:6px;font-weight:bold">{e(report.label("estimated_cost"))}</td><td></td>'
        f'<td style="text-align:right;font-weight:bold">€{report.estimated_cost:.2f}</td></tr>'
        if report.estimated_cost is not None
        else ""
    )
    best = report.best_day
    best_line = (
        f'<p style="color:#374151">{e(report.label("best_day"))}: <b>{best[0].isoformat()}</b> ({best[1]})</p>'
        if best
        else ""
    )
    section = (
        '<h2 style="font-size:16px;color:#111827;border-bottom:2px solid #f59e0b;padding-bottom:4px;'
        'margin:24px 0 8px">{}</h2>'
    )
    return f"""<!doctype html>
<html lang="{report.language}"><head><meta charset="utf-8"><title>{e(report.label("title"))} — {e(report.month)}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:#f3f4f6"><tr><td align="center">
<table role="presentation" width="600" cellspacing="0" cellpadding="0" style="background:#ffffff;margin:24px 0;padding:24px">
<tr><td>
<h1 style="font-size:22px;color:#111827;margin:0">{e(report.label("title"))}</h1>
<p style="color:#6b7280;margin:4px 0 0">{e(report.venue)} · {e(report.month)}</p>
{section.format(e(report.label("direct")))}
<table role="presentation" width="100%" cellspacing="0" cellpadding="0">{figure_rows(report.direct)}</table>
{section.format(e(report.label("indirect")))}
<table role="presentation" width="100%" cellspacing="0" cellpadding="0">{figure_rows(report.indirect)}</table>
{section.format(e(report.label("prizes")))}
<table role="presentation" width="100%" cellspacing="0" cellpadding="0">{prize_rows}{cost}</table>
{section.format(e(report.label("per_day")))}
{_bars([(f"{day.day}", count) for day, count in report.daily], "#f59e0b")}
{best_line}
{section.format(e(report.label("per_hour")))}
{_bars([(f"{hour}", count) for hour, count in report.hourly], "#3b82f6")}
</td></tr></table>
</td></tr></table>
</body></html>
"""


def compose_email(report: Report, sender: str, recipients: list[str], awards_csv: bytes | None = None) -> EmailMessage:
    """multipart/alternative (plain text + HTML), inside multipart/mixed when the month's awards CSV is attached."""
    message = EmailMessage()
    message["Subject"] = f"{report.label('title')} — {report.venue} — {report.month}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(render_text(report))
    message.add_alternative(render_html(report), subtype="html")
    if awards_csv is not None:
        message.add_attachment(
            awards_csv,
            maintype="text",
            subtype="csv",
            filename=f"{report.client_id}-{report.month}-awards.csv",
            params={"charset": "utf-8"},  # else a mail client guesses, and shows "Krüger" as "Kr��ger"
        )
    return message
