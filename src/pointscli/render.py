"""Rendering: one set of writers for every report (table, CSV, JSON, HTML).

A terminal gets a Rich table; a pipe or file gets a plain aligned table that is
never truncated and carries no colour. CSV and JSON never pass through Rich.
User text is always shown literally: no markup, no emoji codes. Points, money
and dates are formatted by `amounts` and `clock` only.
"""

import csv
import html
import json
import sys
import unicodedata
from decimal import Decimal

from pointscli import amounts, clock
from pointscli.reports import INSTANT, TEXT, INT, MONEY, POINTS, SIGNED, Report

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def emit(report: Report, fmt: str = "table", out=None) -> None:
    """Write a report to `out` (stdout) in the chosen format."""
    out = out or sys.stdout
    writer = {
        "table": write_table,
        "csv": write_csv,
        "json": write_json,
        "html": write_html,
    }[fmt]
    writer(report, out)


# Cells ---------------------------------------------------------------------------


def display_cell(column, row: dict) -> str:
    """A value as people read it in a table, with control characters made visible."""
    return _visible(_display_value(column, row))


def _visible(text: str) -> str:
    """Escape control characters, so a note cannot retitle or clear the terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def _display_value(column, row: dict) -> str:
    value = row.get(column.key)
    if value is None:
        return column.empty
    if column.kind in (POINTS, SIGNED):
        text = amounts.format_points(value)
        return f"+{text}" if column.kind == SIGNED and value > 0 else text
    if column.kind == MONEY:
        return f"{amounts.format_money(value, row['currency'])} {row['currency']}"
    if column.kind == INSTANT:
        return clock.local_text(value)
    return str(value)


def plain_cell(column, row: dict):
    """A value for CSV: plain numbers, ISO dates, empty for none."""
    value = row.get(column.key)
    if value is None:
        return ""
    if column.kind in (POINTS, SIGNED):
        return amounts.format_points(value)
    if column.kind == MONEY:
        return amounts.format_money(value, row["currency"])
    if column.kind == INSTANT:
        return clock.iso_local(value)
    if column.kind == INT:
        return str(value)
    return neutralise(str(value))


def neutralise(text: str) -> str:
    """Keep a spreadsheet from running a text cell as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def json_value(column, row: dict):
    value = row.get(column.key)
    if value is None:
        return None
    if column.kind in (POINTS, SIGNED):
        return _RawNumber(amounts.format_points(value))
    if column.kind == MONEY:
        return amounts.format_money(value, row["currency"])
    if column.kind == INSTANT:
        return clock.iso_local(value)
    return value


# Writers -------------------------------------------------------------------------


def write_csv(report: Report, out) -> None:
    writer = csv.writer(out, lineterminator="\n")
    # With "\n" line ends, csv leaves a lone "\r" unquoted and readers split the row there.
    quoting_all = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([c.key for c in report.columns])
    for row in report.rows:
        cells = [plain_cell(c, row) for c in report.columns]
        (quoting_all if any("\r" in cell for cell in cells) else writer).writerow(cells)


def write_json(report: Report, out) -> None:
    records = [{c.key: json_value(c, row) for c in report.columns} for row in report.rows]
    for record, row in zip(records, report.rows):
        if any(c.kind == MONEY for c in report.columns):
            record["currency"] = row.get("currency")
    out.write(dumps(records) + "\n")


def write_html(report: Report, out) -> None:
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in report.columns)
    body = "\n".join(
        "<tr>"
        + "".join(f"<td>{html.escape(display_cell(c, row))}</td>" for c in report.columns)
        + "</tr>"
        for row in report.rows
    )
    title = html.escape(report.title)
    out.write(
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body><h1>{title}</h1>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n"
        "</tbody>\n</table></body></html>\n"
    )


def write_table(report: Report, out) -> None:
    cells = [[display_cell(c, row) for c in report.columns] for row in report.rows]
    if _is_terminal(out):
        _rich_table(report, cells, out)
    else:
        _plain_table(report, cells, out)


def _is_terminal(out) -> bool:
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def _right_aligned(column) -> bool:
    return column.kind in (POINTS, SIGNED, INT, MONEY)


def _plain_table(report: Report, cells: list[list[str]], out) -> None:
    """Aligned columns for pipes and files: every character kept, no colour."""
    headers = [c.header for c in report.columns]
    widths = [
        max([_width(h)] + [_width(row[i]) for row in cells]) for i, h in enumerate(headers)
    ]

    def line(values):
        parts = [
            _pad(v, w, _right_aligned(c)) for v, w, c in zip(values, widths, report.columns)
        ]
        return "  ".join(parts).rstrip()

    if report.title:
        out.write(report.title + "\n")
    out.write(line(headers) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")


def _width(text: str) -> int:
    """Terminal cells a text takes: wide (CJK) characters take two, combining marks none."""
    return sum(
        0
        if unicodedata.combining(ch)
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def _pad(text: str, width: int, right: bool) -> str:
    room = " " * (width - _width(text))
    return room + text if right else text + room


def _rich_table(report: Report, cells: list[list[str]], out) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, markup=False, emoji=False, highlight=False)
    table = Table(title=Text(report.title) if report.title else None, title_justify="left")
    for column in report.columns:
        # Numbers and dates never wrap mid-value; free text folds to keep every character.
        table.add_column(
            Text(column.header),
            justify="right" if _right_aligned(column) else "left",
            overflow="fold",
            no_wrap=column.kind != TEXT,
        )
    for row in cells:
        table.add_row(*(Text(value) for value in row))
    console.print(table)


# JSON ----------------------------------------------------------------------------


class _RawNumber(str):
    """An exact decimal to be written into JSON as a number, digit for digit."""


def dumps(value) -> str:
    """JSON text where points stay exact decimals (no float ever made)."""
    if isinstance(value, _RawNumber):
        return str.__str__(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(k))}: {dumps(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
