"""The monthly report as the owner reads it: email-safe HTML and plain text with the same figures, in one MIME
message with the awards CSV.

The HTML is what mail clients keep: tables for layout, inline styles only, no script, no images, no external assets,
no media queries. It is fluid up to 600 px (Outlook on Windows, which ignores max-width, gets a 600 px table of its
own in a conditional comment), so a 375 px phone shows every number: figures put their change under the value, and
the charts are drawn as table cells in two rows of at most 16 columns, each bar with its value. Numbers, money,
months and days are formatted by Babel in the report's language as the venue's country writes it (`Report.locale`);
the header wears the venue's colours (its coupon's).
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from email.message import EmailMessage

from babel.dates import format_skeleton, format_time
from babel.numbers import format_currency, format_decimal, format_percent

from tagback.app.report import Colours, Figure, FunnelStep, Note, Report
from tagback.app.snapshot import SNAPSHOT_TIME

TOP_TABLES = 10  # tables listed by name; the rest are summed in one line
_INK, _MUTED, _RULE = "#111827", "#4b5563", "#e5e7eb"
_UP, _DOWN = "#047857", "#b91c1c"
_FONT = "font-family:Arial,Helvetica,sans-serif"
_FEWER_IS_BETTER = frozenset({"opt_outs"})
_CHART_HEIGHT = 64  # px, the tallest bar (its value on top takes 12 more)


# -- words and numbers, in the report's language ------------------------------------------------------------------
def number(report: Report, value: float, unit: str = "count") -> str:
    if unit == "percent":
        return format_percent(value, "#,##0%", locale=report.locale)
    return format_decimal(value, "#,##0.0" if unit == "rating" else "#,##0", locale=report.locale)


def money(report: Report, amount: Decimal) -> str:
    return format_currency(amount, report.currency, locale=report.locale)


def cost_text(report: Report, count: int, cost: Decimal | None) -> str:
    """A prize's estimated cost: none for a prize not handed out (nor one without a cost in the client file)."""
    return f"≈ {money(report, cost)}" if cost is not None and count else ""


def month_name(report: Report) -> str:
    return format_skeleton("yMMMM", date.fromisoformat(f"{report.month}-01"), locale=report.locale)


def value_text(report: Report, figure: Figure | FunnelStep) -> str:
    if figure.value is None:
        return report.label("not_available")
    return number(report, figure.value, figure.unit if isinstance(figure, Figure) else "count")


def delta_text(report: Report, figure: Figure) -> str:
    delta = figure.delta
    if delta is None:
        return ""
    pattern = "+#,##0.0;-#,##0.0" if figure.unit == "rating" else "+#,##0;-#,##0"
    return format_decimal(delta, pattern, locale=report.locale)


def rate_text(report: Report, step: FunnelStep) -> str:
    return number(report, step.rate, "percent") if step.rate is not None else ""


def note_number(report: Report, figure: Figure | FunnelStep) -> int | None:
    return report.notes.index(figure.note) + 1 if figure.note else None


def note_text(report: Report, note: Note) -> str:
    return report.label(f"note_{note}").format(time=format_time(SNAPSHOT_TIME, "short", locale=report.locale))


def clicks_text(report: Report, figure: Figure) -> str:
    """The review links opened per platform (when they were counted so), and every click."""
    per_platform = [f"{platform.capitalize()} {number(report, unique)}" for platform, unique, _ in report.clicks]
    every = sum(total for _, _, total in report.clicks)
    return " · ".join(
        [
            *(per_platform if figure.value is not None else []),
            f"{report.label('clicks_in_all')}: {number(report, every)}",  # no plural to agree with the number
        ]
    )


def browsers_text(report: Report) -> str:
    """Where the review links were opened: "Opened in: Instagram or Facebook 12 · Android 3 · …"."""
    counts = [f"{report.label(f'browser_{browser}')} {number(report, count)}" for browser, count in report.browsers]
    return f"{report.label('opened_in')}: {' · '.join(counts)}"


def heading(report: Report) -> str:
    return f"{report.label('title')} — {report.venue} — {month_name(report)}"


def _tables_shown(report: Report) -> tuple[list[tuple[str, int]], tuple[int, int] | None]:
    """The top tables by name, and (how many, their prizes) of the others."""
    shown, rest = report.tables[:TOP_TABLES], report.tables[TOP_TABLES:]
    return shown, ((len(rest), sum(count for _, count in rest)) if rest else None)


