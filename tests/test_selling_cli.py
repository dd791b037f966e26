"""Selling through the CLI: products, prices, quotes, sales, subscriptions and triggers."""

import json
import shlex
import sqlite3

import pytest

# The README's "Selling" walkthrough, after a Session type and Ann exist.
WALKTHROUGH = """
points product add "Session pack" --type Session --expires "3 months"
points price add "Session pack" --per-point 120 --currency USD
points price add "Session pack" --per-point 100 --min 5
points price add "Session pack" --per-point 90 --min 10
points product show "session pack"
points quote "Session pack" 7
points sell "Session pack" ann@example.com --quantity 4 --at 2025-01-31 --ref order-2001
points sell "Session pack" ann@example.com --quantity 4 --at 2025-01-31 --ref order-2001
points product add "Intro offer" --type Session --fixed-quantity 3 --expires "1 month"
points price add "Intro offer" --per-point 80
points sell "Intro offer" "Ann Lee" --note "First visit"
points product add "Monthly plan" --type Session --expires "2 months"
points price add "Monthly plan" --subscription --every "1 month" --points 4 --amount 400
points subscribe "Monthly plan" ann@example.com --at "2025-01-31 10:00" --ref plan-ann
points renew --until 2025-04-30
points renew --until 2025-04-30
points subscription list
points subscription cancel 1 --at 2025-05-15
points trigger add "Referral bonus" --on referral --type Session --amount 1 \
  --once-per-contact
points trigger list
points fire referral ann@example.com --ref referral-ann-1
points fire referral ann@example.com --ref referral-ann-2
points sales --from 2025-01-01 --to 2025-06-30
points sales --totals --format csv
"""


@pytest.fixture
def ann(cli):
    assert cli("type", "add", "Session", "--expires", "6 months").exit_code == 0
    assert cli("contact", "add", "Ann Lee", "--email", "ann@example.com").exit_code == 0


@pytest.fixture
def pack(cli, ann):
    """ "Pack": 120 per point from 1, 100 from 5, 90 from 10, valid 3 months."""
    for args in (
        ["product", "add", "Pack", "--type", "Session", "--expires", "3 months"],
        ["price", "add", "Pack", "--per-point", "120"],
        ["price", "add", "Pack", "--per-point", "100", "--min", "5"],
        ["price", "add", "Pack", "--per-point", "90", "--min", "10"],
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.output


def rows(db_path, table: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def run_json(cli, *args):
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_readme_walkthrough_runs_in_order(cli, ann, db_path):
    outputs = {}
    for line in WALKTHROUGH.replace("\\\n", " ").strip().splitlines():
        result = cli(*shlex.split(line)[1:])
        assert result.exit_code == 0, f"{line}\n{result.output}"
        outputs.setdefault(line, []).append(result)

    assert (rows(db_path, "purchases"), rows(db_path, "subscription_periods")) == (2, 4)
    retried = [r for line, runs in outputs.items() if "order-2001" in line for r in runs]
    assert "Already recorded with --ref order-2001" in retried[1].stderr


@pytest.mark.parametrize(
    "quantity, unit, total",
    [("4", "120.00", "480.00"), ("7", "100.00", "700.00"), ("12", "90.00", "1080.00")],
)
def test_quote_gives_the_tier_price_and_total_as_json(cli, pack, quantity, unit, total):
    assert run_json(cli, "quote", "pack", quantity) == {
        "product": "Pack",
        "quantity": int(quantity),
        "unit_price": unit,
        "total": total,
        "currency": "USD",
        "price_from": {"4": 1, "7": 5, "12": 10}[quantity],
    }


def test_quote_as_a_table_for_people(cli, pack):
    result = cli("quote", "Pack", "12")

    assert result.exit_code == 0, result.output
    assert "Quote for Pack" in result.stdout
    assert "90.00 USD" in result.stdout and "1080.00 USD" in result.stdout


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "quantity must be more than zero"),
        ("-1", "'-1' is not a number of points"),
        ("1.0001", "more than three decimal places"),
    ],
)
def test_bad_quote_quantities_exit_1_with_the_fix(cli, pack, quantity, message):
    result = cli("quote", "Pack", quantity)

    assert result.exit_code == 1
    assert message in result.stderr and result.stdout == ""


