"""Selling commands: products, prices, quotes, sales, subscriptions and triggers.

`product`, `price`, `subscription` and `trigger` are groups; `quote`, `sell`,
`subscribe`, `renew`, `fire` and `sales` are top-level verbs. Each command
parses, looks up, calls the core (products, selling, subscriptions, triggers)
and renders; a write runs inside one `store.write()`, look-ups included.
"""

from enum import Enum
from typing import Annotated

import typer

from pointscli import amounts, clock, directory, products, selling, subscriptions, triggers
from pointscli.cli.common import (
    AtOption,
    ByOption,
    Format,
    FormatOption,
    NoteOption,
    RefOption,
    TypeOption,
    contact_label,
    emit,
    replayed,
    say,
    store,
    when,
)
from pointscli.errors import InvalidInput

product_app = typer.Typer(
    help="Products: how points are sold (type, expiry, quantity).", no_args_is_help=True
)
price_app = typer.Typer(
    help="Prices: per-point volume tiers and subscription prices.", no_args_is_help=True
)
subscription_app = typer.Typer(
    help="Subscriptions: list and cancel renewing grants.", no_args_is_help=True
)
trigger_app = typer.Typer(
    help="Triggers: free points that scripts issue by firing events.", no_args_is_help=True
)

ProductArg = Annotated[str, typer.Argument(help="Product name (any case) or number.")]
ContactArg = Annotated[str, typer.Argument(help="Contact number, email or name.")]
ExpiresOption = Annotated[
    str,
    typer.Option(
        "--expires",
        metavar="PERIOD|DATE|never",
        help="Override the type's default expiry: 3 months, 2025-12-31, never.",
    ),
]
MinQuantityOption = Annotated[
    str,
    typer.Option("--min-quantity", metavar="N", help="Smallest quantity sold (default 1)."),
]
FixedQuantityOption = Annotated[
    str,
    typer.Option(
        "--fixed-quantity", metavar="N", help="Sold only as exactly this quantity."
    ),
]
RecordFormat = Annotated[
    Format,
    typer.Option(
        "--format", "-f", help="Also print the record on stdout: table, csv or json."
    ),
]
AllOption = Annotated[bool, typer.Option("--all", help="Include archived ones.")]
# "-1" must reach the quantity parser (and its clear refusal), not be taken for an option.
NEGATIVE_OK = {"ignore_unknown_options": True}


def emit_record(report, fmt) -> None:
    """One record: a JSON object rather than a list; tables and CSV as usual."""
    from pointscli import render

    if (fmt.value if isinstance(fmt, Enum) else fmt) != "json":
        emit(report, fmt)
        return
    row = report.rows[0]
    print(
        render.dumps(
            {column.key: render.json_value(column, row) for column in report.columns}
        )
    )


def parse_number(text: str, what: str) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        raise InvalidInput(
            f"{text!r} is not a {what} number: see the # column of `points {what} list`"
        )
    return int(cleaned)


def day_of(text: str | None):
    """The local day a WHEN falls on (today and yesterday included), or None."""
    return clock.local_date(clock.to_stored(clock.parse_when(text))) if text else None


def money(minor: int, currency: str) -> str:
    return f"{amounts.format_money(minor, currency)} {currency}"


# product -------------------------------------------------------------------------


@product_app.command("add")
def product_add(
    ctx: typer.Context,
    name: str,
    type_: TypeOption = None,
    expires: ExpiresOption = None,
    min_quantity: MinQuantityOption = None,
    fixed_quantity: FixedQuantityOption = None,
    description: Annotated[str, typer.Option(help="What the product is.")] = None,
) -> None:
    """Define a product.

    Example: points product add 'Ten pack' --type Session --expires '3 months'
    """
    made = products.add_product(
        store(ctx), name, type_, expires, min_quantity, fixed_quantity, description
    )
    say(
        f"Added product #{made.id} {made.name}, sold {made.quantity_rule()}. "
        f"Price it with `points price add '{made.name}' --per-point AMOUNT`."
    )


@product_app.command("list")
def product_list(
    ctx: typer.Context, all_: AllOption = False, fmt: FormatOption = Format.table
) -> None:
    """List products with their active prices.

    Example: points product list --format json
    """
    db = store(ctx)
    listed = products.list_products(db, include_archived=all_)
    emit(products.product_report(db, listed), fmt)


@product_app.command("show")
def product_show(
    ctx: typer.Context, product: ProductArg, fmt: FormatOption = Format.table
) -> None:
    """Show one product; a table also lists its prices.

    Example: points product show 'Ten pack'
    """
    db = store(ctx)
    chosen = products.find_product(db, product)
    emit_record(products.product_report(db, [chosen]), fmt)
    if fmt == Format.table:
        emit(products.price_report(db, products.list_prices(db, chosen)), fmt)


