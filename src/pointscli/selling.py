"""Selling: recording purchases, the sales report, and outstanding points valued.

A sale is one transaction: the purchase row (what was bought, at which per-point
price, for how much, recorded by whom) and the grant it paid for, which keeps
the per-point price so the unused part can be valued later. Products, prices
and quotes live in `products`; subscriptions and triggers in their own modules.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pointscli import amounts, clock, directory, ledger, reports
from pointscli.errors import InvalidInput
from pointscli.products import Product, check_sellable, quote
from pointscli.reports import DATE, INSTANT, INT, MONEY, POINTS, Column, Report


@dataclass(frozen=True)
class Sale:
    """A recorded purchase (a `purchases` row), and whether a --ref replay wrote nothing."""

    purchase: dict
    replayed: bool = False


def sell(
    store,
    product: Product,
    contact_id: int,
    quantity: int | None,
    *,
    user_id: int,
    at: datetime | None = None,
    ref: str | None = None,
    note: str | None = None,
) -> Sale:
    """Record a purchase and issue its grant with the product's expiry, in one go."""
    if quantity is None:
        if product.fixed_quantity is None:
            raise _quantity_needed(product)
        quantity = product.fixed_quantity
    meaning = {
        "product": product.id,
        "contact": contact_id,
        "quantity": quantity,
        "user": user_id,
        "at": at and clock.to_stored(at),
        "note": note,
    }

    def write() -> list[int]:
        check_sellable(store, product)
        offer = quote(store, product, quantity)
        moment = ledger.resolve_at(at)
        point_type = directory.get_type(store, product.type_id)
        grant_id = ledger.insert_grant(
            store,
            contact_id,
            point_type,
            quantity,
            user_id=user_id,
            at=moment,
            expires=product.expires,
            note=note or f"{product.name} purchase",
            source="purchase",
            ref=ref,
            unit_price=offer.unit_price,
            currency=offer.currency,
        )

        store.execute(
            "INSERT INTO purchases (product_id, contact_id, quantity, unit_price, total,"
            " currency, user_id, at, ref, note, grant_id, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                product.id,
                contact_id,
                quantity,
                offer.unit_price,
                offer.total,
                offer.currency,
                user_id,
                clock.to_stored(moment),
                ref,
                note,
                grant_id,
                clock.to_stored(clock.utc_now()),
            ),
        )
        return [grant_id]

    outcome = ledger.idempotent(store, ref, "sell", meaning, write)
    return Sale(purchase_for_grant(store, outcome.entries[0]), outcome.replayed)


def _quantity_needed(product: Product) -> InvalidInput:
    return InvalidInput(
        f"say how many points of {product.name!r} were sold with "
        f"--quantity (its rule: {product.quantity_rule()})"
    )


def purchase_for_grant(store, grant_id: int) -> dict:
    """The purchase that made a grant, with its grant's expiry."""
    row = store.one(
        "SELECT p.*, e.expires_on FROM purchases p JOIN entries e ON e.id = p.grant_id"
        " WHERE p.grant_id = ?",
        (grant_id,),
    )
    return dict(row)


PURCHASE_COLUMNS = [
    Column("id", "Purchase", INT),
    Column("at", "Date", INSTANT),
    Column("product", "Product"),
    Column("contact_name", "Contact"),
    Column("contact_email", "Email"),
    Column("quantity", "Points", POINTS),
    Column("unit_price", "Per point", MONEY),
    Column("total", "Total", MONEY),
    Column("currency", "Currency"),
    Column("grant_id", "Entry", INT),
    Column("expires_on", "Valid until", DATE, "never"),
    Column("ref", "Ref"),
]


def purchase_report(store, purchase: dict) -> Report:
    """One purchase with its product and buyer named."""
    names = store.one(
        "SELECT pr.name AS product, c.name AS contact_name, c.email AS contact_email"
        " FROM products pr, contacts c WHERE pr.id = ? AND c.id = ?",
        (purchase["product_id"], purchase["contact_id"]),
    )
    return Report(PURCHASE_COLUMNS, [{**purchase, **dict(names)}], title="Purchase")


# Sales -------------------------------------------------------------------------

SALES_COLUMNS = [
    Column("date", "Date", INSTANT),
    Column("kind", "Kind"),
    Column("product", "Product"),
    Column("contact_name", "Contact"),
    Column("contact_email", "Email"),
    Column("quantity", "Points", POINTS),
    Column("unit_price", "Per point", MONEY),
    Column("total", "Total", MONEY),
    Column("currency", "Currency"),
    Column("entry", "Entry", INT),
    Column("voided", "Voided"),
]

_SALES = """
SELECT p.at AS date, 'purchase' AS kind, pr.name AS product, c.name AS contact_name,
       c.email AS contact_email, p.quantity, p.unit_price, p.total, p.currency,
       p.grant_id AS entry, e.voided_at
FROM purchases p JOIN products pr ON pr.id = p.product_id
  JOIN contacts c ON c.id = p.contact_id JOIN entries e ON e.id = p.grant_id
WHERE p.at >= :start AND p.at < :end
UNION ALL
SELECT sp.at, 'subscription', pr.name, c.name, c.email, e.amount, e.unit_price,
       sp.amount, sp.currency, sp.grant_id, e.voided_at
FROM subscription_periods sp JOIN subscriptions s ON s.id = sp.subscription_id
  JOIN products pr ON pr.id = s.product_id JOIN contacts c ON c.id = s.contact_id
  JOIN entries e ON e.id = sp.grant_id
WHERE sp.at >= :start AND sp.at < :end
ORDER BY date, entry
"""


