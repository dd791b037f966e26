"""Products, their prices and the quote: how points are offered for sale.

A product sells one point type, with an expiry that overrides the type's default
and a quantity rule (a minimum, or one fixed quantity). Its one-time prices are
per point, in one currency: the first covers the product's minimum, and each
further price is a volume tier from a higher minimum; the whole quantity gets the
price of the highest tier it reaches. Subscription prices charge an amount every
interval for a set number of points. Prices are never edited, only archived, so
a past sale or subscription always points at the price it used.
"""

import difflib
from dataclasses import dataclass

from pointscli import amounts, clock, directory
from pointscli.clock import Expiry, Period
from pointscli.errors import InvalidInput, NotFound, Refused
from pointscli.reports import INT, MONEY, POINTS, Column, Report

ONE_TIME, SUBSCRIPTION = "one-time", "subscription"


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    type_id: int
    expires: Expiry | None
    min_quantity: int
    fixed_quantity: int | None
    description: str | None
    archived: bool

    def quantity_rule(self) -> str:
        if self.fixed_quantity is not None:
            return f"exactly {amounts.format_points(self.fixed_quantity)}"
        return f"from {amounts.format_points(self.min_quantity)}"


@dataclass(frozen=True)
class Price:
    id: int
    product_id: int
    kind: str
    currency: str
    min_quantity: int | None = None
    unit_price: int | None = None
    every: Period | None = None
    points: int | None = None
    amount: int | None = None
    archived: bool = False

    def describe(self) -> str:
        if self.kind == ONE_TIME:
            price = amounts.format_money(self.unit_price, self.currency)
            return (
                f"{price} {self.currency} per point from "
                f"{amounts.format_points(self.min_quantity)}"
            )
        return (
            f"{amounts.format_money(self.amount, self.currency)} {self.currency} every "
            f"{self.every} for {amounts.format_points(self.points)}"
        )


@dataclass(frozen=True)
class Quote:
    product: Product
    quantity: int
    price: Price

    @property
    def unit_price(self) -> int:
        return self.price.unit_price

    @property
    def currency(self) -> str:
        return self.price.currency

    @property
    def total(self) -> int:
        return amounts.money_times_points(self.price.unit_price, self.quantity)


def _now() -> str:
    return clock.to_stored(clock.utc_now())


def _closest(text: str, names: list[str]) -> str:
    keys = [n.casefold() for n in names]
    close = difflib.get_close_matches(text.casefold(), keys, 3, 0.6)
    by_key = {n.casefold(): n for n in names}
    return f" Did you mean: {', '.join(by_key[c] for c in close)}?" if close else ""


# Products ----------------------------------------------------------------------


def _product_from_row(row) -> Product:
    expires = clock.parse_expiry(row["expires"]) if row["expires"] else None
    return Product(
        row["id"],
        row["name"],
        row["type_id"],
        expires,
        row["min_quantity"],
        row["fixed_quantity"],
        row["description"],
        bool(row["archived_at"]),
    )


def _quantity_rule(
    min_quantity: str | None, fixed_quantity: str | None
) -> tuple[int, int | None]:
    """(minimum, fixed or None) in thousandths; the default is a minimum of 1."""
    if min_quantity is not None and fixed_quantity is not None:
        raise InvalidInput("give either --min-quantity or --fixed-quantity, not both")
    if fixed_quantity is not None:
        fixed = amounts.parse_points(fixed_quantity, "fixed quantity")
        return fixed, fixed
    if min_quantity is not None:
        return amounts.parse_points(min_quantity, "minimum quantity"), None
    return amounts.SCALE, None


def _expiry_text(expires: str | None) -> str | None:
    """A product's stored expiry: a period, a date or never; None keeps the type's."""
    if expires is None or expires.strip().lower() == "default":
        return None
    return str(clock.parse_expiry(expires))


def _check_name_free(store, name: str, except_id: int | None = None) -> None:
    row = store.one(
        "SELECT id FROM products WHERE name_key = ? AND id IS NOT ?",
        (name.casefold(), except_id),
    )
    if row:
        raise Refused(
            f"a product named {name!r} already exists (#{row['id']}): choose another name"
        )


