"""Subscriptions on the store: periods from the start date, each issued exactly once."""

import sqlite3
import time
from datetime import datetime, timedelta, timezone

import pytest

from pointscli import clock, directory, ledger, products, selling, subscriptions
from pointscli.errors import InvalidInput, NotFound, RefConflict, Refused


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def plan(store):
    """A monthly plan: 4 Sessions for 400.00 every month; Ann; the admin user."""
    directory.add_type(store, "Session", expires="6 months")
    ann = directory.add_contact(store, "Ann Lee", "ann@example.com")
    monthly = products.add_product(store, "Monthly", "Session", expires="2 months")
    products.add_subscription_price(store, "Monthly", "1 month", "4", "400")
    return {
        "store": store,
        "ann": ann["id"],
        "user": directory.default_user(store)["id"],
        "monthly": monthly,
    }


def start(plan, at=utc(2025, 1, 31, 10), ref=None):
    return subscriptions.subscribe(
        plan["store"], plan["monthly"], plan["ann"], user_id=plan["user"], at=at, ref=ref
    )


def grants(store) -> list[tuple[str, int]]:
    return [
        (clock.local_text(r["at"]), r["amount"])
        for r in store.query("SELECT at, amount FROM entries ORDER BY at")
    ]


def test_subscribing_issues_period_0_at_once(plan):
    made = start(plan)

    entry = plan["store"].one("SELECT * FROM entries")
    assert (entry["source"], entry["amount"], entry["at"]) == (
        "subscription",
        4000,
        "2025-01-31T10:00:00Z",
    )
    assert entry["expires_on"] == "2025-03-31"
    assert (entry["unit_price"], entry["currency"]) == (10000, "USD")
    assert made.subscription["points"] == 4000


def test_a_monthly_subscription_from_31_january_renews_on_the_last_days(plan):
    start(plan)
    issued = subscriptions.renew(
        plan["store"], user_id=plan["user"], until=utc(2025, 4, 30, 23)
    )

    assert [r["period"] for r in issued] == [1, 2, 3]
    assert grants(plan["store"]) == [
        ("2025-01-31 10:00", 4000),
        ("2025-02-28 10:00", 4000),
        ("2025-03-31 10:00", 4000),
        ("2025-04-30 10:00", 4000),
    ]


def test_renew_run_twice_issues_each_period_once(plan):
    start(plan)
    until = utc(2025, 3, 31, 12)
    first = subscriptions.renew(plan["store"], user_id=plan["user"], until=until)
    second = subscriptions.renew(plan["store"], user_id=plan["user"], until=until)

    assert (len(first), len(second)) == (2, 0)
    assert len(grants(plan["store"])) == 3


def test_a_period_is_not_due_before_its_start_time(plan):
    start(plan)
    store, user = plan["store"], plan["user"]
    early = subscriptions.renew(store, user_id=user, until=utc(2025, 2, 28, 9))
    on_time = subscriptions.renew(store, user_id=user, until=utc(2025, 2, 28, 10))

    assert (len(early), len(on_time)) == (0, 1)


def test_the_database_refuses_a_second_row_for_the_same_period(plan):
    start(plan)
    store = plan["store"]

    with pytest.raises(sqlite3.IntegrityError):
        with store.write():
            store.execute(
                "INSERT INTO subscription_periods (subscription_id, period_number, at,"
                " amount, currency, grant_id, recorded_at) SELECT subscription_id, 0, at,"
                " amount, currency, grant_id, recorded_at FROM subscription_periods"
            )


def test_renew_until_the_future_is_refused(plan):
    with pytest.raises(InvalidInput, match="future"):
        subscriptions.renew(
            plan["store"], user_id=plan["user"], until=clock.utc_now() + timedelta(days=1)
        )


def test_no_renewals_after_a_cancellation(plan):
    made = start(plan)
    store = plan["store"]
    subscriptions.cancel(store, made.subscription["id"], utc(2025, 3, 15))

    issued = subscriptions.renew(store, user_id=plan["user"], until=utc(2025, 6, 1))

    assert [r["period"] for r in issued] == [1]
    assert subscriptions.subscription_report(store).rows[0]["next_renewal"] is None


