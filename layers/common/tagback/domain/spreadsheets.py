"""What the product hands a spreadsheet: every cell of every CSV and of the owner's Google Sheet goes through
`safe_cell`, and every CSV is written by `csv_bytes`.

A guest chooses their display name and types their email, so a cell may be hostile: Excel, LibreOffice and Google
Sheets read a cell starting with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(…)` leaks data, `=cmd|…` runs
commands), and a leading tab or CR can hide one. OWASP's rule: such a cell gets a single quote in front, which the
spreadsheet reads as "this is text", and is otherwise kept as it is. Their full-width forms (＝ ＋ － ＠) are escaped
too (a spreadsheet that folds character widths reads them as the ASCII ones), and NUL (ASVS 1.2.10).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = frozenset("=+-@\t\r\0＝＋－＠")
BOM = "\ufeff"  # how Excel knows a CSV is UTF-8; without it, it reads "Krüger" as "KrÃ¼ger"


def safe_cell(value: object) -> str:
    """`value` as text no spreadsheet reads as a formula (None is an empty cell)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file: UTF-8 with a BOM, RFC 4180 (every field quoted, CRLF line ends), every cell a safe one."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return (BOM + text.getvalue()).encode("utf-8")
