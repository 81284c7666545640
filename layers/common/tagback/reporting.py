"""The monthly report: last month against the month before, from the two months' stats items (O(1) reads).

Two sections, as the venue was promised: what Tagback contributes to directly (mentions, guests reached, review
link clicks, Google reviews gained, followers gained) and what it influences (reach, views, accounts engaged).
Figures Meta or Google did not provide are "not available", never 0. Rendered as email-safe HTML (inline CSS,
tables, bars drawn with table cells: no JavaScript, no external assets) and as plain text with the same figures.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from functools import cached_property
from typing import Any

from tagback.aws import boto3_client
from tagback.config import ClientConfig
from tagback.messages import Language
from tagback.observability import logger

LABELS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Your Tagback month",
        "de": "Dein Tagback-Monat",
        "es": "Tu mes con Tagback",
        "fr": "Votre mois Tagback",
        "it": "Il tuo mese con Tagback",
        "pt": "O seu mês Tagback",
    },
    "direct": {
        "en": "What Tagback did directly",
        "de": "Was Tagback direkt bewirkt hat",
        "es": "Lo que Tagback logró directamente",
        "fr": "Ce que Tagback a apporté directement",
        "it": "Cosa ha fatto Tagback direttamente",
        "pt": "O que o Tagback fez diretamente",
    },
    "indirect": {
        "en": "What it influenced",
        "de": "Was es beeinflusst hat",
        "es": "Lo que influyó",
        "fr": "Ce qu'il a influencé",
        "it": "Cosa ha influenzato",
        "pt": "O que influenciou",
    },
    "mentions": {
        "en": "Story mentions",
        "de": "Story-Erwähnungen",
        "es": "Menciones en historias",
        "fr": "Mentions en story",
        "it": "Menzioni nelle storie",
        "pt": "Menções em stories",
    },
    "unique_guests": {
        "en": "Guests reached",
        "de": "Erreichte Gäste",
        "es": "Clientes alcanzados",
        "fr": "Clients touchés",
        "it": "Ospiti raggiunti",
        "pt": "Clientes alcançados",
    },
    "review_clicks": {
        "en": "Review link clicks",
        "de": "Klicks auf Bewertungslinks",
        "es": "Clics en enlaces de reseña",
        "fr": "Clics sur les liens d'avis",
        "it": "Clic sui link per le recensioni",
        "pt": "Cliques nos links de avaliação",
    },
    "reviews_gained": {
        "en": "Google reviews gained",
        "de": "Neue Google-Bewertungen",
        "es": "Reseñas de Google nuevas",
        "fr": "Nouveaux avis Google",
        "it": "Nuove recensioni Google",
        "pt": "Novas avaliações Google",
    },
    "rating": {
        "en": "Google rating",
        "de": "Google-Bewertung",
        "es": "Valoración en Google",
        "fr": "Note Google",
        "it": "Valutazione Google",
        "pt": "Classificação Google",
    },
    "followers_gained": {
        "en": "Followers gained",
        "de": "Neue Follower",
        "es": "Seguidores nuevos",
        "fr": "Nouveaux abonnés",
        "it": "Nuovi follower",
        "pt": "Novos seguidores",
    },
    "reach": {
        "en": "Accounts reached",
        "de": "Erreichte Konten",
        "es": "Cuentas alcanzadas",
        "fr": "Comptes touchés",
        "it": "Account raggiunti",
        "pt": "Contas alcançadas",
    },
    "views": {
        "en": "Views",
        "de": "Aufrufe",
        "es": "Visualizaciones",
        "fr": "Vues",
        "it": "Visualizzazioni",
        "pt": "Visualizações",
    },
    "engaged": {
        "en": "Accounts engaged",
        "de": "Interagierende Konten",
        "es": "Cuentas que interactuaron",
        "fr": "Comptes ayant interagi",
        "it": "Account che hanno interagito",
        "pt": "Contas com interação",
    },
    "prizes": {
        "en": "Prizes handed out",
        "de": "Vergebene Preise",
        "es": "Premios entregados",
        "fr": "Cadeaux remis",
        "it": "Premi consegnati",
        "pt": "Prémios entregues",
    },
    "estimated_cost": {
        "en": "Estimated cost",
        "de": "Geschätzte Kosten",
        "es": "Coste estimado",
        "fr": "Coût estimé",
        "it": "Costo stimato",
        "pt": "Custo estimado",
    },
    "per_day": {
        "en": "Mentions per day",
        "de": "Erwähnungen pro Tag",
        "es": "Menciones por día",
        "fr": "Mentions par jour",
        "it": "Menzioni al giorno",
        "pt": "Menções por dia",
    },
    "per_hour": {
        "en": "Mentions by hour of day",
        "de": "Erwähnungen nach Uhrzeit",
        "es": "Menciones por hora",
        "fr": "Mentions par heure",
        "it": "Menzioni per ora",
        "pt": "Menções por hora",
    },
    "best_day": {
        "en": "Best day",
        "de": "Bester Tag",
        "es": "Mejor día",
        "fr": "Meilleur jour",
        "it": "Giorno migliore",
        "pt": "Melhor dia",
    },
    "vs": {
        "en": "vs. previous month",
        "de": "ggü. Vormonat",
        "es": "vs. mes anterior",
        "fr": "vs mois précédent",
        "it": "vs mese precedente",
        "pt": "vs. mês anterior",
    },
    "not_available": {
        "en": "not available",
        "de": "nicht verfügbar",
        "es": "no disponible",
        "fr": "non disponible",
        "it": "non disponibile",
        "pt": "não disponível",
    },
}


@dataclass(frozen=True)
class Figure:
    key: str
    value: float | None  # None: not available
    previous: float | None

    @property
    def delta(self) -> float | None:
        return None if self.value is None or self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class Report:
    client_id: str
    venue: str
    month: str
    language: Language
    direct: list[Figure]
    indirect: list[Figure]
    prizes: list[tuple[str, int, Decimal | None]]  # name, count, estimated cost
    daily: list[tuple[date, int]]
    hourly: list[tuple[int, int]]

    @property
    def best_day(self) -> tuple[date, int] | None:
        busiest = max(self.daily, key=lambda day: day[1], default=None)
        return busiest if busiest and busiest[1] > 0 else None

    @property
    def estimated_cost(self) -> Decimal | None:
        costs = [cost for _, _, cost in self.prizes if cost is not None]
        return sum(costs, Decimal(0)) if costs else None

    def label(self, key: str) -> str:
        return LABELS[key][self.language]


def previous_month(month: str) -> str:
    first = date.fromisoformat(f"{month}-01")
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _days(month: str) -> list[date]:
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def _daily(stats: dict[str, Any], name: str, month: str) -> list[float]:
    """The month's daily snapshot values of `name` (in day order), days without data left out."""
    return [float(stats[key]) for day in _days(month) if (key := f"{name}_d{day.day:02d}") in stats]


