"""`points user ...` and `points config ...`: staff and settings."""

from typing import Annotated

import typer

from pointscli import directory, reports
from pointscli.cli.common import Format, FormatOption, emit, say, store
from pointscli.reports import Column, Report

user_app = typer.Typer(
    help="Users: staff who deliver or record work.", no_args_is_help=True
)
config_app = typer.Typer(help="Settings kept in the database.", no_args_is_help=True)

USER_COLUMNS = [
    Column("id", "#", reports.INT),
    Column("username", "Username"),
    Column("name", "Name"),
    Column("default", "Default"),
]


@user_app.command("add")
def add(
    ctx: typer.Context,
    username: str,
    name: Annotated[str, typer.Option(help="Full name.")] = None,
) -> None:
    """Add a staff member; the first one is the default.

    Example: points user add sam --name 'Sam Ortiz'
    """
    created = directory.add_user(store(ctx), username, name)
    say(f"Added user #{created['id']} {created['username']}.")


@user_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List staff and which one is the default.

    Example: points user list
    """
    db = store(ctx)
    default = directory.all_settings(db)["default-user"]
    rows = [
        {
            "id": u["id"],
            "username": u["username"],
            "name": u["name"],
            "default": "yes" if u["username"] == default else "",
        }
        for u in directory.list_users(db)
    ]
    emit(Report(USER_COLUMNS, rows), fmt)


@config_app.command("set")
def set_(ctx: typer.Context, key: str, value: str) -> None:
    """Change a setting (default-user, currency).

    Example: points config set default-user sam
    """
    stored = directory.set_setting(store(ctx), key, value)
    say(f"{key} = {stored}")


@config_app.command("show")
def show(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show every setting and the database path.

    Example: points config show
    """
    db = store(ctx)
    rows = [{"key": k, "value": v} for k, v in directory.all_settings(db).items()]
    rows.append({"key": "database", "value": db.path})
    emit(Report([Column("key", "Setting"), Column("value", "Value")], rows), fmt)


def register(app) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(config_app, name="config")
