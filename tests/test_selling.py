"""Products, prices, quotes, sales and valued outstanding, on the store directly."""

from datetime import datetime, timezone

import pytest

from pointscli import amounts, directory, ledger, products, reports, selling
from pointscli.clock import parse_expiry

from pointscli.errors import InvalidInput, NotFound, RefConflict, Refused


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def shop(store):
    """Session, Ann, the admin user and a pack priced 120 from 1, 100 from 5, 90 from 10."""
    directory.add_type(store, "Session", expires="6 months")
    ann = directory.add_contact(store, "Ann Lee", "ann@example.com")
    admin = directory.default_user(store)
    pack = products.add_product(store, "Pack", "Session", expires="3 months")
    products.add_one_time_price(store, "Pack", "120")
    products.add_one_time_price(store, "Pack", "100", "5")
    products.add_one_time_price(store, "Pack", "90", "10")
    return {"store": store, "ann": ann["id"], "user": admin["id"], "pack": pack}


def count(store, table: str) -> int:
    return store.one(f"SELECT COUNT(*) FROM {table}")[0]


# Quotes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quantity, unit, total",
    [
        ("4", 12000, 48000),
        ("7", 10000, 70000),
        ("12", 9000, 108000),
        ("1", 12000, 12000),
        ("5", 10000, 50000),
        ("9.5", 10000, 95000),
        ("10", 9000, 90000),
    ],
)
def test_the_whole_quantity_gets_the_highest_tier_it_reaches(shop, quantity, unit, total):
    offer = products.quote(shop["store"], shop["pack"], amounts.parse_points(quantity))

    assert (offer.unit_price, offer.total, offer.currency) == (unit, total, "USD")


def test_quantity_zero_is_refused(shop):
    with pytest.raises(InvalidInput, match="more than zero"):
        amounts.parse_points("0", "quantity")
    with pytest.raises(InvalidInput, match="under the minimum"):
        products.quote(shop["store"], shop["pack"], 0)


def test_a_quantity_under_the_minimum_is_refused_with_the_rule(store):
    directory.add_type(store, "Session")
    product = products.add_product(store, "Five or more", "Session", min_quantity="5")
    products.add_one_time_price(store, "Five or more", "100")

    with pytest.raises(InvalidInput, match="under the minimum of 5 .* give 5 or more"):
        products.quote(store, product, 4000)
    assert products.quote(store, product, 5000).total == 50000


def test_a_fixed_quantity_product_quotes_only_that_quantity(store):
    directory.add_type(store, "Session")
    product = products.add_product(store, "Ten", "Session", fixed_quantity="10")
    products.add_one_time_price(store, "Ten", "95")

    with pytest.raises(InvalidInput, match="exactly 10, not 9: give quantity 10"):
        products.quote(store, product, 9000)
    assert products.quote(store, product, 10000).total == 95000


def test_a_product_without_a_one_time_price_cannot_be_quoted(store):
    directory.add_type(store, "Session")
    product = products.add_product(store, "Bare", "Session")

    with pytest.raises(Refused, match="points price add 'Bare' --per-point AMOUNT"):
        products.quote(store, product, 1000)


def test_an_archived_base_price_leaves_small_quantities_unpriced(shop):
    store = shop["store"]
    products.archive_price(store, products.list_prices(store, shop["pack"])[0].id)

    with pytest.raises(Refused, match="lowest price starts at 5"):
        products.quote(store, shop["pack"], 4000)


# Products and prices ------------------------------------------------------------------


def test_product_names_are_unique_in_any_case(shop):
    with pytest.raises(Refused, match="already exists"):
        products.add_product(shop["store"], "PACK", "Session")


def test_a_product_is_found_by_name_in_any_case_or_number(shop):
    store = shop["store"]
    assert products.find_product(store, "pack").id == shop["pack"].id
    assert products.find_product(store, f"#{shop['pack'].id}").name == "Pack"
    with pytest.raises(NotFound, match="Did you mean: Pack"):
        products.find_product(store, "Pakc")