def test_a_cancellation_dated_before_an_issued_period_is_refused(plan):
    made = start(plan)
    store = plan["store"]
    subscriptions.renew(store, user_id=plan["user"], until=utc(2025, 3, 31, 12))

    with pytest.raises(Refused, match="period 2 .* already issued"):
        subscriptions.cancel(store, made.subscription["id"], utc(2025, 3, 1))
    subscriptions.cancel(store, made.subscription["id"], utc(2025, 4, 1))
    with pytest.raises(Refused, match="already cancelled"):
        subscriptions.cancel(store, made.subscription["id"], utc(2025, 4, 2))


def test_a_subscription_retried_with_the_same_ref_starts_once(plan):
    first = start(plan, ref="sub-1")
    again = start(plan, ref="sub-1")

    assert (first.replayed, again.replayed) == (False, True)
    assert again.subscription["id"] == first.subscription["id"]
    assert len(grants(plan["store"])) == 1
    with pytest.raises(RefConflict):
        start(plan, at=utc(2025, 2, 1), ref="sub-1")


def test_a_product_without_a_subscription_price_is_refused(plan):
    store = plan["store"]
    pack = products.add_product(store, "Pack", "Session")

    with pytest.raises(Refused, match="--subscription --every"):
        subscriptions.subscribe(store, pack, plan["ann"], user_id=plan["user"])
    assert store.one("SELECT COUNT(*) FROM subscriptions")[0] == 0


def test_several_subscription_prices_need_a_choice(plan):
    store = plan["store"]
    yearly = products.add_subscription_price(store, "Monthly", "1 year", "50", "4500")

    with pytest.raises(InvalidInput, match="choose one with --price"):
        start(plan)
    with pytest.raises(NotFound, match="not an active subscription price"):
        subscriptions.subscribe(
            store, plan["monthly"], plan["ann"], user_id=plan["user"], price_id=999
        )
    made = subscriptions.subscribe(
        store,
        plan["monthly"],
        plan["ann"],
        user_id=plan["user"],
        price_id=yearly.id,
        at=utc(2025, 1, 1),
    )

    assert made.subscription["every"] == "1 year"


def test_charges_appear_in_the_sales_report(plan):
    start(plan)
    subscriptions.renew(plan["store"], user_id=plan["user"], until=utc(2025, 3, 1))

    rows = selling.sales(plan["store"]).rows
    assert [(r["kind"], r["quantity"], r["total"]) for r in rows] == [
        ("subscription", 4000, 40000),
        ("subscription", 4000, 40000),
    ]
    assert selling.sales_totals(plan["store"]).rows[0]["charge_total"] == 80000


def test_a_per_point_price_that_does_not_divide_is_rounded_half_even(plan):
    store = plan["store"]
    products.add_product(store, "Trio", "Session")
    products.add_subscription_price(store, "Trio", "1 week", "3", "100")
    subscriptions.subscribe(
        store,
        products.find_product(store, "Trio"),
        plan["ann"],
        user_id=plan["user"],
        at=utc(2025, 1, 1),
    )

    assert store.one("SELECT unit_price FROM entries")["unit_price"] == 3333


def test_voided_renewal_grants_are_not_issued_again(plan):
    start(plan)
    store = plan["store"]
    issued = subscriptions.renew(store, user_id=plan["user"], until=utc(2025, 3, 1))
    ledger.void(store, issued[0]["grant_id"], user_id=plan["user"], reason="refund")

    assert subscriptions.renew(store, user_id=plan["user"], until=utc(2025, 3, 1)) == []


def test_periods_keep_the_local_clock_time_across_daylight_saving(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    started = "2025-02-09T07:30:00Z"  # 02:30 EST
    every = clock.parse_period("1 month")

    # 9 March 02:30 does not exist there (clocks jump to 03:30); 9 April 02:30 is EDT.
    starts = [subscriptions.period_start(started, every, n) for n in (1, 2)]
    assert [clock.to_stored(s) for s in starts] == [
        "2025-03-09T07:30:00Z",
        "2025-04-09T06:30:00Z",
    ]


def test_two_renew_runs_at_once_issue_each_period_once(plan, db_path):
    from concurrent.futures import ThreadPoolExecutor

    from pointscli.storage import open_store

    start(plan)
    stores = [open_store(db_path) for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            runs = list(
                pool.map(
                    lambda s: subscriptions.renew(
                        s, user_id=plan["user"], until=utc(2025, 12, 31, 12)
                    ),
                    stores,
                )
            )
    finally:
        for opened in stores:
            opened.close()

    assert sorted(r["period"] for run in runs for r in run) == list(range(1, 12))
    assert len(grants(plan["store"])) == 12
