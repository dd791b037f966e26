"""`points balance`, `statement`, `outstanding` and `check` through the CLI.

The ledgers are written with the core (explicit 2025 dates) and read back
through the `cli` fixture, whose output is not a terminal: tables are plain.
"""

import csv
import io
import json
from datetime import datetime, timezone

import pytest

from pointscli import directory, ledger, render, reports
from pointscli.clock import Expiry

NEVER = Expiry(never=True)
BALANCE_KEYS = ["type", "available", "next_expiry", "expiring_amount"]
OUTSTANDING_KEYS = [
    "contact_name",
    "contact_email",
    "type",
    "outstanding",
    "next_expiry",
    "expiring_amount",
]
SUMMARY_KEYS = [
    "type",
    "issued",
    "consumed",
    "expired",
    "voided",
    "outstanding",
    "contacts",
]
STATEMENT_KEYS = ["entry", "date", "kind", "type", "amount", "balance", "note", "by"]


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


class Book:
    """Writes through the core on the test's database (the one the CLI opens)."""

    def __init__(self, store):
        self.db = store
        self.session = directory.add_type(store, "Session", expires="1 month")
        self.admin = directory.default_user(store)["id"]

    def contact(self, name="Ann Lee", email="ann@example.com") -> int:
        return directory.add_contact(self.db, name, email)["id"]

    def issue(self, who, amount, at, expires=None, note=None) -> int:
        return ledger.issue(
            self.db,
            who,
            self.session,
            amount,
            user_id=self.admin,
            at=at,
            expires=expires,
            note=note,
        ).entries[0]

    def consume(self, who, amount, at, note=None) -> int:
        return ledger.consume(
            self.db, who, self.session, amount, user_id=self.admin, at=at, note=note
        ).entries[0]

    def void(self, entry, at) -> None:
        ledger.void(self.db, entry, user_id=self.admin, at=at, reason="mistake")


@pytest.fixture
def book(store) -> Book:
    return Book(store)


@pytest.fixture
def ann(book) -> int:
    """Ann: 10 Sessions on 5 Jan 2025 (to 5 Feb), 2 used on 10 Jan, 3 that never expire."""
    who = book.contact()
    book.issue(who, 10_000, utc(2025, 1, 5, 10), note="10-pack")
    book.consume(who, 2_000, utc(2025, 1, 10, 9))
    book.issue(who, 3_000, utc(2025, 1, 20, 9), expires=NEVER, note="gift")
    return who


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def as_json(result):
    return json.loads(ok(result).stdout)


def as_csv(result) -> list[dict]:
    return list(csv.DictReader(io.StringIO(ok(result).stdout)))


# balance ------------------------------------------------------------------------------


def test_balance_table_names_the_contact_in_its_title(cli, ann):
    result = ok(cli("balance", "ann", "--as-of", "2025-01-31"))

    assert result.stderr == ""
    title = "Ann Lee <ann@example.com>: Balance as of 2025-01-31 23:59"
    assert result.stdout.splitlines()[0] == title
    assert "Session         11  2025-02-05               8" in result.stdout


def test_balance_json_has_the_documented_keys_and_no_header(cli, ann):
    result = cli("balance", "ann@example.com", "--as-of", "2025-01-31", "--format", "json")

    assert as_json(result) == [
        {
            "type": "Session",
            "available": 11,
            "next_expiry": "2025-02-05",
            "expiring_amount": 8,
        }
    ]
    assert list(json.loads(result.stdout)[0]) == BALANCE_KEYS
    assert result.stderr == ""


def test_balance_lots_lists_open_grants_in_drawing_order(cli, ann):
    rows = as_csv(cli("balance", "1", "--lots", "--as-of", "2025-01-31", "--format", "csv"))

    assert [(r["entry"], r["available"], r["valid_until"]) for r in rows] == [
        ("1", "8", "2025-02-05"),
        ("3", "3", ""),
    ]


def test_balance_of_an_unknown_contact_is_refused(cli, ann):
    result = cli("balance", "zoe")

    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr.startswith("Error: no contact 'zoe'")


# statement ----------------------------------------------------------------------------


def test_statement_ends_at_the_balance(cli, ann):
    rows = as_json(cli("statement", "ann", "--to", "2025-03-31", "--format", "json"))
    balance = as_json(cli("balance", "ann", "--as-of", "2025-03-31", "--format", "json"))

    assert [(r["kind"], r["amount"], r["balance"]) for r in rows] == [
        ("issue", 10, 10),
        ("consume", -2, 8),
        ("issue", 3, 11),
        ("expire", -8, 3),
    ]
    assert rows[-1]["balance"] == balance[0]["available"] == 3
    assert list(rows[0])[:8] == STATEMENT_KEYS
    assert rows[0]["valid_until"] == "2025-02-05" and rows[1]["drawn_from"] == "#1: 2"
    assert rows[3]["date"] == "2025-02-06T00:00:00+00:00"