@product_app.command("edit")
def product_edit(
    ctx: typer.Context,
    product: ProductArg,
    new_name: Annotated[str, typer.Option("--name", help="New name.")] = None,
    expires: Annotated[
        str,
        typer.Option(
            "--expires",
            metavar="PERIOD|DATE|never|default",
            help="Expiry of future grants; `default` uses the type's.",
        ),
    ] = None,
    min_quantity: MinQuantityOption = None,
    fixed_quantity: FixedQuantityOption = None,
    description: Annotated[str, typer.Option(help="New description.")] = None,
) -> None:
    """Change a product for future sales (not its type).

    Example: points product edit 'Ten pack' --expires '6 months'
    """
    changed = products.edit_product(
        store(ctx), product, new_name, expires, min_quantity, fixed_quantity, description
    )
    say(f"Updated product #{changed.id} {changed.name}; past sales keep their grants.")


@product_app.command("archive")
def product_archive(ctx: typer.Context, product: ProductArg) -> None:
    """Stop selling a product.

    Example: points product archive 'Ten pack'
    """
    archived = products.archive_product(store(ctx), product)
    say(
        f"Archived product {archived.name}: no new sales or subscriptions; "
        "running subscriptions still renew."
    )


# price ---------------------------------------------------------------------------


@price_app.command("add")
def price_add(
    ctx: typer.Context,
    product: ProductArg,
    per_point: Annotated[
        str,
        typer.Option(
            "--per-point", metavar="AMOUNT", help="One-time price per point, e.g. 120."
        ),
    ] = None,
    min_: Annotated[
        str,
        typer.Option(
            "--min", metavar="N", help="Volume tier: this price from N points up."
        ),
    ] = None,
    currency: Annotated[
        str,
        typer.Option(
            metavar="CODE", help="ISO 4217 code (default: the product's, else the setting)."
        ),
    ] = None,
    subscription: Annotated[
        bool,
        typer.Option(
            "--subscription", help="A renewing price: give --every, --points, --amount."
        ),
    ] = False,
    every: Annotated[str, typer.Option(metavar="PERIOD", help="Renewal interval.")] = None,
    points: Annotated[str, typer.Option(metavar="N", help="Points per renewal.")] = None,
    amount: Annotated[
        str, typer.Option(metavar="AMOUNT", help="Charge per renewal.")
    ] = None,
) -> None:
    """Add a one-time or subscription price to a product.

    Example: points price add 'Ten pack' --per-point 100 --min 5
    """
    db = store(ctx)
    if subscription:
        if per_point is not None or min_ is not None or None in (every, points, amount):
            raise InvalidInput(
                "a subscription price takes --every PERIOD --points N "
                "--amount AMOUNT (and no --per-point or --min)"
            )
        made = products.add_subscription_price(db, product, every, points, amount, currency)
    else:
        if per_point is None or any(v is not None for v in (every, points, amount)):
            raise InvalidInput(
                "give --per-point AMOUNT for a one-time price, or add "
                "--subscription with --every, --points and --amount"
            )
        made = products.add_one_time_price(db, product, per_point, min_, currency)
    say(f"Added price #{made.id}: {made.describe()}.")


