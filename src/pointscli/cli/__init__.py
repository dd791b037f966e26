"""The `points` command line: Typer apps, one module per noun.

Commands parse their arguments, look things up, call the core and render the
result. No ledger rule lives here. Every core refusal (PointsError) becomes its
message on stderr and exit code 1 in one place: `PointsGroup.invoke`.
"""

import sqlite3
import sys

import typer
from typer.core import TyperGroup

from pointscli import __version__
from pointscli.errors import PointsError

CONTEXT = {"help_option_names": ["-h", "--help"]}


class PointsGroup(TyperGroup):
    """The root group: turns refusals into a message and exit 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PointsError as error:
            fail(str(error))
        except sqlite3.OperationalError as error:
            fail(
                f"the database could not be used ({error}); check --db and its permissions"
            )
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None


def fail(message: str) -> None:
    """Print an error to stderr and exit 1."""
    from pointscli.cli.common import say

    say(f"Error: {message}")
    raise typer.Exit(1) from None


app = typer.Typer(
    cls=PointsGroup,
    name="points",
    help="Track prepaid service points: packs, sessions delivered, balances and expiry.",
    context_settings=CONTEXT,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"points {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str = typer.Option(
        None,
        "--db",
        envvar="POINTS_DB",
        metavar="PATH",
        help="Database file (default: points.db in your app data folder).",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Track prepaid service points: packs, sessions delivered, balances and expiry."""
    ctx.obj = {"db": db}


def _register_all() -> None:
    from pointscli.cli import (
        admin,
        contacts,
        ledger,
        reports,
        selling,
        transfer,
        types,
        users,
    )

    for module in (types, contacts, users, ledger, reports, transfer, selling, admin):
        module.register(app)


_register_all()


def main() -> None:
    app()
