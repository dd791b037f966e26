"""`points export ledger` and `points import ledger`: the ledger CSV out and in."""

import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from pointscli import clock, transfer
from pointscli.cli.common import emit, say, store, when
from pointscli.errors import InvalidInput

export_app = typer.Typer(
    help="Write data out for spreadsheets, scripts and `import`.", no_args_is_help=True
)
import_app = typer.Typer(
    help="Load data written by `export` or by hand.", no_args_is_help=True
)


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"


FromOption = Annotated[
    str,
    typer.Option(
        "--from",
        metavar="WHEN",
        help="First day or moment to include (default: the start).",
    ),
]
ToOption = Annotated[
    str,
    typer.Option(
        "--to", metavar="WHEN", help="Last day or moment to include (default: now)."
    ),
]
ExportFormatOption = Annotated[
    ExportFormat,
    typer.Option("--format", "-f", help="csv (what `import ledger` reads) or json."),
]
FileArgument = Annotated[
    str,
    typer.Argument(
        metavar="FILE|-", help="A ledger CSV file, or - to read standard input."
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check and apply every row, then write nothing.")
]


@export_app.command("ledger")
def export_ledger(
    ctx: typer.Context,
    from_: FromOption = None,
    to: ToOption = None,
    fmt: ExportFormatOption = ExportFormat.csv,
) -> None:
    """Every entry, in date order, in the format `import ledger` reads.

    Example: points export ledger --from 2025-01-01 --to 2025-03-31 > q1.csv
    """
    start = clock.parse_start(from_) if from_ else None
    never = "never" if fmt is ExportFormat.csv else None
    emit(transfer.export_ledger(store(ctx), start, when(to), never=never), fmt)


@import_app.command("ledger")
def import_ledger(
    ctx: typer.Context, file: FileArgument, dry_run: DryRunOption = False
) -> None:
    """Load ledger rows: all checked first, then written in one transaction.

    Example: points import ledger ledger.csv --dry-run
    """
    text = read_text(file)
    db = store(ctx)
    with progress_bar() as progress:
        result = transfer.import_ledger(db, text, dry_run=dry_run, progress=progress)
    say(summary(result, "standard input" if file == "-" else file))


def read_text(file: str) -> str:
    """The file's text (or stdin's), UTF-8 with or without a byte-order mark."""
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except FileNotFoundError:
        raise InvalidInput(
            f"no file {file}: give the path of a ledger CSV, or - for stdin"
        ) from None
    except OSError as error:
        raise InvalidInput(f"cannot read {file}: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{file} is not UTF-8 text (byte {error.start}): save it as CSV UTF-8 and "
            "import again"
        ) from None


@contextmanager
def progress_bar():
    """A progress callback drawing a bar on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Importing", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def summary(result: transfer.ImportResult, source: str) -> str:
    """One line saying what was (or would be) written."""
    counts = (
        f"{counted(result.issues, 'issue')}, "
        f"{counted(result.consumptions, 'consumption')} and "
        f"{counted(result.voids, 'void')}"
    )
    created = (
        f"{counted(result.contacts_created, 'new contact')} and "
        f"{counted(result.users_created, 'new user')}"
    )
    skipped = (
        f"; skipped {counted(result.skipped, 'row')} already imported (same ref)"
        if result.skipped
        else ""
    )
    if result.dry_run:
        return (
            f"Dry run of {source}: would import {counts} with {created}{skipped}; "
            "nothing was written."
        )
    return f"Imported {counts} from {source}, with {created}{skipped}."


def counted(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def register(app) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
