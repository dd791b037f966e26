"""`points type ...`: define, list, show, edit and archive point types."""

from typing import Annotated

import typer

from pointscli import directory, reports
from pointscli.cli.common import AsOfOption, FormatOption, Format, emit, say, store, when
from pointscli.reports import Column, Report

type_app = typer.Typer(
    help="Point types: what is sold and delivered (Session, Consult, ...).",
    no_args_is_help=True,
)

TYPE_COLUMNS = [
    Column("id", "#", reports.INT),
    Column("name", "Name"),
    Column("plural", "Plural"),
    Column("expires", "Default expiry", empty="never"),
    Column("description", "Description"),
    Column("archived", "Archived"),
    Column("outstanding", "Outstanding", reports.POINTS),
]


def type_report(types, outstanding: dict[int, int]) -> Report:
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "plural": t.plural,
            "expires": str(t.expires) if t.expires else None,
            "description": t.description,
            "archived": "yes" if t.archived else "no",
            "outstanding": outstanding.get(t.id, 0),
        }
        for t in types
    ]
    return Report(TYPE_COLUMNS, rows)


@type_app.command("add")
def add(
    ctx: typer.Context,
    name: str,
    plural: Annotated[str, typer.Option(help="Plural name (default: NAME + s).")] = None,
    description: Annotated[str, typer.Option(help="What this type is.")] = None,
    expires: Annotated[
        str,
        typer.Option(metavar="PERIOD", help="Default expiry: 6 months, 90 days, never."),
    ] = None,
) -> None:
    """Define a point type.

    Example: points type add Session --expires '6 months'
    """
    created = directory.add_type(store(ctx), name, plural, description, expires)
    expiry = (
        f", valid {created.expires} from issue" if created.expires else ", never expires"
    )
    say(f"Added point type #{created.id} {created.name} ({created.plural}){expiry}.")


@type_app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include archived types.")] = False,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List point types with the points outstanding in each.

    Example: points type list
    """
    db = store(ctx)
    types = directory.list_types(db, include_archived=all_)
    emit(type_report(types, reports.type_outstanding(db, when(as_of))), fmt)


@type_app.command("show")
def show(ctx: typer.Context, name: str, fmt: FormatOption = Format.table) -> None:
    """Show one point type.

    Example: points type show Sessions
    """
    db = store(ctx)
    emit(type_report([directory.find_type(db, name)], reports.type_outstanding(db)), fmt)


@type_app.command("edit")
def edit(
    ctx: typer.Context,
    name: str,
    new_name: Annotated[str, typer.Option("--name", help="New name.")] = None,
    plural: Annotated[str, typer.Option(help="New plural.")] = None,
    description: Annotated[str, typer.Option(help="New description.")] = None,
    expires: Annotated[
        str, typer.Option(metavar="PERIOD", help="New default expiry for future grants.")
    ] = None,
) -> None:
    """Change a type's names, description or default expiry.

    Example: points type edit Session --expires '1 year'
    """
    changed = directory.edit_type(store(ctx), name, new_name, plural, description, expires)
    say(
        f"Updated point type #{changed.id} {changed.name}; existing grants keep their expiry dates."
    )


@type_app.command("archive")
def archive(ctx: typer.Context, name: str) -> None:
    """Stop issuing a type; points already held stay usable.

    Example: points type archive Consult
    """
    archived = directory.archive_type(store(ctx), name)
    say(f"Archived point type {archived.name}: no new grants; held points stay usable.")


def register(app) -> None:
    app.add_typer(type_app, name="type")