# -- plain text ---------------------------------------------------------------------------------------------------
def render_text(report: Report) -> str:
    def marked(figure: Figure | FunnelStep) -> str:
        """Label: value, the footnote's mark by the label (what it counts) or by "not available" (why)."""
        mark = f" [{note_number(report, figure)}]" if figure.note else ""
        if figure.value is None:
            return f"{report.label(figure.key)}: {value_text(report, figure)}{mark}"
        return f"{report.label(figure.key)}{mark}: {value_text(report, figure)}"

    lines = [heading(report)]
    if report.agency:
        lines.append(report.label("prepared_by").format(agency=report.agency))
    lines += ["", report.label("funnel"), f"  ({report.label('funnel_note')})"]
    for step in report.funnel:
        rate = rate_text(report, step)
        lines.append(f"  {marked(step)}" + (f" ({rate})" if rate else ""))
    for section, figures in (("counted", report.counted), ("platforms", report.platforms)):
        lines += ["", report.label(section)]
        for figure in figures:
            delta = delta_text(report, figure)
            suffix = f" ({delta} {report.label('vs')})" if delta else ""
            detail = f" — {clicks_text(report, figure)}" if figure.key == "review_clicks" and report.clicks else ""
            lines.append(f"  {marked(figure)}{suffix}{detail}")
            if figure.key == "review_clicks" and report.browsers:
                lines.append(f"    {browsers_text(report)}")
    lines += ["", report.label("prizes")]
    for name, count, cost in report.prizes:
        priced = cost_text(report, count, cost)
        lines.append(f"  {name}: {number(report, count)}" + (f" ({priced})" if priced else ""))
    if report.estimated_cost is not None:
        lines.append(f"  {report.label('estimated_cost')}: {money(report, report.estimated_cost)}")
    if report.tables:
        shown, others = _tables_shown(report)
        lines += ["", report.label("tables")]
        lines += [f"  {report.label('table').format(table=table)}: {number(report, count)}" for table, count in shown]
        if others:
            lines.append(f"  {report.label('other_tables').format(count=others[0])}: {number(report, others[1])}")
    best = report.best_day
    if best:
        lines += ["", f"{report.label('best_day')}: {_day(report, best[0])} ({number(report, best[1])})"]
    lines += ["", report.label("per_day")]
    lines += [f"  {day.day:02d} {'#' * min(count, 60)} {count}" for day, count in report.daily if count]
    if report.notes:
        lines += ["", *(f"[{i}] {note_text(report, note)}" for i, note in enumerate(report.notes, 1))]
    return "\n".join(lines) + "\n"


def _day(report: Report, day: date) -> str:
    return format_skeleton("MMMEd", day, locale=report.locale)


# -- HTML ---------------------------------------------------------------------------------------------------------
def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def bar_colour(colours: Colours) -> str:
    """The venue's accent, unless it is too pale to see on white (then its background colour)."""
    contrast = 1.05 / (_luminance(colours.accent) + 0.05)
    return colours.accent if contrast >= 1.5 else colours.background


def _delta_colour(figure: Figure) -> str:
    """Green for better, red for worse (more opt-outs is worse), grey for no change."""
    change = round(figure.delta or 0, 1 if figure.unit == "rating" else 0) * (
        -1 if figure.key in _FEWER_IS_BETTER else 1
    )
    return _UP if change > 0 else _DOWN if change < 0 else _MUTED


def _sup(report: Report, figure: Figure | FunnelStep) -> str:
    mark = note_number(report, figure)
    return f'<sup style="font-size:10px;line-height:0">{mark}</sup>' if mark else ""


def _label_sup(report: Report, figure: Figure | FunnelStep) -> str:
    """What a figure counts is noted by its label; why it is not available, by "not available"."""
    return _sup(report, figure) if figure.value is not None else ""


def _unavailable(report: Report, figure: Figure | FunnelStep) -> str:
    """Muted, and on one line: no-break spaces, which every mail client keeps, as well as nowrap."""
    words = html.escape(report.label("not_available")).replace(" ", "&nbsp;")
    return f'<span style="font-size:13px;font-weight:normal;color:{_MUTED};white-space:nowrap">{words}{_sup(report, figure)}</span>'


def _hbar(value_html: str, share: float, colour: str) -> str:
    """A horizontal bar (up to 75% of the row, so its value always fits beside it) with its value."""
    width = round(75 * share)
    bar = (
        f'<td width="{width}%" style="width:{width}%;background:{colour};font-size:1px;line-height:16px;mso-line-height-rule:exactly">&nbsp;</td>'
        if width
        else ""
    )
    return (
        '<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0"><tr>'
        f'{bar}<td style="padding-left:6px;font-size:14px;line-height:16px;font-weight:bold;color:{_INK};white-space:nowrap">{value_html}</td>'
        "</tr></table>"
    )


