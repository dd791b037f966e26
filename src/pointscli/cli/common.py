"""What every command shares: the open database, --format, WHEN options, messages."""

import sys
from enum import Enum
from typing import Annotated

import typer

from pointscli import clock
from pointscli.storage import Store, open_store


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class StatementFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


FormatOption = Annotated[
    Format,
    typer.Option("--format", "-f", help="table for people; csv or json for scripts."),
]
AsOfOption = Annotated[
    str,
    typer.Option(
        "--as-of", metavar="WHEN", help="See the ledger as it stood then (default: now)."
    ),
]
AtOption = Annotated[
    str,
    typer.Option(
        "--at",
        metavar="WHEN",
        help="When it happened: 2025-04-12 14:00, yesterday (default: now).",
    ),
]
RefOption = Annotated[
    str,
    typer.Option(
        "--ref",
        metavar="KEY",
        help="Idempotency key: a repeat with the same key writes nothing.",
    ),
]
ByOption = Annotated[
    str,
    typer.Option("--by", metavar="USER", help="Who did it (default: the default user)."),
]
NoteOption = Annotated[str, typer.Option("--note", help="A note kept with the entry.")]
TypeOption = Annotated[
    str,
    typer.Option(
        "--type",
        "-t",
        metavar="TYPE",
        help="Point type name or plural (optional when there is one).",
    ),
]


def store(ctx: typer.Context) -> Store:
    """The database for this run, opened once and closed when the command ends."""
    root = ctx.find_root()
    if "store" not in root.obj:
        root.obj["store"] = open_store(root.obj.get("db"))
        root.call_on_close(root.obj["store"].close)
    return root.obj["store"]


def when(text: str | None):
    """Parse an optional WHEN option; None means now."""
    return clock.parse_when(text) if text else None


def say(message: str) -> None:
    """A message for people, on stderr, printed literally."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def emit(report, fmt) -> None:
    from pointscli.render import emit as render

    fmt_value = fmt.value if isinstance(fmt, Enum) else fmt
    if not report.rows and fmt_value == "table":
        say(f"{report.title}: nothing to show." if report.title else "Nothing to show.")
        return
    render(report, fmt_value)


def contact_label(contact) -> str:
    """A contact as messages name it: Name <email>."""
    return f"{contact['name']} <{contact['email']}>"


def replayed(ref: str, detail: str) -> str:
    """The message for a --ref repeat that wrote nothing."""
    return f"Already recorded with --ref {ref} ({detail}); nothing written."
