"""Subscriptions: a contact pays an amount every interval and gets points each period.

Period n starts at start + n x interval, computed from the start date itself
(never by adding to the previous period), at the same local clock time as the
subscription began: a monthly subscription started on 31 January at 10:00
renews on 28 February, 31 March and 30 April at 10:00. Each period is issued
once: `subscription_periods` has one row per (subscription, period number)
under a unique index, and `renew` runs in one immediate transaction, so a
re-run or two runs at once cannot issue a period twice. Each period's row is
also its charge (amount and currency), which the sales report lists.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

from pointscli import amounts, clock, directory, ledger
from pointscli.errors import InvalidInput, NotFound, Refused
from pointscli.products import SUBSCRIPTION, Price, Product, check_sellable, get_price
from pointscli.products import get_product, list_prices
from pointscli.reports import DATE, INSTANT, INT, MONEY, POINTS, Column, Report


@dataclass(frozen=True)
class Subscribed:
    """A subscription row, and whether a --ref replay wrote nothing."""

    subscription: dict
    replayed: bool = False


def period_start(started_at: str, every: clock.Period, number: int) -> datetime:
    """When period `number` begins: start date + number x interval, same clock time."""
    from dateutil import tz

    start = clock.from_stored(started_at).astimezone(clock.local_zone())
    day = every.after(start.date(), number)
    local = datetime.combine(day, start.time(), tzinfo=clock.local_zone())
    # A clock time that a DST change skips on that day moves forward past the gap.
    return tz.resolve_imaginary(local).astimezone(timezone.utc)


def _choose_price(store, product: Product, price_id: int | None) -> Price:
    offered = list_prices(store, product, kind=SUBSCRIPTION)
    if price_id is not None:
        chosen = [p for p in offered if p.id == price_id]
        if not chosen:
            listed = ", ".join(f"#{p.id}" for p in offered) or "none"
            raise NotFound(
                f"price #{price_id} is not an active subscription price of "
                f"{product.name!r}: its subscription prices are {listed}"
            )
        return chosen[0]
    if not offered:
        raise Refused(
            f"{product.name!r} has no subscription price: add one with "
            f"`points price add '{product.name}' --subscription "
            "--every '1 month' --points N --amount AMOUNT`"
        )
    if len(offered) > 1:
        listed = "; ".join(f"#{p.id} {p.describe()}" for p in offered)
        raise InvalidInput(
            f"{product.name!r} has several subscription prices ({listed}): "
            "choose one with --price ID"
        )
    return offered[0]


def subscribe(
    store,
    product: Product,
    contact_id: int,
    *,
    user_id: int,
    price_id: int | None = None,
    at: datetime | None = None,
    ref: str | None = None,
) -> Subscribed:
    """Start a subscription and issue its first period (period 0) at once."""
    meaning = {
        "product": product.id,
        "contact": contact_id,
        "price": price_id,
        "user": user_id,
        "at": at and clock.to_stored(at),
    }

    def write() -> list[int]:
        check_sellable(store, product)
        price = _choose_price(store, product, price_id)
        moment = clock.to_stored(ledger.resolve_at(at))
        cursor = store.execute(
            "INSERT INTO subscriptions (product_id, price_id, contact_id, started_at,"
            " user_id, ref, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (product.id, price.id, contact_id, moment, user_id, ref, _now()),
        )
        subscription = get_subscription(store, cursor.lastrowid)
        return [_issue_period(store, subscription, 0, user_id)["grant_id"]]

    outcome = ledger.idempotent(store, ref, "subscribe", meaning, write)
    row = store.one(
        "SELECT subscription_id FROM subscription_periods WHERE grant_id = ?",
        (outcome.entries[0],),
    )
    return Subscribed(get_subscription(store, row["subscription_id"]), outcome.replayed)


def _now() -> str:
    return clock.to_stored(clock.utc_now())


def get_subscription(store, subscription_id: int) -> dict:
    row = store.one(
        "SELECT s.*, pr.every, pr.points, pr.amount, pr.currency, p.name AS product,"
        " c.name AS contact_name, c.email AS contact_email"
        " FROM subscriptions s JOIN prices pr ON pr.id = s.price_id"
        " JOIN products p ON p.id = s.product_id JOIN contacts c ON c.id = s.contact_id"
        " WHERE s.id = ?",
        (subscription_id,),
    )
    if row is None:
        raise NotFound(
            f"no subscription #{subscription_id}: see `points subscription list`"
        )
    return dict(row)


def _issue_period(store, subscription: dict, number: int, user_id: int) -> dict:
    """Grant one period's points and record its charge (callers hold the transaction)."""
    product = get_product(store, subscription["product_id"])
    point_type = directory.get_type(store, product.type_id)
    if point_type.archived:
        raise Refused(
            f"subscription #{subscription['id']} grants the archived point type "
            f"{point_type.name!r}: cancel it with `points subscription cancel "
            f"{subscription['id']}`"
        )
    price = get_price(store, subscription["price_id"])
    starts = period_start(subscription["started_at"], price.every, number)

    grant_id = ledger.insert_grant(
        store,
        subscription["contact_id"],
        point_type,
        price.points,
        user_id=user_id,
        at=starts,
        expires=product.expires,
        source="subscription",
        note=f"{product.name} subscription #{subscription['id']}, period {number}",
        unit_price=amounts.money_per_point(price.amount, price.points),
        currency=price.currency,
    )
    store.execute(
        "INSERT INTO subscription_periods (subscription_id, period_number, at, amount,"
        " currency, grant_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            subscription["id"],
            number,
            clock.to_stored(starts),
            price.amount,
            price.currency,
            grant_id,
            _now(),
        ),
    )
    return {
        "subscription": subscription["id"],
        "period": number,
        "date": clock.to_stored(starts),
        "contact_name": subscription["contact_name"],
        "product": product.name,
        "points": price.points,
        "grant_id": grant_id,
        "amount": price.amount,
        "currency": price.currency,
    }