def _columns(report: Report, values: list[tuple[str, int]], width: int, top: int, colour: str) -> str:
    """A row of vertical bars as table cells (every mail client draws them), each with its value on top."""
    cells, labels = [], []
    for label, count in values:
        height = max(2, round(_CHART_HEIGHT * count / top)) if count else 1
        value = (
            f'<div style="font-size:10px;line-height:12px;font-weight:bold;color:{_INK}">{number(report, count)}</div>'
            if count
            else ""
        )
        cells.append(
            f'<td align="center" valign="bottom" height="{_CHART_HEIGHT + 14}" style="vertical-align:bottom;padding:0 1px">'
            f"{value}"
            '<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0"><tr>'
            f'<td height="{height}" style="height:{height}px;background:{colour if count else _RULE};font-size:1px;line-height:{height}px;mso-line-height-rule:exactly">&nbsp;</td>'
            "</tr></table></td>"
        )
        labels.append(
            f'<td align="center" style="padding:2px 0 0;font-size:10px;line-height:12px;color:{_MUTED}">{html.escape(label)}</td>'
        )
    padding = "<td></td>" * (width - len(values))  # a short last row keeps the columns' width
    return (
        '<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="table-layout:fixed;margin:10px 0 0">'
        f"<tr>{''.join(cells)}{padding}</tr><tr>{''.join(labels)}{padding}</tr></table>"
    )


def _chart(report: Report, values: list[tuple[str, int]], colour: str) -> str:
    """Two rows of at most 16 bars on one scale: legible on a phone, values and all."""
    width = (len(values) + 1) // 2
    top = max((count for _, count in values), default=0) or 1
    return _columns(report, values[:width], width, top, colour) + _columns(report, values[width:], width, top, colour)