def test_min_and_fixed_quantity_exclude_each_other(store):
    directory.add_type(store, "Session")
    with pytest.raises(InvalidInput, match="not both"):
        products.add_product(store, "X", "Session", min_quantity="2", fixed_quantity="3")


def test_the_first_price_is_for_the_products_minimum(store):
    directory.add_type(store, "Session")
    products.add_product(store, "Pack", "Session", min_quantity="2")

    with pytest.raises(InvalidInput, match="first price .* minimum quantity 2"):
        products.add_one_time_price(store, "Pack", "100", "5")
    assert products.add_one_time_price(store, "Pack", "100").min_quantity == 2000


def test_one_currency_per_product_naming_the_existing_one(shop):
    with pytest.raises(Refused, match="priced in USD: give --currency USD"):
        products.add_one_time_price(shop["store"], "Pack", "80", "20", "eur")


def test_two_prices_from_the_same_minimum_are_refused(shop):
    with pytest.raises(Refused, match="already has a price from 5"):
        products.add_one_time_price(shop["store"], "Pack", "95", "5")


def test_a_fixed_quantity_product_has_one_price(store):
    directory.add_type(store, "Session")
    products.add_product(store, "Ten", "Session", fixed_quantity="10")
    products.add_one_time_price(store, "Ten", "95")

    with pytest.raises(Refused, match="one price"):
        products.add_one_time_price(store, "Ten", "90", "10")


def test_a_price_is_in_the_default_currency_and_tiers_in_the_products(store):
    directory.add_type(store, "Session")
    directory.set_setting(store, "currency", "eur")
    products.add_product(store, "Pack", "Session")

    assert products.add_one_time_price(store, "Pack", "99.50").currency == "EUR"
    directory.set_setting(store, "currency", "USD")
    assert products.add_one_time_price(store, "Pack", "90", "5").currency == "EUR"
    with pytest.raises(InvalidInput, match="more decimal places than JPY"):
        products.add_subscription_price(store, "Pack", "1 month", "4", "100.5", "JPY")


def test_editing_a_product_changes_future_expiry_and_default_restores_the_types(shop):
    store = shop["store"]
    assert str(products.edit_product(store, "Pack", expires="never").expires) == "never"
    assert products.edit_product(store, "Pack", expires="default").expires is None
    fixed = products.edit_product(store, "Pack", fixed_quantity="4")
    assert fixed.quantity_rule() == "exactly 4"


# Selling ---------------------------------------------------------------------------


def test_a_sale_on_31_january_of_a_3_month_product_is_valid_until_30_april(shop):
    store = shop["store"]
    sale = selling.sell(
        store,
        shop["pack"],
        shop["ann"],
        4000,
        user_id=shop["user"],
        at=utc(2025, 1, 31, 12),
    )

    grant = ledger.get_entry(store, sale.purchase["grant_id"])
    assert grant["expires_on"] == "2025-04-30"
    assert (grant["source"], grant["unit_price"], grant["currency"]) == (
        "purchase",
        12000,
        "USD",
    )
    assert (
        sale.purchase["quantity"],
        sale.purchase["unit_price"],
        sale.purchase["total"],
        sale.purchase["user_id"],
    ) == (4000, 12000, 48000, shop["user"])


def test_a_product_without_expiry_uses_the_types_default(shop):
    store = shop["store"]
    products.edit_product(store, "Pack", expires="default")
    sale = selling.sell(
        store,
        products.find_product(store, "Pack"),
        shop["ann"],
        1000,
        user_id=shop["user"],
        at=utc(2025, 1, 31, 12),
    )

    assert sale.purchase["expires_on"] == "2025-07-31"


def test_a_retried_sell_with_the_same_ref_issues_once(shop):
    store = shop["store"]
    args = (store, shop["pack"], shop["ann"], 7000)
    first = selling.sell(*args, user_id=shop["user"], at=utc(2025, 2, 1), ref="order-1")
    again = selling.sell(*args, user_id=shop["user"], at=utc(2025, 2, 1), ref="order-1")

    assert (first.replayed, again.replayed) == (False, True)
    assert again.purchase["id"] == first.purchase["id"]
    assert (count(store, "purchases"), count(store, "entries")) == (1, 1)