# Renewals ----------------------------------------------------------------------


def due_periods(subscription: dict, issued: set[int], until: str) -> list[int]:
    """Period numbers begun by `until`, before any cancellation, not issued yet."""
    every = clock.parse_period(subscription["every"])
    cancelled = subscription["cancelled_at"]
    due, number = [], 1
    while True:
        starts = clock.to_stored(period_start(subscription["started_at"], every, number))
        if starts > until or (cancelled and starts >= cancelled):
            return due
        if number not in issued:
            due.append(number)
        number += 1


def renew(store, *, user_id: int, until: datetime | None = None) -> list[dict]:
    """Issue every period that has begun by `until` (default now), each exactly once."""
    now = clock.utc_now()
    moment = until or now
    if moment > now:
        raise InvalidInput(
            f"--until {clock.local_text(clock.to_stored(moment))} is in the "
            "future: periods are issued once they have begun; "
            "leave --until out"
        )
    limit = clock.to_stored(moment)
    issued: list[dict] = []

    with store.write():
        started = store.query(
            "SELECT id FROM subscriptions WHERE started_at <= ? ORDER BY id", (limit,)
        )
        for row in started:
            subscription = get_subscription(store, row["id"])
            done = {
                r["period_number"]
                for r in store.query(
                    "SELECT period_number FROM subscription_periods WHERE subscription_id = ?",
                    (row["id"],),
                )
            }
            for number in due_periods(subscription, done, limit):
                issued.append(_issue_period(store, subscription, number, user_id))
    return issued


RENEWAL_COLUMNS = [
    Column("subscription", "Subscription", INT),
    Column("period", "Period", INT),
    Column("date", "Date", INSTANT),
    Column("contact_name", "Contact"),
    Column("product", "Product"),
    Column("points", "Points", POINTS),
    Column("grant_id", "Entry", INT),
    Column("amount", "Charge", MONEY),
    Column("currency", "Currency"),
]


def renewal_report(issued: list[dict]) -> Report:
    return Report(RENEWAL_COLUMNS, issued, title="Renewals issued")


# Listing and cancelling ----------------------------------------------------------


def cancel(store, subscription_id: int, at: datetime | None = None) -> dict:
    """End a subscription: no period starting at or after the cancellation is issued."""
    with store.write():
        subscription = get_subscription(store, subscription_id)
        if subscription["cancelled_at"]:
            raise Refused(
                f"subscription #{subscription_id} was already cancelled on "
                f"{clock.local_text(subscription['cancelled_at'])}"
            )
        moment = clock.to_stored(ledger.resolve_at(at))
        if moment < subscription["started_at"]:
            raise InvalidInput(
                f"subscription #{subscription_id} started on "
                f"{clock.local_text(subscription['started_at'])}: date the "
                "cancellation after that"
            )
        later = store.one(
            "SELECT period_number, at, grant_id FROM subscription_periods"
            " WHERE subscription_id = ? AND at >= ? AND period_number > 0"
            " ORDER BY period_number",
            (subscription_id, moment),
        )
        if later:
            raise Refused(
                f"period {later['period_number']} of subscription "
                f"#{subscription_id} was already issued on "
                f"{clock.local_text(later['at'])} (entry "
                f"#{later['grant_id']}): date the cancellation after it, or void "
                "that entry first"
            )
        store.execute(
            "UPDATE subscriptions SET cancelled_at = ? WHERE id = ?",
            (moment, subscription_id),
        )
    return get_subscription(store, subscription_id)


SUBSCRIPTION_COLUMNS = [
    Column("id", "#", INT),
    Column("product", "Product"),
    Column("contact_name", "Contact"),
    Column("contact_email", "Email"),
    Column("points", "Points", POINTS),
    Column("every", "Every"),
    Column("amount", "Amount", MONEY),
    Column("currency", "Currency"),
    Column("started_at", "Started", INSTANT),
    Column("periods", "Periods issued", INT),
    Column("next_renewal", "Next renewal", DATE),
    Column("cancelled_at", "Cancelled", INSTANT),
]


def subscription_report(
    store, include_cancelled: bool = True, only: int | None = None
) -> Report:
    """Subscriptions with how many periods were issued and when the next one begins."""
    rows = []
    for row in store.query(
        "SELECT id FROM subscriptions WHERE :only IS NULL OR id = :only ORDER BY id",
        {"only": only},
    ):
        subscription = get_subscription(store, row["id"])
        if subscription["cancelled_at"] and not include_cancelled:
            continue
        count = store.one(
            "SELECT COUNT(*) AS n, MAX(period_number) AS last FROM"
            " subscription_periods WHERE subscription_id = ?",
            (row["id"],),
        )
        subscription["periods"] = count["n"]
        subscription["next_renewal"] = _next_renewal(subscription, count["last"])
        rows.append(subscription)
    return Report(SUBSCRIPTION_COLUMNS, rows, title="Subscriptions")


def _next_renewal(subscription: dict, last: int | None) -> str | None:
    """The local date the next unissued period begins, or None once cancelled before it."""
    every = clock.parse_period(subscription["every"])
    number = (last or 0) + 1
    starts = clock.to_stored(period_start(subscription["started_at"], every, number))

    if subscription["cancelled_at"] and starts >= subscription["cancelled_at"]:
        return None
    return clock.local_date(starts).isoformat()