def day_start(day: date) -> datetime:
    """The first stored second of a local calendar day."""
    return clock.end_of_day(day - timedelta(days=1)) + timedelta(seconds=1)


def _range(first: date | None, last: date | None) -> dict:
    start = clock.to_stored(day_start(first)) if first else ""
    end = clock.to_stored(day_start(last + timedelta(days=1))) if last else "9999"
    return {"start": start, "end": end}


def _period_title(first: date | None, last: date | None) -> str:
    if first and last:
        return f" from {first.isoformat()} to {last.isoformat()}"
    if first:
        return f" from {first.isoformat()}"
    return f" to {last.isoformat()}" if last else ""


def sales(store, first: date | None = None, last: date | None = None) -> Report:
    """Purchases and subscription charges dated within the local days first..last."""
    rows = []
    for row in store.query(_SALES, _range(first, last)):
        record = dict(row)
        record["voided"] = "yes" if record.pop("voided_at") else "no"
        rows.append(record)
    return Report(SALES_COLUMNS, rows, title="Sales" + _period_title(first, last))


TOTAL_COLUMNS = [
    Column("currency", "Currency"),
    Column("purchases", "Purchases", INT),
    Column("purchase_total", "Purchase total", MONEY),
    Column("charges", "Subscription charges", INT),
    Column("charge_total", "Charge total", MONEY),
    Column("total", "Total", MONEY),
]


def sales_totals(store, first: date | None = None, last: date | None = None) -> Report:
    """Per currency: how many purchases and charges, and their sums (voids left out)."""
    totals: dict[str, dict] = {}
    for row in sales(store, first, last).rows:
        if row["voided"] == "yes":
            continue
        line = totals.setdefault(
            row["currency"],
            {
                "currency": row["currency"],
                "purchases": 0,
                "purchase_total": 0,
                "charges": 0,
                "charge_total": 0,
                "total": 0,
            },
        )
        prefix = "purchase" if row["kind"] == "purchase" else "charge"
        line[f"{prefix}s"] += 1
        line[f"{prefix}_total"] += row["total"]
        line["total"] += row["total"]
    rows = [totals[code] for code in sorted(totals)]
    return Report(TOTAL_COLUMNS, rows, title="Sales totals" + _period_title(first, last))


# Outstanding points valued -----------------------------------------------------

VALUED_COLUMNS = [
    Column("contact_id", "#", INT),
    Column("contact_name", "Contact"),
    Column("contact_email", "Email"),
    Column("type", "Type"),
    Column("outstanding", "Outstanding", POINTS),
    Column("free", "Of which free", POINTS),
    Column("value", "Value", MONEY),
    Column("currency", "Currency"),
]
VALUED_SUMMARY_COLUMNS = [
    Column("type", "Type"),
    Column("outstanding", "Outstanding", POINTS),
    Column("free", "Of which free", POINTS),
    Column("value", "Value", MONEY),
    Column("currency", "Currency"),
    Column("contacts", "Contacts", INT),
]


def valued_outstanding(
    store, as_of: datetime | None = None, type_id: int | None = None, summary: bool = False
) -> Report:
    """Outstanding points valued at the per-point price each grant was paid for.

    Rows are per contact, type and currency (per type and currency with `summary`).
    Free grants (no price, or price 0) count as outstanding with value 0, in the
    default currency unless they name one, so the points add up to `outstanding`.
    """
    moment = reports.as_of_text(as_of)
    default = directory.default_currency(store)
    holders: dict[tuple, dict] = {}
    with store.snapshot():
        names = {r["id"]: r for r in store.query("SELECT id, name, email FROM contacts")}
        types = {t.id: t.name for t in directory.list_types(store, include_archived=True)}
        for grant in reports.grant_states(store, moment, None, type_id):
            left = grant["amount"] - grant["used"]
            if grant["state"] != "open" or left <= 0:
                continue
            currency = grant["currency"] or default
            key = (grant["contact_id"], grant["type_id"], currency)
            row = holders.setdefault(
                key,
                _valued_row(names[grant["contact_id"]], types[grant["type_id"]], currency),
            )
            row["outstanding"] += left
            row["value"] += amounts.money_times_points(grant["unit_price"] or 0, left)
            row["free"] += 0 if grant["unit_price"] else left

    title = f"Outstanding points valued as of {clock.local_text(moment)}"
    rows = sorted(
        holders.values(),
        key=lambda r: (
            r["contact_name"].casefold(),
            r["contact_id"],
            r["type"],
            r["currency"],
        ),
    )
    if summary:
        return Report(
            VALUED_SUMMARY_COLUMNS, _by_type(rows, types), title=title + ", by type"
        )
    return Report(VALUED_COLUMNS, rows, title=title)


def _valued_row(contact, type_name: str, currency: str) -> dict:
    return {
        "contact_id": contact["id"],
        "contact_name": contact["name"],
        "contact_email": contact["email"],
        "type": type_name,
        "outstanding": 0,
        "free": 0,
        "value": 0,
        "currency": currency,
    }


def _by_type(rows: list[dict], types: dict[int, str]) -> list[dict]:
    """Per-contact rows added up per type and currency, in type order."""
    order = {name: type_id for type_id, name in types.items()}
    totals: dict[tuple, dict] = {}
    for row in rows:
        key = (order[row["type"]], row["currency"])
        line = totals.setdefault(
            key,
            {
                "type": row["type"],
                "outstanding": 0,
                "free": 0,
                "value": 0,
                "currency": row["currency"],
                "contacts": 0,
            },
        )

        for column in ("outstanding", "free", "value"):
            line[column] += row[column]
        line["contacts"] += 1
    return [totals[key] for key in sorted(totals)]