def test_a_quantity_under_the_minimum_is_refused_naming_it(cli, ann):
    cli("product", "add", "Five up", "--type", "Session", "--min-quantity", "5")
    cli("price", "add", "Five up", "--per-point", "100")

    result = cli("quote", "Five up", "4")

    assert result.exit_code == 1
    assert (
        "Error: quantity 4 is under the minimum of 5 for 'Five up': give 5 or more"
        in result.stderr
    )


def test_sell_records_the_purchase_and_says_until_when(cli, pack, db_path):
    result = cli("sell", "Pack", "ann@example.com", "-q", "4", "--at", "2025-01-31")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (
        "Sold 4 Sessions (Pack) to Ann Lee <ann@example.com> at 120.00 USD each: "
        "480.00 USD (purchase #1, entry #1, valid until 2025-04-30)."
    ) in result.stderr
    balance = run_json(cli, "balance", "ann@example.com", "--as-of", "2025-02-01")
    assert balance[0]["available"] == 4 and balance[0]["next_expiry"] == "2025-04-30"


def test_sell_can_print_the_purchase_for_scripts(cli, pack):
    record = run_json(cli, "sell", "Pack", "Ann Lee", "--quantity", "12", "--ref", "o-9")

    keys = ("quantity", "unit_price", "total", "currency", "ref")
    assert {k: record[k] for k in keys} == {
        "quantity": 12,
        "unit_price": "90.00",
        "total": "1080.00",
        "currency": "USD",
        "ref": "o-9",
    }


def test_a_retried_sell_issues_once_and_a_changed_one_is_refused(cli, pack, db_path):
    args = ("sell", "Pack", "ann@example.com", "-q", "4", "--ref", "order-1")
    first, again = cli(*args), cli(*args)
    changed = cli("sell", "Pack", "ann@example.com", "-q", "5", "--ref", "order-1")

    assert (first.exit_code, again.exit_code, changed.exit_code) == (0, 0, 1)
    assert (
        "Already recorded with --ref order-1 (purchase #1, entry #1); nothing written."
        in again.stderr
    )
    assert "already used for a different sell" in changed.stderr
    assert (rows(db_path, "purchases"), rows(db_path, "entries")) == (1, 1)


@pytest.mark.parametrize(
    "args, message",
    [
        (["Pack", "nobody@example.com", "-q", "4"], "no contact 'nobody@example.com'"),
        (["Pakc", "ann@example.com", "-q", "4"], "Did you mean: Pack?"),
        (["Pack", "ann@example.com"], "--quantity"),
        (
            ["Pack", "ann@example.com", "-q", "4", "--at", "12/01/2025"],
            "write the year first",
        ),
        (
            ["Pack", "ann@example.com", "-q", "4", "--at", "2999-01-01 10:00"],
            "in the future",
        ),
        (["Pack", "ann@example.com", "-q", "4", "--by", "ghost"], "points user add ghost"),
    ],
)
def test_a_bad_sale_exits_1_names_the_fix_and_writes_nothing(
    cli, pack, db_path, args, message
):
    result = cli("sell", *args)

    assert result.exit_code == 1
    assert message in result.stderr
    assert [rows(db_path, t) for t in ("purchases", "entries", "users")] == [0, 0, 0]


def test_a_fixed_quantity_product_sells_without_quantity(cli, ann):
    cli("product", "add", "Intro", "--type", "Session", "--fixed-quantity", "3")
    cli("price", "add", "Intro", "--per-point", "80")

    assert cli("sell", "Intro", "ann@example.com").exit_code == 0
    wrong = cli("quote", "Intro", "4")
    assert wrong.exit_code == 1 and "sold only as exactly 3" in wrong.stderr


def test_product_commands_list_show_edit_and_archive(cli, pack):
    listed = run_json(cli, "product", "list")
    assert [(p["name"], p["expires"], p["min_quantity"]) for p in listed] == [
        ("Pack", "3 months", 1)
    ]
    assert "90.00 USD per point from 10" in listed[0]["prices"]

    edited = cli("product", "edit", "pack", "--expires", "default", "--name", "Big pack")
    assert edited.exit_code == 0, edited.output
    shown = run_json(cli, "product", "show", "Big pack")
    assert shown["expires"] == "type default (6 months)"

    assert cli("product", "archive", "Big pack").exit_code == 0
    assert run_json(cli, "product", "list") == []
    refused = cli("sell", "Big pack", "ann@example.com", "-q", "1")
    assert refused.exit_code == 1 and "archived" in refused.stderr