def render_html(report: Report) -> str:
    e = html.escape
    colours = report.colours
    bar = bar_colour(colours)

    def section(key: str) -> str:
        return f'<h2 style="margin:28px 0 6px;padding:0 0 4px;font-size:17px;line-height:22px;color:{_INK};border-bottom:2px solid {bar}">{e(report.label(key))}</h2>'

    def figure_rows(figures: list[Figure]) -> str:
        rows = []
        for figure in figures:
            delta = delta_text(report, figure)
            colour = _delta_colour(figure)
            detail = (
                f'<div style="font-size:12px;line-height:16px;color:{_MUTED};padding-top:2px">{e(clicks_text(report, figure))}</div>'
                if figure.key == "review_clicks" and report.clicks
                else ""
            )
            if figure.key == "review_clicks" and report.browsers:
                detail += f'<div style="font-size:12px;line-height:16px;color:{_MUTED};padding-top:2px">{e(browsers_text(report))}</div>'
            value = (
                f'<div style="font-size:18px;line-height:22px;font-weight:bold;color:{_INK};white-space:nowrap">{e(value_text(report, figure))}</div>'
                if figure.value is not None
                else _unavailable(report, figure)
            )
            change = (
                f'<div style="font-size:12px;line-height:16px;color:{colour};white-space:nowrap">{e(delta)} {e(report.label("vs"))}</div>'
                if delta
                else ""
            )
            rows.append(
                f'<tr><td valign="top" style="padding:8px 10px 8px 0;border-bottom:1px solid {_RULE};font-size:14px;line-height:20px;color:#374151">{e(report.label(figure.key))}{_label_sup(report, figure)}{detail}</td>'
                f'<td align="right" valign="top" style="padding:8px 0;border-bottom:1px solid {_RULE};text-align:right">{value}{change}</td></tr>'
            )
        return f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0">{"".join(rows)}</table>'

    def funnel() -> str:
        top = report.funnel[0].value or 1
        rows = []
        for step in report.funnel:
            if step.value is None:
                shown = _unavailable(report, step)
            else:
                shown = _hbar(e(value_text(report, step)), min(1.0, step.value / top), bar)
            rows.append(
                f'<tr><td style="padding:10px 0 3px;font-size:14px;line-height:18px;color:#374151">{e(report.label(step.key))}{_label_sup(report, step)}</td>'
                f'<td align="right" style="padding:10px 0 3px;font-size:13px;line-height:18px;color:{_MUTED};white-space:nowrap">{e(rate_text(report, step))}</td></tr>'
                f'<tr><td colspan="2">{shown}</td></tr>'
            )
        return (
            f'<p style="margin:0 0 2px;font-size:12px;line-height:16px;color:{_MUTED}">{e(report.label("funnel_note"))}</p>'
            f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0">{"".join(rows)}</table>'
        )

    def prizes() -> str:
        rows = "".join(
            f'<tr><td style="padding:5px 10px 5px 0;font-size:14px;line-height:18px;color:#374151">{e(name)}</td>'
            f'<td align="right" style="padding:5px 0;font-size:14px;line-height:18px;font-weight:bold;color:{_INK}">{e(number(report, count))}</td>'
            f'<td align="right" style="padding:5px 0 5px 10px;font-size:13px;line-height:18px;color:{_MUTED};white-space:nowrap">{e(cost_text(report, count, cost))}</td></tr>'
            for name, count, cost in report.prizes
        )
        if report.estimated_cost is not None:
            rows += (
                f'<tr><td colspan="2" style="padding:8px 10px 0 0;border-top:1px solid {_RULE};font-size:14px;line-height:18px;font-weight:bold;color:{_INK}">{e(report.label("estimated_cost"))}</td>'
                f'<td align="right" style="padding:8px 0 0 10px;border-top:1px solid {_RULE};font-size:14px;line-height:18px;font-weight:bold;color:{_INK};white-space:nowrap">{e(money(report, report.estimated_cost))}</td></tr>'
            )
        return f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0">{rows}</table>'

    def tables() -> str:
        if not report.tables:
            return ""
        shown, others = _tables_shown(report)
        top = shown[0][1] or 1
        rows = [(report.label("table").format(table=table), count) for table, count in shown]
        if others:
            rows.append((report.label("other_tables").format(count=others[0]), others[1]))
        cells = "".join(
            f'<tr><td width="35%" style="padding:4px 8px 4px 0;font-size:14px;line-height:16px;color:#374151">{e(name)}</td>'
            f"<td>{_hbar(e(number(report, count)), min(1.0, count / top), bar)}</td></tr>"
            for name, count in rows
        )
        return (
            section("tables")
            + f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0">{cells}</table>'
        )

    best = report.best_day
    best_line = (
        f'<p style="margin:10px 0 0;font-size:14px;line-height:20px;color:#374151">{e(report.label("best_day"))}: <b>{e(_day(report, best[0]))}</b> ({e(number(report, best[1]))})</p>'
        if best
        else ""
    )
    agency = (
        f'<p style="margin:6px 0 0;font-size:13px;line-height:18px;color:{colours.foreground}">{e(report.label("prepared_by").format(agency=report.agency))}</p>'
        if report.agency
        else ""
    )
    notes = "".join(
        f'<p style="margin:4px 0 0;font-size:12px;line-height:16px;color:{_MUTED}"><sup style="font-size:9px;line-height:0">{i}</sup> {e(note_text(report, note))}</p>'
        for i, note in enumerate(report.notes, 1)
    )
    return f"""<!doctype html>
<html lang="{report.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="x-apple-disable-message-reformatting"><title>{e(heading(report))}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;{_FONT}">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:16px 8px">
<!--[if mso]><table role="presentation" width="600" cellspacing="0" cellpadding="0" border="0"><tr><td><![endif]-->
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="max-width:600px;background:#ffffff;{_FONT}">
<tr><td style="background:{colours.background};padding:20px 16px 18px">
<p style="margin:0;font-size:12px;line-height:16px;letter-spacing:1px;text-transform:uppercase;color:{colours.foreground}">{e(report.label("title"))} · {e(month_name(report))}</p>
<h1 style="margin:6px 0 0;font-size:26px;line-height:30px;font-weight:bold;color:{colours.foreground};word-wrap:break-word">{e(report.venue)}</h1>
{agency}
</td></tr>
<tr><td height="4" style="height:4px;background:{colours.accent};font-size:1px;line-height:4px;mso-line-height-rule:exactly">&nbsp;</td></tr>
<tr><td style="padding:0 16px 24px">
{section("funnel")}
{funnel()}
{section("counted")}
{figure_rows(report.counted)}
{section("platforms")}
{figure_rows(report.platforms)}
{section("prizes")}
{prizes()}
{tables()}
{section("per_day")}
{_chart(report, [(str(day.day), count) for day, count in report.daily], bar)}
{best_line}
{section("per_hour")}
{_chart(report, [(str(hour), count) for hour, count in report.hourly], bar)}
<div style="margin:28px 0 0;padding:8px 0 0;border-top:1px solid {_RULE}">{notes}</div>
</td></tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr></table>
</body></html>
"""


def compose_email(report: Report, sender: str, recipients: list[str], awards_csv: bytes | None = None) -> EmailMessage:
    """multipart/alternative (plain text + HTML), inside multipart/mixed when the month's awards CSV is attached."""
    message = EmailMessage()
    message["Subject"] = heading(report)
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
