"""`points balance`, `statement`, `outstanding` and `check`: the ledger read back."""

from enum import Enum
from typing import Annotated

import typer

from pointscli import checks, clock, directory, reports, selling, statement
from pointscli.cli.common import (
    AsOfOption,
    Format,
    FormatOption,
    StatementFormat,
    TypeOption,
    emit,
    say,
    store,
    when,
)
from pointscli.errors import InvalidInput
from pointscli.reports import INT, Column, Report

ContactArgument = Annotated[str, typer.Argument(help="Contact number, email or name.")]
LotsOption = Annotated[bool, typer.Option("--lots", help="List each open grant instead.")]
FromOption = Annotated[
    str,
    typer.Option("--from", metavar="WHEN", help="Show entries from then (default: all)."),
]
ToOption = Annotated[
    str,
    typer.Option("--to", metavar="WHEN", help="Show entries up to then (default: now)."),
]
StatementFormatOption = Annotated[
    StatementFormat,
    typer.Option("--format", "-f", help="table for people; csv, json or html to keep."),
]
ExpiringOption = Annotated[
    str,
    typer.Option(
        "--expiring-within",
        metavar="PERIOD",
        help="Only contacts with points expiring within PERIOD (30 days, 2 weeks).",
    ),
]
SummaryOption = Annotated[
    bool,
    typer.Option(
        "--summary", help="Per type: issued, consumed, expired, voided and outstanding."
    ),
]
ValueOption = Annotated[
    bool,
    typer.Option(
        "--value", help="Value the points at the per-point price each grant was paid for."
    ),
]

PROBLEM_COLUMNS = [
    Column("check", "Check"),
    Column("entry", "Entry", INT),
    Column("message", "Problem"),
]


class CheckFormat(str, Enum):
    table = "table"
    json = "json"


def problem_report(problems: list[checks.Problem]) -> Report:
    rows = [{"check": p.check, "entry": p.entry, "message": p.message} for p in problems]
    return Report(PROBLEM_COLUMNS, rows)


def type_id(db, text: str | None) -> int | None:
    """The named type's id, or None for every type."""
    return directory.find_type(db, text).id if text else None


def balance(
    ctx: typer.Context,
    contact: ContactArgument,
    as_of: AsOfOption = None,
    lots: LotsOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Available points per type and the next expiry.

    Example: points balance ann@example.com --as-of 2025-06-30
    """
    db = store(ctx)
    holder = directory.find_contact(db, contact)
    show = reports.lots if lots else reports.balance
    report = show(db, holder["id"], when(as_of))
    report.title = f"{holder['name']} <{holder['email']}>: {report.title}"
    emit(report, fmt)


def statement_(
    ctx: typer.Context,
    contact: ContactArgument,
    type_: TypeOption = None,
    start: FromOption = None,
    end: ToOption = None,
    fmt: StatementFormatOption = StatementFormat.table,
) -> None:
    """History with a running balance; expiries are their own lines.

    Example: points statement ann@example.com --from 2025-01-01 --format csv
    """
    db = store(ctx)
    holder = directory.find_contact(db, contact)
    first = clock.parse_start(start) if start else None
    report = statement.statement(db, holder["id"], type_id(db, type_), first, when(end))
    for_people = fmt in (StatementFormat.table, StatementFormat.html)
    emit(statement.for_people(report) if for_people else report, fmt)


def outstanding(
    ctx: typer.Context,
    type_: TypeOption = None,
    as_of: AsOfOption = None,
    expiring_within: ExpiringOption = None,
    summary: SummaryOption = False,
    value: ValueOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Contacts holding unused points, with their next expiry.

    Example: points outstanding --expiring-within '30 days'
    """
    db = store(ctx)
    if expiring_within and (summary or value):
        raise InvalidInput(
            "--expiring-within lists contacts by their next expiry: "
            "use it without --summary or --value"
        )
    moment, kind = when(as_of), type_id(db, type_)
    if value:
        report = selling.valued_outstanding(db, moment, kind, summary=summary)
    elif summary:
        report = reports.summary(db, moment, kind)
    else:
        period = clock.parse_period(expiring_within) if expiring_within else None
        report = reports.outstanding(db, moment, kind, period)
    emit(report, fmt)


def check(
    ctx: typer.Context,
    fmt: Annotated[
        CheckFormat,
        typer.Option("--format", "-f", help="table for people; json for scripts."),
    ] = CheckFormat.table,
) -> None:
    """Verify the ledger's invariants; exit 1 listing any problems.

    Example: points check --format json
    """
    db = store(ctx)
    problems = checks.check(db)
    if not problems:
        say(f"ok: {checks.entry_count(db)} entries checked")
    if fmt == CheckFormat.json or problems:
        emit(problem_report(problems), fmt)
    if problems:
        say(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found")
        raise typer.Exit(1)


def register(app) -> None:
    app.command("balance")(balance)
    app.command("statement")(statement_)
    app.command("outstanding")(outstanding)
    app.command("check")(check)