def test_statement_from_a_day_includes_that_day(cli, ann):
    rows = as_csv(
        cli(
            "statement",
            "ann",
            "--from",
            "2025-01-10",
            "--to",
            "2025-01-31",
            "--format",
            "csv",
        )
    )

    assert [(r["kind"], r["entry"], r["amount"], r["balance"]) for r in rows] == [
        ("opening", "", "", "10"),
        ("consume", "2", "-2", "8"),
        ("issue", "3", "3", "11"),
    ]


def test_statement_for_one_type_and_html(cli, ann):
    result = ok(cli("statement", "ann", "--type", "sessions", "--format", "html"))

    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "Statement for Ann Lee &lt;ann@example.com&gt;" in result.stdout
    assert "<td>10-pack</td>" in result.stdout


def test_statement_table_folds_the_details_into_one_column(cli, ann, book):
    book.void(2, utc(2025, 1, 30, 9))

    lines = ok(cli("statement", "ann", "--to", "2025-01-31")).stdout.splitlines()

    assert lines[1].split() == [
        "Entry",
        "Date",
        "Kind",
        "Type",
        "Amount",
        "Balance",
        "Note",
        "By",
        "Details",
    ]
    assert lines[3].endswith("admin  valid until 2025-02-05")
    assert lines[4].endswith("admin  from #1: 2; voided 2025-01-30 09:00 by admin")
    assert lines[5].endswith("gift     admin  never expires")


def test_statement_of_an_unknown_type_is_refused(cli, ann):
    result = cli("statement", "ann", "--type", "Massage")

    assert result.exit_code == 1 and "no point type 'Massage'" in result.stderr


# outstanding ----------------------------------------------------------------------------


def test_outstanding_json_keys_and_summary_keys(cli, ann):
    listed = as_json(cli("outstanding", "--as-of", "2025-01-31", "--format", "json"))
    summary = as_json(
        cli("outstanding", "--summary", "--as-of", "2025-03-31", "-f", "json")
    )

    assert [list(row)[1:] for row in listed] == [OUTSTANDING_KEYS]
    assert listed[0]["outstanding"] == 11 and listed[0]["contact_name"] == "Ann Lee"
    assert summary == [
        {
            "type": "Session",
            "issued": 13,
            "consumed": 2,
            "expired": 8,
            "voided": 0,
            "outstanding": 3,
            "contacts": 1,
        }
    ]
    assert list(summary[0]) == SUMMARY_KEYS


def test_outstanding_expiring_within_a_period(cli, ann, book):
    later = book.contact("Bob", "bob@example.com")
    book.issue(later, 1_000, utc(2025, 1, 25, 9))

    rows = as_json(
        cli(
            "outstanding",
            "--as-of",
            "2025-01-31",
            "--expiring-within",
            "7 days",
            "--format",
            "json",
        )
    )

    assert [(r["contact_name"], r["expiring_within"]) for r in rows] == [("Ann Lee", 8)]


def test_outstanding_summary_refuses_expiring_within(cli, ann):
    result = cli("outstanding", "--summary", "--expiring-within", "7 days")

    assert result.exit_code == 1
    assert "use it without --summary or --value" in result.stderr and result.stdout == ""


def test_outstanding_value_prices_the_unused_points(cli, book):
    who = book.contact()
    ledger.issue(
        book.db,
        who,
        book.session,
        4_000,
        user_id=book.admin,
        expires=NEVER,
        at=utc(2025, 1, 5, 10),
        unit_price=8_000,
        currency="USD",
    )
    book.consume(who, 1_500, utc(2025, 1, 6, 10))

    listed = as_json(cli("outstanding", "--value", "--format", "json"))
    summary = as_json(cli("outstanding", "--value", "--summary", "--format", "json"))

    assert [(r["outstanding"], r["value"], r["currency"]) for r in listed] == [
        (2.5, "200.00", "USD")
    ]
    assert [(r["type"], r["value"], r["contacts"]) for r in summary] == [
        ("Session", "200.00", 1)
    ]


def test_a_bad_period_is_refused(cli, ann):
    result = cli("outstanding", "--expiring-within", "soon")

    assert result.exit_code == 1 and "'soon' is not a period" in result.stderr


# voids, empties, literal text, CSV safety, piped tables ----------------------------------


