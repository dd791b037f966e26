"""`points issue`, `points consume` and `points void`: the ledger's writes."""

from typing import Annotated

import typer

from pointscli import amounts, clock, directory, ledger
from pointscli.cli.common import (
    AtOption,
    ByOption,
    NoteOption,
    RefOption,
    TypeOption,
    contact_label,
    replayed,
    say,
    store,
    when,
)
from pointscli.errors import NotFound

# "-1" must reach the amount parser (and its clear refusal), not be taken for an option.
NEGATIVE_OK = {"ignore_unknown_options": True}


def find_or_create_contact(db, text: str, create: bool, name: str | None):
    """The named contact; with --create, an unknown email becomes a new contact."""
    try:
        return directory.find_contact(db, text)
    except NotFound:
        if not create or "@" not in text:
            raise
    return directory.add_contact(db, name or text.split("@")[0], text)


def replay_note(outcome, ref: str | None) -> str | None:
    if not outcome.replayed:
        return None
    numbers = ", ".join(f"#{n}" for n in outcome.entries)
    return replayed(ref, f"entry {numbers}")


def issue(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="Contact number, email or name.")],
    amount: Annotated[str, typer.Argument(help="Points to issue, e.g. 10 or 0.5.")],
    type_: TypeOption = None,
    expires: Annotated[
        str,
        typer.Option(
            "--expires",
            metavar="PERIOD|DATE|never",
            help="Override the type's default expiry.",
        ),
    ] = None,
    note: NoteOption = None,
    by: ByOption = None,
    at: AtOption = None,
    ref: RefOption = None,
    create: Annotated[
        bool, typer.Option("--create", help="Add the contact if the email is new.")
    ] = False,
    name: Annotated[
        str, typer.Option("--name", help="Name for a contact made by --create.")
    ] = None,
) -> None:
    """Issue points to a contact.

    Example: points issue ann@example.com 10 --type Session --ref order-1001
    """
    thousandths = amounts.parse_points(amount)
    expiry = clock.parse_expiry(expires) if expires else None
    moment = when(at)
    db = store(ctx)

    with db.write():
        holder = find_or_create_contact(db, contact, create, name)
        point_type = directory.find_type(db, type_)
        user = directory.user_or_default(db, by)
        outcome = ledger.issue(
            db,
            holder["id"],
            point_type,
            thousandths,
            user_id=user["id"],
            at=moment,
            expires=expiry,
            note=note,
            ref=ref,
        )

    entry = ledger.get_entry(db, outcome.entries[0])
    until = (
        f", valid until {entry['expires_on']}" if entry["expires_on"] else ", never expires"
    )
    say(
        replay_note(outcome, ref)
        or f"Issued {amounts.format_points(thousandths)} {point_type.label(thousandths)} to "
        f"{contact_label(holder)} (entry #{entry['id']}){until}."
    )


def consume(
    ctx: typer.Context,
    contact: Annotated[str, typer.Argument(help="Contact number, email or name.")],
    amount: Annotated[str, typer.Argument(help="Points used, e.g. 1, 0.5 or 0.25.")],
    type_: TypeOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    at: AtOption = None,
    ref: RefOption = None,
) -> None:
    """Record points used, in whole or in part.

    Example: points consume 'Ann Lee' 0.5 --note 'Short check-in'
    """
    thousandths = amounts.parse_points(amount)
    moment = when(at)
    db = store(ctx)

    with db.write():
        holder = directory.find_contact(db, contact)
        point_type = directory.find_type(db, type_)
        user = directory.user_or_default(db, by)
        outcome = ledger.consume(
            db,
            holder["id"],
            point_type,
            thousandths,
            user_id=user["id"],
            at=moment,
            note=note,
            ref=ref,
            contact_label=contact_label(holder),
        )
        left = ledger.available(db, holder["id"], point_type.id)

    say(
        replay_note(outcome, ref)
        or f"Consumed {amounts.format_points(thousandths)} {point_type.label(thousandths)} for "
        f"{contact_label(holder)} (entry #{outcome.entries[0]}); "
        f"{amounts.format_points(left)} {point_type.label(left)} available now."
    )


def void(
    ctx: typer.Context,
    entry: Annotated[
        str, typer.Argument(help="Entry number, as shown by `points statement`.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided.")] = None,
    by: ByOption = None,
    at: AtOption = None,
    ref: RefOption = None,
) -> None:
    """Undo an entry, keeping it in the history.

    Example: points void 42 --reason 'Entered twice'
    """
    number = parse_entry_number(entry)
    moment = when(at)
    db = store(ctx)

    with db.write():
        user = directory.user_or_default(db, by)
        outcome = ledger.void(
            db, number, user_id=user["id"], reason=reason, at=moment, ref=ref
        )

    say(replay_note(outcome, ref) or f"Voided entry #{number}: {outcome.detail}.")


def parse_entry_number(text: str) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        from pointscli.errors import InvalidInput

        raise InvalidInput(
            f"{text!r} is not an entry number: give the number shown by `points statement`, e.g. 42"
        )
    return int(cleaned)


def register(app) -> None:
    app.command("issue", context_settings=NEGATIVE_OK)(issue)
    app.command("consume", context_settings=NEGATIVE_OK)(consume)
    app.command("void")(void)
