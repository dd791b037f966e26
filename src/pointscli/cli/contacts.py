"""`points contact ...`: add, list, show and edit clients."""

from typing import Annotated

import typer

from pointscli import directory, reports
from pointscli.cli.common import Format, FormatOption, emit, say, store
from pointscli.reports import Column, Report

contact_app = typer.Typer(
    help="Contacts: the clients who hold points.", no_args_is_help=True
)

CONTACT_COLUMNS = [
    Column("id", "#", reports.INT),
    Column("name", "Name"),
    Column("email", "Email"),
    Column("notes", "Notes"),
    Column("created_at", "Added", reports.INSTANT),
]


def contact_report(rows) -> Report:
    return Report(
        CONTACT_COLUMNS, [{c.key: row[c.key] for c in CONTACT_COLUMNS} for row in rows]
    )


@contact_app.command("add")
def add(
    ctx: typer.Context,
    name: str,
    email: Annotated[
        str, typer.Option("--email", "-e", help="Email address (unique, any case).")
    ],
    notes: Annotated[str, typer.Option(help="Free notes about the client.")] = None,
) -> None:
    """Add a client.

    Example: points contact add 'Ann Lee' --email ann@example.com
    """
    created = directory.add_contact(store(ctx), name, email, notes)
    say(f"Added contact #{created['id']} {created['name']} <{created['email']}>.")


@contact_app.command("list")
def list_(
    ctx: typer.Context,
    search: Annotated[
        str, typer.Option("--search", "-s", help="Only names or emails containing this.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List clients.

    Example: points contact list --search lee
    """
    emit(contact_report(directory.list_contacts(store(ctx), search)), fmt)


@contact_app.command("show")
def show(ctx: typer.Context, contact: str, fmt: FormatOption = Format.table) -> None:
    """Show one client, found by number, email or name.

    Example: points contact show ann@example.com
    """
    emit(contact_report([directory.find_contact(store(ctx), contact)]), fmt)


@contact_app.command("edit")
def edit(
    ctx: typer.Context,
    contact: str,
    name: Annotated[str, typer.Option(help="New name.")] = None,
    email: Annotated[str, typer.Option(help="New email address.")] = None,
    notes: Annotated[str, typer.Option(help="New notes.")] = None,
) -> None:
    """Change a client's name, email or notes.

    Example: points contact edit 'Ann Lee' --name 'Ann Lee-Smith'
    """
    changed = directory.edit_contact(store(ctx), contact, name, email, notes)
    say(f"Updated contact #{changed['id']} {changed['name']} <{changed['email']}>.")


def register(app) -> None:
    app.add_typer(contact_app, name="contact")