def test_voiding_a_consumption_gives_the_points_back_everywhere(cli, ann, book):
    as_of = ("--as-of", "2025-01-31")
    before = as_json(cli("balance", "ann", *as_of, "--format", "json"))[0]["available"]
    book.void(2, utc(2025, 1, 30, 9))

    balance = as_json(cli("balance", "ann", *as_of, "--format", "json"))
    listed = as_json(cli("outstanding", *as_of, "--format", "json"))
    rows = as_csv(cli("statement", "ann", "--to", "2025-01-31", "--format", "csv"))
    table = ok(cli("statement", "ann", "--to", "2025-01-31")).stdout

    assert (before, balance[0]["available"], listed[0]["outstanding"]) == (11, 13, 13)
    assert rows[1]["voided_at"] == "2025-01-30T09:00:00+00:00"
    assert rows[1]["void_reason"] == "mistake"
    last = rows[-1]
    assert (last["kind"], last["amount"], last["balance"]) == ("void", "2", "13")
    assert "void     Session      +2       13  mistake" in table


def test_empty_reports_are_empty_json_and_a_bare_csv_header(cli, book):
    book.contact()

    for args in (["balance", "ann"], ["statement", "ann"], ["outstanding"]):
        assert as_json(cli(*args, "--format", "json")) == []
        assert ok(cli(*args, "--format", "csv")).stdout.count("\n") == 1
    header = ok(cli("statement", "ann", "-f", "csv")).stdout
    assert header.startswith(",".join(STATEMENT_KEYS))
    assert "nothing to show" in ok(cli("outstanding")).stderr


def test_user_text_is_printed_literally(cli, book):
    kim = book.contact("[bold]Kim[/] :+1:", "kim@example.com")
    book.issue(kim, 2_000, utc(2025, 1, 5, 10), note="[/]")

    balance = ok(cli("balance", "kim@example.com"))
    statement = ok(cli("statement", "kim@example.com"))
    listed = ok(cli("outstanding", "--as-of", "2025-01-31"))
    rows = as_csv(cli("outstanding", "--as-of", "2025-01-31", "--format", "csv"))

    assert balance.stdout.startswith("[bold]Kim[/] :+1: <kim@example.com>: Balance as of")
    assert "Statement for [bold]Kim[/] :+1: <kim@example.com>" in statement.stdout
    assert "  [/]  " in statement.stdout
    assert "[bold]Kim[/] :+1:" in listed.stdout
    assert rows[0]["contact_name"] == "[bold]Kim[/] :+1:"
    assert as_csv(cli("statement", "kim", "--format", "csv"))[0]["note"] == "[/]"
    for output in (balance.output, statement.output, listed.output):
        assert "\N{THUMBS UP SIGN}" not in output


def test_user_text_is_literal_in_a_terminal_table_too(book):
    kim = book.contact("[bold]Kim[/] :+1:", "kim@example.com")
    book.issue(kim, 2_000, utc(2025, 1, 5, 10), note="[/]")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    render.emit(reports.outstanding(book.db, utc(2025, 1, 31)), "table", out)

    assert "[bold]Kim[/] :+1:" in out.getvalue()
    assert "\N{THUMBS UP SIGN}" not in out.getvalue()


def test_csv_neutralises_formulas_but_keeps_numbers_plain(cli, book):
    who = book.contact("=HYPERLINK(1)", "eve@example.com")
    book.issue(who, 5_000, utc(2025, 1, 5, 10), expires=NEVER, note="+gift")
    book.consume(who, 500, utc(2025, 1, 6, 10), note="-half")
    book.consume(who, 500, utc(2025, 1, 7, 10), note="@desk")

    rows = as_csv(cli("statement", "eve@example.com", "--format", "csv"))
    listed = as_csv(cli("outstanding", "--format", "csv"))

    assert [r["note"] for r in rows] == ["'+gift", "'-half", "'@desk"]
    assert [r["amount"] for r in rows] == ["5", "-0.5", "-0.5"]
    assert listed[0]["contact_name"] == "'=HYPERLINK(1)" and listed[0]["outstanding"] == "4"


def test_piped_tables_are_whole_and_plain(cli, book):
    who = book.contact()
    note = "long note " * 20
    book.issue(who, 1_000, utc(2025, 1, 5, 10), note=note.strip() + "!")

    result = ok(cli("statement", "ann"))

    assert note.strip() + "!" in result.stdout
    assert len(note.strip() + "!") == 200
    assert "\x1b[" not in result.output


# check ----------------------------------------------------------------------------------


def test_check_is_silent_on_a_healthy_ledger(cli, ann):
    table = ok(cli("check"))
    listed = ok(cli("check", "--format", "json"))

    assert table.stdout == "" and table.stderr == "ok: 3 entries checked\n"
    assert json.loads(listed.stdout) == []


def test_check_lists_problems_and_exits_1(cli, ann, store):
    store.execute("UPDATE draws SET amount = 1500 WHERE consumption_id = 2")

    table = cli("check")
    listed = cli("check", "--format", "json")

    assert table.exit_code == 1 and listed.exit_code == 1
    assert "draws-sum" in table.stdout and "problems found" in table.stderr
    problem = {
        "check": "draws-sum",
        "entry": 2,
        "message": "consumption #2 is for 2 but its draws add up to 1.5",
    }
    assert problem in json.loads(listed.stdout)