def add_product(
    store,
    name: str,
    type_text: str | None,
    expires: str | None = None,
    min_quantity: str | None = None,
    fixed_quantity: str | None = None,
    description: str | None = None,
) -> Product:
    """Define a product of a point type; names are unique in any case."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("product name cannot be empty")
    minimum, fixed = _quantity_rule(min_quantity, fixed_quantity)
    spec = _expiry_text(expires)

    with store.write():
        point_type = directory.find_type(store, type_text)
        if point_type.archived:
            raise Refused(
                f"point type {point_type.name!r} is archived: products need an active type"
            )
        _check_name_free(store, name)
        cursor = store.execute(
            "INSERT INTO products (name, name_key, type_id, expires, min_quantity,"
            " fixed_quantity, description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                name.casefold(),
                point_type.id,
                spec,
                minimum,
                fixed,
                description,
                _now(),
            ),
        )
    return get_product(store, cursor.lastrowid)


def get_product(store, product_id: int) -> Product:
    row = store.one("SELECT * FROM products WHERE id = ?", (product_id,))
    return _product_from_row(row)


def list_products(store, include_archived: bool = False) -> list[Product]:
    where = "" if include_archived else "WHERE archived_at IS NULL"
    return [
        _product_from_row(r)
        for r in store.query(f"SELECT * FROM products {where} ORDER BY name_key")
    ]


def find_product(store, text: str) -> Product:
    """A product by name in any case, or by number (3 or #3)."""
    cleaned = (text or "").strip()
    row = store.one("SELECT * FROM products WHERE name_key = ?", (cleaned.casefold(),))
    number = cleaned.lstrip("#")
    if row is None and number.isdigit():
        row = store.one("SELECT * FROM products WHERE id = ?", (int(number),))
    if row:
        return _product_from_row(row)

    names = [p.name for p in list_products(store, include_archived=True)]
    known = f" Known products: {', '.join(names)}." if names else ""
    raise NotFound(
        f"no product {text!r}.{_closest(cleaned, names)}{known} "
        "Add one with `points product add NAME --type TYPE`"
    )


def edit_product(
    store,
    text: str,
    name: str | None = None,
    expires: str | None = None,
    min_quantity: str | None = None,
    fixed_quantity: str | None = None,
    description: str | None = None,
) -> Product:
    """Change a product's name, expiry, quantity rule or description (not its type)."""
    with store.write():
        current = find_product(store, text)
        new_name = current.name if name is None else name.strip()
        if not new_name:
            raise InvalidInput("product name cannot be empty")
        _check_name_free(store, new_name, except_id=current.id)

        spec = str(current.expires) if current.expires else None
        if expires is not None:
            spec = _expiry_text(expires)
        minimum, fixed = current.min_quantity, current.fixed_quantity
        if min_quantity is not None or fixed_quantity is not None:
            minimum, fixed = _quantity_rule(min_quantity, fixed_quantity)

        store.execute(
            "UPDATE products SET name = ?, name_key = ?, expires = ?, min_quantity = ?,"
            " fixed_quantity = ?, description = ? WHERE id = ?",
            (
                new_name,
                new_name.casefold(),
                spec,
                minimum,
                fixed,
                current.description if description is None else description,
                current.id,
            ),
        )
    return get_product(store, current.id)


def archive_product(store, text: str) -> Product:
    """Stop selling a product; its past sales and running subscriptions stay."""
    with store.write():
        current = find_product(store, text)
        if current.archived:
            raise Refused(f"product {current.name!r} is already archived")
        store.execute(
            "UPDATE products SET archived_at = ? WHERE id = ?", (_now(), current.id)
        )
    return get_product(store, current.id)


def check_sellable(store, product: Product) -> None:
    """Archived products and products of archived types are not sold."""
    if product.archived:
        raise Refused(f"product {product.name!r} is archived: it is no longer sold")
    point_type = directory.get_type(store, product.type_id)
    if point_type.archived:
        raise Refused(
            f"product {product.name!r} sells the archived point type "
            f"{point_type.name!r}: no new points of it can be issued"
        )


PRODUCT_COLUMNS = [
    Column("id", "#", INT),
    Column("name", "Name"),
    Column("type", "Type"),
    Column("expires", "Expiry"),
    Column("min_quantity", "Min", POINTS),
    Column("fixed_quantity", "Fixed", POINTS),
    Column("prices", "Prices"),
    Column("description", "Description"),
    Column("archived", "Archived"),
]


def product_report(store, products: list[Product]) -> Report:
    """Products with their expiry, quantity rule and active prices in words."""
    rows = []
    for product in products:
        point_type = directory.get_type(store, product.type_id)
        default = f"type default ({point_type.expires or 'never'})"
        prices = "; ".join(p.describe() for p in list_prices(store, product)) or "no prices"
        rows.append(
            {
                "id": product.id,
                "name": product.name,
                "type": point_type.name,
                "expires": str(product.expires) if product.expires else default,
                "min_quantity": product.min_quantity,
                "fixed_quantity": product.fixed_quantity,
                "prices": prices,
                "description": product.description,
                "archived": "yes" if product.archived else "no",
            }
        )
    return Report(PRODUCT_COLUMNS, rows, title="Products")


# Prices ------------------------------------------------------------------------


def _price_from_row(row) -> Price:
    every = clock.parse_period(row["every"]) if row["every"] else None
    return Price(
        row["id"],
        row["product_id"],
        row["kind"],
        row["currency"],
        row["min_quantity"],
        row["unit_price"],
        every,
        row["points"],
        row["amount"],
        bool(row["archived_at"]),
    )


def list_prices(
    store,
    product: Product | None = None,
    include_archived: bool = False,
    kind: str | None = None,
) -> list[Price]:
    """Prices, one-time ones by minimum quantity, then subscription ones."""
    sql = "SELECT * FROM prices WHERE (:product IS NULL OR product_id = :product)"
    if not include_archived:
        sql += " AND archived_at IS NULL"
    if kind:
        sql += " AND kind = :kind"
    sql += " ORDER BY product_id, kind, min_quantity, id"
    rows = store.query(sql, {"product": product and product.id, "kind": kind})
    return [_price_from_row(r) for r in rows]


def _currency(store, currency: str | None) -> str:
    if currency:
        return amounts.normalise_currency(currency)
    return directory.default_currency(store)


def add_one_time_price(
    store,
    product_text: str,
    per_point: str,
    min_quantity: str | None = None,
    currency: str | None = None,
) -> Price:
    """A per-point price: the product's base price, or a volume tier from a higher one."""
    with store.write():
        product = find_product(store, product_text)
        existing = list_prices(store, product, kind=ONE_TIME)
        # A tier without --currency is in the product's currency, not the default one.
        code = _currency(store, currency or (existing[0].currency if existing else None))
        unit = amounts.parse_money(per_point, code, "--per-point price")
        minimum = (
            amounts.parse_points(min_quantity, "--min")
            if min_quantity is not None
            else product.min_quantity
        )
        _check_tier(product, existing, minimum, code)
        cursor = store.execute(
            "INSERT INTO prices (product_id, kind, min_quantity, unit_price, currency,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (product.id, ONE_TIME, minimum, unit, code, _now()),
        )
    return get_price(store, cursor.lastrowid)


def _check_tier(
    product: Product, existing: list[Price], minimum: int, currency: str
) -> None:
    """One currency per product; the first price at the minimum; one price per tier."""
    base = amounts.format_points(product.min_quantity)
    if existing and existing[0].currency != currency:
        raise Refused(
            f"product {product.name!r} is priced in {existing[0].currency}: "
            f"give --currency {existing[0].currency} (one currency per product)"
        )
    if not existing and minimum != product.min_quantity:
        raise InvalidInput(
            f"the first price of {product.name!r} is for its minimum "
            f"quantity {base}: leave out --min, or add the base price first"
        )
    if existing and product.fixed_quantity is not None:
        raise Refused(
            f"product {product.name!r} is sold only as exactly {base}, so it has "
            f"one price (#{existing[0].id}): archive it first to change it"
        )
    clash = [p for p in existing if p.min_quantity == minimum]
    if clash:
        number = clash[0].id
        raise Refused(
            f"product {product.name!r} already has a price from "
            f"{amounts.format_points(minimum)} (#{number}): give --min for a "
            f"volume tier, or archive #{number} first with "
            "`points price archive`"
        )

    if minimum < product.min_quantity:
        raise InvalidInput(
            f"--min {amounts.format_points(minimum)} is under the minimum "
            f"quantity {base} of {product.name!r}: give a higher --min"
        )


def add_subscription_price(
    store,
    product_text: str,
    every: str,
    points: str,
    amount: str,
    currency: str | None = None,
) -> Price:
    """A renewing price: `amount` every `every`, granting `points` each period."""
    period = clock.parse_period(every)
    thousandths = amounts.parse_points(points, "--points")
    with store.write():
        product = find_product(store, product_text)
        code = _currency(store, currency)
        minor = amounts.parse_money(amount, code, "--amount")
        cursor = store.execute(
            "INSERT INTO prices (product_id, kind, every, points, amount, currency,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (product.id, SUBSCRIPTION, str(period), thousandths, minor, code, _now()),
        )
    return get_price(store, cursor.lastrowid)


def get_price(store, price_id: int) -> Price:
    row = store.one("SELECT * FROM prices WHERE id = ?", (price_id,))
    if row is None:
        raise NotFound(f"no price #{price_id}: see `points price list`")
    return _price_from_row(row)


def archive_price(store, price_id: int) -> Price:
    """Withdraw a price; sales and subscriptions already made keep theirs."""
    with store.write():
        price = get_price(store, price_id)
        if price.archived:
            raise Refused(f"price #{price_id} is already archived")
        store.execute("UPDATE prices SET archived_at = ? WHERE id = ?", (_now(), price_id))
    return get_price(store, price_id)


PRICE_COLUMNS = [
    Column("id", "#", INT),
    Column("product", "Product"),
    Column("kind", "Kind"),
    Column("min_quantity", "From", POINTS),
    Column("unit_price", "Per point", MONEY),
    Column("every", "Every"),
    Column("points", "Points", POINTS),
    Column("amount", "Amount", MONEY),
    Column("currency", "Currency"),
    Column("archived", "Archived"),
]


def price_report(store, prices: list[Price]) -> Report:
    names = {p.id: p.name for p in list_products(store, include_archived=True)}
    rows = [
        {
            "id": p.id,
            "product": names[p.product_id],
            "kind": p.kind,
            "min_quantity": p.min_quantity,
            "unit_price": p.unit_price,
            "every": str(p.every) if p.every else None,
            "points": p.points,
            "amount": p.amount,
            "currency": p.currency,
            "archived": "yes" if p.archived else "no",
        }
        for p in prices
    ]
    return Report(PRICE_COLUMNS, rows, title="Prices")


# Quotes ------------------------------------------------------------------------


def check_quantity(product: Product, quantity: int) -> None:
    """Refuse a quantity the product's rule does not allow, naming the rule."""
    shown = amounts.format_points(quantity)
    if product.fixed_quantity is not None and quantity != product.fixed_quantity:
        fixed = amounts.format_points(product.fixed_quantity)
        raise InvalidInput(
            f"{product.name!r} is sold only as exactly {fixed}, not "
            f"{shown}: give quantity {fixed} (or leave --quantity out "
            "when selling)"
        )
    if quantity < product.min_quantity:
        minimum = amounts.format_points(product.min_quantity)
        raise InvalidInput(
            f"quantity {shown} is under the minimum of {minimum} for "
            f"{product.name!r}: give {minimum} or more"
        )


def quote(store, product: Product, quantity: int) -> Quote:
    """The price that applies to `quantity`: the highest tier whose minimum it reaches."""
    check_quantity(product, quantity)
    tiers = list_prices(store, product, kind=ONE_TIME)
    reached = [p for p in tiers if p.min_quantity <= quantity]
    if reached:
        return Quote(product, quantity, reached[-1])

    if tiers:
        lowest = amounts.format_points(tiers[0].min_quantity)
        raise Refused(
            f"{product.name!r} has no price for "
            f"{amounts.format_points(quantity)}: its lowest price starts at "
            f"{lowest}; add a base price with "
            f"`points price add '{product.name}' --per-point AMOUNT`"
        )
    hint = ""
    if list_prices(store, product, kind=SUBSCRIPTION):
        hint = f", or subscribe with `points subscribe '{product.name}' CONTACT`"
    raise Refused(
        f"{product.name!r} has no one-time price: add one with "
        f"`points price add '{product.name}' --per-point AMOUNT`{hint}"
    )


QUOTE_COLUMNS = [
    Column("product", "Product"),
    Column("quantity", "Quantity", POINTS),
    Column("unit_price", "Per point", MONEY),
    Column("total", "Total", MONEY),
    Column("currency", "Currency"),
    Column("price_from", "Price from", POINTS),
]


def quote_report(offer: Quote) -> Report:
    row = {
        "product": offer.product.name,
        "quantity": offer.quantity,
        "unit_price": offer.unit_price,
        "total": offer.total,
        "currency": offer.currency,
        "price_from": offer.price.min_quantity,
    }
    return Report(QUOTE_COLUMNS, [row], title=f"Quote for {offer.product.name}")