def test_product_add_refuses_both_quantity_rules(cli, ann):
    result = cli(
        "product",
        "add",
        "X",
        "--type",
        "Session",
        "--min-quantity",
        "2",
        "--fixed-quantity",
        "3",
    )

    assert result.exit_code == 1
    assert "either --min-quantity or --fixed-quantity" in result.stderr


def test_price_add_checks_its_options(cli, pack):
    mixed = cli("price", "add", "Pack", "--subscription", "--every", "1 month")
    plain = cli("price", "add", "Pack", "--points", "4")
    euro = cli(
        "price", "add", "Pack", "--per-point", "80", "--min", "20", "--currency", "EUR"
    )

    assert "--every PERIOD --points N --amount AMOUNT" in mixed.stderr
    assert "give --per-point AMOUNT" in plain.stderr
    assert "priced in USD: give --currency USD" in euro.stderr
    assert (mixed.exit_code, plain.exit_code, euro.exit_code) == (1, 1, 1)
    assert len(run_json(cli, "price", "list")) == 3


def test_price_list_and_archive(cli, pack):
    assert cli("price", "archive", "3").exit_code == 0
    assert [p["id"] for p in run_json(cli, "price", "list", "Pack")] == [1, 2]
    listed = run_json(cli, "price", "list", "--all")
    assert [p["archived"] for p in listed] == ["no", "no", "yes"]
    again = cli("price", "archive", "#3")
    assert again.exit_code == 1 and "already archived" in again.stderr


def test_subscribe_and_renew_twice_issues_each_period_once(cli, ann, db_path):
    cli("product", "add", "Monthly", "--type", "Session")
    cli(
        "price",
        "add",
        "Monthly",
        "--subscription",
        "--every",
        "1 month",
        "--points",
        "4",
        "--amount",
        "400",
    )
    started = cli("subscribe", "Monthly", "ann@example.com", "--at", "2025-01-31 10:00")
    assert started.exit_code == 0, started.output

    first = run_json(cli, "renew", "--until", "2025-04-30")
    second = cli("renew", "--until", "2025-04-30")

    assert [(r["period"], r["date"][:10]) for r in first] == [
        (1, "2025-02-28"),
        (2, "2025-03-31"),
        (3, "2025-04-30"),
    ]
    assert second.exit_code == 0 and "Issued 0 renewals." in second.stderr
    assert second.stdout == ""
    listed = run_json(cli, "subscription", "list")
    assert (listed[0]["periods"], listed[0]["next_renewal"]) == (4, "2025-05-31")


def test_subscription_cancel_stops_renewals(cli, ann):
    cli("product", "add", "Weekly", "--type", "Session")
    cli(
        "price",
        "add",
        "Weekly",
        "--subscription",
        "--every",
        "1 week",
        "--points",
        "1",
        "--amount",
        "90",
    )
    cli("subscribe", "Weekly", "ann@example.com", "--at", "2025-03-01 09:00")

    cancelled = cli("subscription", "cancel", "1", "--at", "2025-03-10")
    renewed = run_json(cli, "renew", "--until", "2025-04-30")

    assert cancelled.exit_code == 0, cancelled.output
    assert [r["period"] for r in renewed] == [1]
    assert run_json(cli, "subscription", "list", "--active") == []
    missing = cli("subscription", "cancel", "9")
    assert missing.exit_code == 1 and "no subscription #9" in missing.stderr