def _last(values: list[float]) -> float | None:
    return values[-1] if values else None


def _sum_or_none(values: list[float]) -> float | None:
    return sum(values) if values else None


def _gain(stats: dict[str, Any], previous: dict[str, Any], name: str, month: str) -> float | None:
    """Growth of a running total over the month: last value minus the last of the month before (or this month's
    first); None with fewer than two observations."""
    now, before = _daily(stats, name, month), _daily(previous, name, previous_month(month))
    start = before[-1] if before else (now[0] if len(now) > 1 else None)
    return now[-1] - start if now and start is not None else None


def _figures(stats: dict[str, Any], previous: dict[str, Any], month: str) -> tuple[list[Figure], list[Figure]]:
    before = previous_month(month)
    clicks = lambda s: float(sum(v for k, v in s.items() if k.startswith("review_link_clicks_")))  # noqa: E731
    direct = [
        Figure("mentions", float(stats.get("mentions", 0)), float(previous.get("mentions", 0))),
        Figure("unique_guests", float(stats.get("unique_guests", 0)), float(previous.get("unique_guests", 0))),
        Figure("review_clicks", clicks(stats), clicks(previous)),
        Figure("reviews_gained", _gain(stats, previous, "rating_count", month), None),
        Figure("rating", _last(_daily(stats, "rating", month)), _last(_daily(previous, "rating", before))),
        Figure("followers_gained", _gain(stats, previous, "followers", month), None),
    ]
    indirect = [
        Figure(name, _sum_or_none(_daily(stats, name, month)), _sum_or_none(_daily(previous, name, before)))
        for name in ("reach", "views", "engaged")
    ]
    return direct, indirect


def build_report(config: ClientConfig, month: str, stats: dict[str, Any], previous: dict[str, Any]) -> Report:
    direct, indirect = _figures(stats, previous, month)
    language = config.report.language or config.default_language
    prizes = []
    for prize in config.prizes:
        handed = int(stats.get(f"awards_prize_{prize.id}", 0))
        prizes.append((prize.name_in(language), handed, prize.cost * handed if prize.cost is not None else None))
    return Report(
        client_id=config.client_id,
        venue=config.venue_name,
        month=month,
        language=language,
        direct=direct,
        indirect=indirect,
        prizes=prizes,
        daily=[(day, int(stats.get(f"mentions_day_{day.day:02d}", 0))) for day in _days(month)],
        hourly=[(hour, int(stats.get(f"mentions_hour_{hour:02d}", 0))) for hour in range(24)],
    )


# -- rendering -----------------------------------------------------------------------------------------------
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


# -- the email -----------------------------------------------------------------------------------------------
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
            awards_csv, maintype="text", subtype="csv", filename=f"{report.client_id}-{report.month}-awards.csv"
        )
    return message


class ReportDelivery:
    """The report's copy in S3 (always) and the email through SES (raw MIME); SES refusals are logged with the fix
    and leave the report retrievable from S3."""

    def __init__(self, bucket: str, s3: Any = None, ses: Any = None) -> None:
        self.bucket = bucket
        self._s3, self._ses = s3, ses

    @cached_property
    def s3(self) -> Any:
        return self._s3 or boto3_client("s3")

    @cached_property
    def ses(self) -> Any:
        return self._ses or boto3_client("ses")

    def store_copy(self, report: Report, message: EmailMessage) -> str:
        key = f"reports/{report.month}"
        self.s3.put_object(
            Bucket=self.bucket,
            Key=f"{key}.html",
            Body=render_html(report).encode(),
            ContentType="text/html; charset=utf-8",
        )
        self.s3.put_object(Bucket=self.bucket, Key=f"{key}.eml", Body=message.as_bytes(), ContentType="message/rfc822")
        return f"s3://{self.bucket}/{key}.html"

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> str | None:
        """The SES message id, or None when SES refused (logged with what to do)."""
        try:
            answer = self.ses.send_raw_email(
                Source=sender, Destinations=recipients, RawMessage={"Data": message.as_bytes()}
            )
        except self.ses.exceptions.MessageRejected as error:
            logger.error(
                "SES refused the monthly report: verify the sender (and, while the account is in the SES "
                "sandbox, the recipients) in SES; the report is in S3",
                extra={"sender": sender, "error": str(error)},
            )
            return None
        return str(answer["MessageId"])