def test_the_same_ref_for_a_different_sale_is_refused_and_writes_nothing(shop):
    store = shop["store"]
    user = shop["user"]
    selling.sell(store, shop["pack"], shop["ann"], 7000, user_id=user, ref="order-1")

    with pytest.raises(RefConflict):
        selling.sell(store, shop["pack"], shop["ann"], 8000, user_id=user, ref="order-1")
    assert (count(store, "purchases"), count(store, "entries")) == (1, 1)


def test_a_refused_sale_writes_nothing(shop):
    store = shop["store"]
    products.archive_product(store, "Pack")

    with pytest.raises(Refused, match="archived"):
        selling.sell(
            store,
            products.find_product(store, "Pack"),
            shop["ann"],
            4000,
            user_id=shop["user"],
        )
    assert [count(store, t) for t in ("purchases", "entries", "refs")] == [0, 0, 0]


def test_a_fixed_quantity_sale_needs_no_quantity_but_others_do(store):
    directory.add_type(store, "Session")
    ann = directory.add_contact(store, "Ann", "ann@example.com")["id"]
    user = directory.default_user(store)["id"]
    ten = products.add_product(store, "Ten", "Session", fixed_quantity="10")
    products.add_one_time_price(store, "Ten", "95")
    loose = products.add_product(store, "Loose", "Session")

    assert selling.sell(store, ten, ann, None, user_id=user).purchase["total"] == 95000
    with pytest.raises(InvalidInput, match="--quantity"):
        selling.sell(store, loose, ann, None, user_id=user)


# Sales report ------------------------------------------------------------------------


def test_sales_lists_purchases_in_the_range_with_totals_per_currency(shop):
    store = shop["store"]
    euro = products.add_product(store, "Euro pack", "Session")
    products.add_one_time_price(store, "Euro pack", "80", currency="EUR")
    for when, product, quantity in [
        (utc(2025, 1, 5), shop["pack"], 4000),
        (utc(2025, 2, 5), shop["pack"], 12000),
        (utc(2025, 2, 6), euro, 2000),
        (utc(2025, 3, 5), shop["pack"], 1000),
    ]:
        selling.sell(store, product, shop["ann"], quantity, user_id=shop["user"], at=when)

    feb = selling.sales(store, utc(2025, 2, 1).date(), utc(2025, 2, 28).date())
    totals = selling.sales_totals(store, utc(2025, 2, 1).date(), utc(2025, 2, 28).date())

    assert [(r["product"], r["total"]) for r in feb.rows] == [
        ("Pack", 108000),
        ("Euro pack", 16000),
    ]
    assert [(r["currency"], r["purchases"], r["total"]) for r in totals.rows] == [
        ("EUR", 1, 16000),
        ("USD", 1, 108000),
    ]


def test_a_voided_sale_is_listed_but_left_out_of_the_totals(shop):
    store = shop["store"]
    sale = selling.sell(store, shop["pack"], shop["ann"], 4000, user_id=shop["user"])
    selling.sell(store, shop["pack"], shop["ann"], 1000, user_id=shop["user"])
    ledger.void(store, sale.purchase["grant_id"], user_id=shop["user"], reason="Twice")

    assert [r["voided"] for r in selling.sales(store).rows] == ["yes", "no"]
    assert selling.sales_totals(store).rows[0]["total"] == 12000


# Outstanding, valued ------------------------------------------------------------------