@price_app.command("list")
def price_list(
    ctx: typer.Context,
    product: Annotated[str, typer.Argument(help="Only this product's prices.")] = None,
    all_: AllOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """List prices, of one product or of all.

    Example: points price list 'Ten pack'
    """
    db = store(ctx)
    chosen = products.find_product(db, product) if product else None
    prices = products.list_prices(db, chosen, include_archived=all_)
    emit(products.price_report(db, prices), fmt)


@price_app.command("archive")
def price_archive(
    ctx: typer.Context,
    price: Annotated[str, typer.Argument(help="Price number, from `points price list`.")],
) -> None:
    """Withdraw a price; past sales and subscriptions keep theirs.

    Example: points price archive 3
    """
    archived = products.archive_price(store(ctx), parse_number(price, "price"))
    say(f"Archived price #{archived.id} ({archived.describe()}).")


# quote, sell and sales -----------------------------------------------------------


def quote(
    ctx: typer.Context,
    product: ProductArg,
    quantity: Annotated[str, typer.Argument(help="Points wanted, e.g. 12.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Which price applies to a quantity, per point and in total.

    Example: points quote 'Ten pack' 12 --format json
    """
    db = store(ctx)
    offer = products.quote(
        db, products.find_product(db, product), amounts.parse_points(quantity, "quantity")
    )
    emit_record(products.quote_report(offer), fmt)


def sell(
    ctx: typer.Context,
    product: ProductArg,
    contact: ContactArg,
    quantity: Annotated[
        str,
        typer.Option(
            "--quantity", "-q", metavar="N", help="Points sold (not for a fixed quantity)."
        ),
    ] = None,
    at: AtOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    fmt: RecordFormat = None,
) -> None:
    """Record a purchase and issue its points with the product's expiry.

    Example: points sell 'Ten pack' ann@example.com --quantity 10 --ref order-1
    """
    thousandths = None if quantity is None else amounts.parse_points(quantity, "quantity")
    moment = when(at)
    db = store(ctx)

    with db.write():
        chosen = products.find_product(db, product)
        buyer = directory.find_contact(db, contact)
        user = directory.user_or_default(db, by)
        sale = selling.sell(
            db,
            chosen,
            buyer["id"],
            thousandths,
            user_id=user["id"],
            at=moment,
            ref=ref,
            note=note,
        )

    p = sale.purchase
    label = directory.get_type(db, chosen.type_id).label(p["quantity"])
    until = f"valid until {p['expires_on']}" if p["expires_on"] else "never expires"
    say(
        replayed(ref, f"purchase #{p['id']}, entry #{p['grant_id']}")
        if sale.replayed
        else f"Sold {amounts.format_points(p['quantity'])} {label} ({chosen.name}) to "
        f"{contact_label(buyer)} at {money(p['unit_price'], p['currency'])} each: "
        f"{money(p['total'], p['currency'])} (purchase #{p['id']}, entry "
        f"#{p['grant_id']}, {until})."
    )
    if fmt is not None:
        emit_record(selling.purchase_report(db, p), fmt)


def sales(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", metavar="WHEN", help="First day.")] = None,
    to: Annotated[str, typer.Option("--to", metavar="WHEN", help="Last day.")] = None,
    totals: Annotated[
        bool, typer.Option("--totals", help="Only the totals per currency.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Purchases and subscription charges; a table ends with totals per currency.

    Example: points sales --from 2025-01-01 --to 2025-03-31
    """
    first, last = day_of(from_), day_of(to)
    if first and last and last < first:
        raise InvalidInput(f"--to {last} is before --from {first}: swap them")
    db = store(ctx)
    if not totals:
        emit(selling.sales(db, first, last), fmt)
    if totals or fmt == Format.table:
        emit(selling.sales_totals(db, first, last), fmt)


# subscriptions -------------------------------------------------------------------


def subscribe(
    ctx: typer.Context,
    product: ProductArg,
    contact: ContactArg,
    price: Annotated[
        str,
        typer.Option(
            "--price", metavar="ID", help="Which subscription price, if there are several."
        ),
    ] = None,
    at: AtOption = None,
    ref: RefOption = None,
    by: ByOption = None,
    fmt: RecordFormat = None,
) -> None:
    """Start a subscription; its first period is issued at once.

    Example: points subscribe Monthly ann@example.com --ref plan-ann
    """
    price_id = parse_number(price, "price") if price else None
    moment = when(at)
    db = store(ctx)

    with db.write():
        chosen = products.find_product(db, product)
        buyer = directory.find_contact(db, contact)
        user = directory.user_or_default(db, by)
        made = subscriptions.subscribe(
            db,
            chosen,
            buyer["id"],
            user_id=user["id"],
            price_id=price_id,
            at=moment,
            ref=ref,
        )

    s = made.subscription
    say(
        replayed(ref, f"subscription #{s['id']}")
        if made.replayed
        else f"Subscribed {contact_label(buyer)} to {chosen.name} (subscription #{s['id']}): "
        f"{amounts.format_points(s['points'])} every {s['every']} for "
        f"{money(s['amount'], s['currency'])}; period 0 issued. "
        "Run `points renew` daily to issue the next periods."
    )
    if fmt is not None:
        emit_record(subscriptions.subscription_report(db, only=s["id"]), fmt)


def renew(
    ctx: typer.Context,
    until: Annotated[
        str,
        typer.Option(
            "--until", metavar="WHEN", help="Issue periods begun by then (default: now)."
        ),
    ] = None,
    by: ByOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Issue every subscription period that has begun, each exactly once.

    Example: points renew --until 2025-04-30
    """
    moment = when(until)
    db = store(ctx)
    with db.write():
        user = directory.user_or_default(db, by)
        issued = subscriptions.renew(db, user_id=user["id"], until=moment)
    say(f"Issued {len(issued)} renewal{'' if len(issued) == 1 else 's'}.")
    if issued or fmt != Format.table:
        emit(subscriptions.renewal_report(issued), fmt)


@subscription_app.command("list")
def subscription_list(
    ctx: typer.Context,
    active: Annotated[
        bool, typer.Option("--active", help="Leave out cancelled ones.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """List subscriptions with their periods issued and next renewal.

    Example: points subscription list --active
    """
    emit(subscriptions.subscription_report(store(ctx), include_cancelled=not active), fmt)


@subscription_app.command("cancel")
def subscription_cancel(
    ctx: typer.Context,
    subscription: Annotated[str, typer.Argument(help="Subscription number.")],
    at: AtOption = None,
) -> None:
    """End a subscription: no period starting after it is issued.

    Example: points subscription cancel 3
    """
    number = parse_number(subscription, "subscription")
    ended = subscriptions.cancel(store(ctx), number, when(at))
    say(
        f"Cancelled subscription #{ended['id']} ({ended['product']} for "
        f"{ended['contact_name']}) on {clock.local_text(ended['cancelled_at'])}; "
        "points already issued stay usable."
    )


# triggers ------------------------------------------------------------------------


@trigger_app.command("add")
def trigger_add(
    ctx: typer.Context,
    name: str,
    on: Annotated[str, typer.Option("--on", metavar="EVENT", help="Event it listens to.")],
    amount: Annotated[str, typer.Option(metavar="N", help="Points it issues.")],
    type_: TypeOption = None,
    expires: ExpiresOption = None,
    once: Annotated[
        bool, typer.Option("--once-per-contact", help="Issue to each contact at most once.")
    ] = False,
) -> None:
    """Add a trigger that issues free points when its event is fired.

    Example: points trigger add 'Referral bonus' --on referral --type Session --amount 1
    """
    made = triggers.add_trigger(store(ctx), name, on, type_, amount, expires, once)
    say(
        f"Added trigger #{made['id']} {made['name']} on {made['event']}: "
        f"{amounts.format_points(made['amount'])} each time"
        f"{', once per contact' if once else ''}."
    )


@trigger_app.command("list")
def trigger_list(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List triggers by event.

    Example: points trigger list
    """
    emit(triggers.trigger_report(store(ctx)), fmt)


@trigger_app.command("disable")
def trigger_disable(ctx: typer.Context, name: str) -> None:
    """Stop a trigger from issuing.

    Example: points trigger disable 'Referral bonus'
    """
    changed = triggers.set_enabled(store(ctx), name, enabled=False)
    say(f"Disabled trigger {changed['name']}.")


@trigger_app.command("enable")
def trigger_enable(ctx: typer.Context, name: str) -> None:
    """Let a disabled trigger issue again.

    Example: points trigger enable 'Referral bonus'
    """
    changed = triggers.set_enabled(store(ctx), name, enabled=True)
    say(f"Enabled trigger {changed['name']}.")


def fire(
    ctx: typer.Context,
    event: Annotated[str, typer.Argument(help="The event, e.g. referral.")],
    contact: ContactArg,
    at: AtOption = None,
    ref: RefOption = None,
    note: NoteOption = None,
    by: ByOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Run every active trigger on an event for a contact; print what it issued.

    Example: points fire referral ann@example.com --ref referral-42
    """
    moment = when(at)
    db = store(ctx)
    with db.write():
        holder = directory.find_contact(db, contact)
        user = directory.user_or_default(db, by)
        fired = triggers.fire(
            db, event, holder["id"], user_id=user["id"], at=moment, ref=ref, note=note
        )

    issued = [r for r in fired.rows if r["entry"] is not None]
    entries = ", ".join(f"entry #{r['entry']}" for r in issued) or "no entries"
    say(
        replayed(ref, entries)
        if fired.replayed
        else f"Fired {event} for {contact_label(holder)}: {len(issued)} of {len(fired.rows)} "
        f"trigger{'' if len(fired.rows) == 1 else 's'} issued points."
    )
    emit(triggers.fire_report(fired, event), fmt)


def register(app) -> None:
    app.add_typer(product_app, name="product")
    app.add_typer(price_app, name="price")
    app.command("quote", context_settings=NEGATIVE_OK)(quote)
    app.command("sell")(sell)
    app.command("sales")(sales)
    app.command("subscribe")(subscribe)
    app.command("renew")(renew)
    app.add_typer(subscription_app, name="subscription")
    app.add_typer(trigger_app, name="trigger")
    app.command("fire")(fire)
