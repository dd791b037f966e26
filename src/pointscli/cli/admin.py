"""`points backup` and `points demo`: looking after the database file itself."""

import shlex
from typing import Annotated

import typer

from pointscli import backup, reports
from pointscli.cli.common import Format, emit, say, store

DestArgument = Annotated[str, typer.Argument(metavar="DEST", help="The file to write.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace DEST if it exists.")]
SeedOption = Annotated[
    int, typer.Option("--seed", help="Another number gives another sample practice.")
]


def backup_command(
    ctx: typer.Context, dest: DestArgument, force: ForceOption = False
) -> None:
    """Write a consistent copy of the database, even while it is in use.

    Example: points backup points-copy.db
    """
    db = store(ctx)
    copied = backup.backup(db, dest, force=force)
    entries = "1 entry" if copied.entries == 1 else f"{copied.entries} entries"
    say(f"Backed up {db.path} to {copied.path} ({entries}).")


def demo_command(ctx: typer.Context, seed: SeedOption = None) -> None:
    """Fill a new database with a sample practice and show the overview.

    Example: points --db demo.db demo
    """
    db = store(ctx)
    from pointscli import demo  # the generator is heavy to import; only `demo` needs it

    filled = demo.fill_demo(db) if seed is None else demo.fill_demo(db, seed=seed)
    say(
        f"Filled {db.path} with a sample practice: {filled.contacts} contacts and "
        f"{filled.entries} entries from {filled.first_day} to {filled.last_day}."
    )
    emit(reports.summary(db), Format.table)
    say(next_steps(ctx, filled.example_email))


def next_steps(ctx: typer.Context, email: str) -> str:
    """Commands worth trying on the demo database, naming it when --db was given."""
    db_option = ctx.find_root().obj.get("db")
    points = f"points --db {shlex.quote(db_option)}" if db_option else "points"
    return "\n".join(
        [
            "Try next:",
            f"  {points} outstanding",
            f"  {points} outstanding --expiring-within '30 days'",
            f"  {points} balance {email} --lots",
            f"  {points} statement {email}",
            f"  {points} export ledger > ledger.csv",
        ]
    )


def register(app) -> None:
    app.command("backup")(backup_command)
    app.command("demo")(demo_command)