def test_valued_outstanding_agrees_with_a_hand_calculation(shop):
    """Two packs at different tier prices, a free grant, and a consumption that draws it."""
    store, ann, user = shop["store"], shop["ann"], shop["user"]
    session = directory.find_type(store, "Session")
    # Pack A: 4 at 120, valid until 2025-04-01. Pack B: 12 at 90, valid until 2025-05-01.
    selling.sell(store, shop["pack"], ann, 4000, user_id=user, at=utc(2025, 1, 1, 9))
    selling.sell(store, shop["pack"], ann, 12000, user_id=user, at=utc(2025, 2, 1, 9))
    # A free point valid until 2025-03-10: the soonest expiry, so it is drawn first.
    ledger.issue(
        store,
        ann,
        session,
        1000,
        user_id=user,
        at=utc(2025, 2, 10, 9),
        expires=parse_expiry("1 month"),
        source="trigger",
        unit_price=0,
        currency="USD",
    )
    # 2.5 used: 1 from the free grant, then 1.5 from pack A (the next to expire).
    ledger.consume(store, ann, session, 2500, user_id=user, at=utc(2025, 2, 15, 9))

    valued = selling.valued_outstanding(store, utc(2025, 2, 20))

    # By hand: A 4 - 1.5 = 2.5 x 120 = 300; B 12 x 90 = 1080; free 0 left. 14.5 worth 1380.
    assert [
        (r["contact_name"], r["outstanding"], r["free"], r["value"], r["currency"])
        for r in valued.rows
    ] == [("Ann Lee", 14500, 0, 138000, "USD")]


def test_free_points_count_as_outstanding_worth_nothing(shop):
    store, ann, user = shop["store"], shop["ann"], shop["user"]
    session = directory.find_type(store, "Session")
    selling.sell(store, shop["pack"], ann, 2000, user_id=user, at=utc(2025, 1, 1, 9))
    ledger.issue(store, ann, session, 3000, user_id=user, at=utc(2025, 1, 2, 9))
    bob = directory.add_contact(store, "Bob", "bob@example.com")["id"]
    ledger.issue(store, bob, session, 1500, user_id=user, at=utc(2025, 1, 2, 9))

    as_of = utc(2025, 1, 20)
    valued = selling.valued_outstanding(store, as_of)
    summary = selling.valued_outstanding(store, as_of, summary=True)

    assert [
        (r["contact_name"], r["outstanding"], r["free"], r["value"]) for r in valued.rows
    ] == [("Ann Lee", 5000, 3000, 24000), ("Bob", 1500, 1500, 0)]

    assert [
        (r["type"], r["outstanding"], r["value"], r["contacts"]) for r in summary.rows
    ] == [("Session", 6500, 24000, 2)]
    plain = reports.summary(store, as_of).rows[0]["outstanding"]
    assert plain == sum(r["outstanding"] for r in valued.rows)


def test_valued_outstanding_keeps_currencies_apart_and_filters_by_type(shop):
    store, ann, user = shop["store"], shop["ann"], shop["user"]
    products.add_product(store, "Euro pack", "Session")
    products.add_one_time_price(store, "Euro pack", "80", currency="EUR")
    directory.add_type(store, "Consult")
    selling.sell(store, shop["pack"], ann, 1000, user_id=user, at=utc(2025, 1, 1, 9))
    selling.sell(
        store,
        products.find_product(store, "Euro pack"),
        ann,
        2000,
        user_id=user,
        at=utc(2025, 1, 1, 9),
    )
    consult = directory.find_type(store, "Consult")
    ledger.issue(store, ann, consult, 1000, user_id=user, at=utc(2025, 1, 1, 9))

    rows = selling.valued_outstanding(
        store, utc(2025, 1, 2), type_id=directory.find_type(store, "Session").id
    ).rows

    assert [(r["currency"], r["outstanding"], r["value"]) for r in rows] == [
        ("EUR", 2000, 16000),
        ("USD", 1000, 12000),
    ]


# Migration -----------------------------------------------------------------------------


def test_a_database_from_before_selling_is_upgraded_keeping_its_rows(tmp_path, monkeypatch):
    from pointscli import migrations
    from pointscli.storage import open_store

    path = tmp_path / "old.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    old = open_store(path)
    directory.add_type(old, "Session")
    old.close()
    monkeypatch.undo()

    upgraded = open_store(path)
    try:
        assert upgraded.one("PRAGMA user_version")[0] == 2
        assert [t.name for t in directory.list_types(upgraded)] == ["Session"]
        assert products.add_product(upgraded, "Pack", "Session").name == "Pack"
    finally:
        upgraded.close()