def test_fire_prints_what_it_issued_and_a_retry_issues_once(cli, ann, db_path):
    cli(
        "trigger",
        "add",
        "Referral bonus",
        "--on",
        "referral",
        "--type",
        "Session",
        "--amount",
        "1",
        "--once-per-contact",
    )

    first = cli("fire", "referral", "ann@example.com", "--ref", "hook-1")
    again = cli("fire", "referral", "ann@example.com", "--ref", "hook-1")
    other = run_json(cli, "fire", "referral", "ann@example.com", "--ref", "hook-2")

    assert first.exit_code == 0, first.output
    assert "Referral bonus" in first.stdout and "issued" in first.stdout
    assert "Already recorded with --ref hook-1 (entry #1); nothing written." in again.stderr
    assert other[0]["result"] == "skipped: once per contact, already issued as entry #1"
    assert rows(db_path, "entries") == 1


def test_a_fire_nobody_listens_to_is_refused_naming_the_events(cli, ann, db_path):
    cli(
        "trigger",
        "add",
        "Referral bonus",
        "--on",
        "referral",
        "--type",
        "Session",
        "--amount",
        "1",
    )

    result = cli("fire", "signup", "ann@example.com")

    assert result.exit_code == 1
    assert (
        "no trigger listens to 'signup' (events with triggers: referral)" in result.stderr
    )
    assert rows(db_path, "entries") == 0


def test_trigger_list_disable_and_enable(cli, ann):
    cli(
        "trigger",
        "add",
        "Welcome",
        "--on",
        "signup",
        "--type",
        "Session",
        "--amount",
        "0.5",
        "--expires",
        "30 days",
    )
    assert cli("trigger", "disable", "welcome").exit_code == 0
    assert run_json(cli, "trigger", "list")[0]["enabled"] == "no"

    refused = cli("fire", "signup", "Ann Lee")
    assert refused.exit_code == 1 and "points trigger enable" in refused.stderr
    assert cli("trigger", "enable", "Welcome").exit_code == 0
    assert run_json(cli, "fire", "signup", "Ann Lee")[0]["amount"] == 0.5


def test_sales_lists_sales_with_totals_per_currency(cli, pack):
    cli("product", "add", "Euro pack", "--type", "Session")
    cli("price", "add", "Euro pack", "--per-point", "80", "--currency", "EUR")
    cli("sell", "Pack", "ann@example.com", "-q", "4", "--at", "2025-01-05")
    cli("sell", "Pack", "ann@example.com", "-q", "12", "--at", "2025-02-05")
    cli("sell", "Euro pack", "ann@example.com", "-q", "2", "--at", "2025-02-06")

    listed = cli("sales", "--from", "2025-02-01", "--to", "2025-02-28", "--format", "csv")
    totals = run_json(cli, "sales", "--totals")
    table = cli("sales")

    assert listed.stdout.splitlines()[0].startswith("date,kind,product,contact_name")
    lines = listed.stdout.splitlines()
    assert [line.split(",")[7] for line in lines[1:]] == ["1080.00", "160.00"]
    assert [(t["currency"], t["total"]) for t in totals] == [
        ("EUR", "160.00"),
        ("USD", "1560.00"),
    ]
    assert "Sales totals" in table.stdout and "1560.00 USD" in table.stdout


def test_sales_refuses_a_reversed_range(cli, ann):
    result = cli("sales", "--from", "2025-03-01", "--to", "2025-02-01")

    assert result.exit_code == 1 and "swap them" in result.stderr


def test_empty_lists_are_empty_json(cli, ann):
    for args in (
        ["product", "list"],
        ["price", "list"],
        ["subscription", "list"],
        ["trigger", "list"],
        ["sales"],
        ["renew"],
    ):
        assert run_json(cli, *args) == [], args


@pytest.mark.parametrize(
    "command",
    [
        ["product", "add"],
        ["product", "list"],
        ["product", "show"],
        ["product", "edit"],
        ["product", "archive"],
        ["price", "add"],
        ["price", "list"],
        ["price", "archive"],
        ["quote"],
        ["sell"],
        ["sales"],
        ["subscribe"],
        ["renew"],
        ["subscription", "list"],
        ["subscription", "cancel"],
        ["trigger", "add"],
        ["trigger", "list"],
        ["trigger", "disable"],
        ["trigger", "enable"],
        ["fire"],
    ],
)
def test_every_selling_command_has_help_with_an_example(cli, command):
    result = cli(*command, "--help")

    assert result.exit_code == 0, result.output
    assert "Example: points " + " ".join(command) in " ".join(result.stdout.split())
