"""The generated sample practice: fresh databases only, sound ledgers, one per seed."""

import io
from datetime import date

import pytest

from pointscli import clock, demo, directory, reports, transfer
from pointscli.errors import Refused
from pointscli.render import write_csv
from pointscli.storage import open_store

TODAY = date(2025, 11, 20)


@pytest.fixture
def filled(store) -> demo.DemoResult:
    return demo.fill_demo(store, seed=7, today=TODAY)


def exported(store) -> str:
    out = io.StringIO()
    write_csv(transfer.export_ledger(store), out)
    return out.getvalue()


def test_demo_has_the_sample_types_users_and_a_year_ending_yesterday(store, filled):
    types = [
        (t.name, t.plural, str(t.expires) if t.expires else "never")
        for t in directory.list_types(store)
    ]
    span = store.one("SELECT MIN(at) AS first, MAX(at) AS last FROM entries")

    assert types == [
        ("Session", "Sessions", "6 months"),
        ("Group class", "Group classes", "3 months"),
        ("Consult", "Consults", "never"),
    ]
    assert [u["username"] for u in directory.list_users(store)] == ["coach", "sam"]
    assert directory.default_user(store)["username"] == "coach"
    assert date(2024, 11, 20) <= clock.local_date(span["first"]) <= date(2024, 12, 10)
    assert date(2025, 11, 1) < clock.local_date(span["last"]) <= date(2025, 11, 19)
    assert (filled.first_day, filled.last_day) == (date(2024, 11, 20), date(2025, 11, 19))


def test_demo_contacts_are_varied(store, filled):
    names = [c["name"] for c in directory.list_contacts(store)]

    assert 30 <= len(names) == filled.contacts <= 40
    assert len(set(names)) == len(names)
    assert sum(not name.isascii() for name in names) >= 5
    assert all(c["email"].isascii() for c in directory.list_contacts(store))


def test_demo_has_fractions_expiries_gifts_and_both_users(store, filled):
    amounts_used = {
        r["amount"]
        for r in store.query("SELECT DISTINCT amount FROM entries WHERE kind = 'consume'")
    }
    gifts = store.query(
        "SELECT * FROM entries e JOIN point_types t ON t.id = e.type_id"
        " WHERE t.name = 'Session' AND e.kind = 'grant'"
        " AND e.expires_on IS NULL"
    )
    by = {
        r["username"]
        for r in store.query(
            "SELECT DISTINCT u.username FROM entries e JOIN users u ON u.id = e.user_id"
        )
    }
    expired = {
        r["type"]: r["expired"]
        for r in reports.summary(store, clock.parse_when(TODAY.isoformat())).rows
    }

    assert {250, 500, 1000} <= amounts_used
    assert gifts and all(g["source"] == "manual" for g in gifts)
    assert by == {"coach", "sam"}
    assert expired["Session"] > 0 and expired["Group class"] > 0


@pytest.mark.parametrize("as_of", ["2025-01-31", "2025-06-30", "2025-11-20"])
def test_demo_ledger_balances_at_every_time(store, filled, as_of):
    rows = reports.summary(store, clock.parse_when(as_of)).rows

    for row in rows:
        accounted = row["consumed"] + row["expired"] + row["voided"] + row["outstanding"]
        assert row["issued"] == accounted and row["outstanding"] >= 0, row
    holders = reports.outstanding(store, clock.parse_when(as_of)).rows
    assert all(holder["outstanding"] > 0 for holder in holders)


def test_demo_consumptions_are_fully_paid_by_grants_that_could_pay(store, filled):
    unpaid = store.query(
        "SELECT c.id FROM entries c LEFT JOIN draws d ON d.consumption_id = c.id"
        " WHERE c.kind = 'consume' GROUP BY c.id"
        " HAVING COALESCE(SUM(d.amount), 0) != c.amount"
    )
    overdrawn = store.query(
        "SELECT g.id FROM entries g JOIN draws d ON d.grant_id = g.id"
        " GROUP BY g.id HAVING SUM(d.amount) > g.amount"
    )
    out_of_time = store.query(
        "SELECT d.consumption_id FROM draws d JOIN entries c ON c.id = d.consumption_id"
        " JOIN entries g ON g.id = d.grant_id"
        " WHERE g.at > c.at OR (g.expires_at IS NOT NULL AND g.expires_at <= c.at)"
    )

    assert store.one("SELECT COUNT(*) FROM draws")[0] > 500
    assert unpaid == overdrawn == out_of_time == []


def test_same_seed_same_practice_other_seed_another(store, filled, tmp_path):
    same = open_store(tmp_path / "same.db")
    other = open_store(tmp_path / "other.db")
    try:
        demo.fill_demo(same, seed=7, today=TODAY)
        demo.fill_demo(other, seed=8, today=TODAY)

        assert exported(same) == exported(store)
        assert exported(other) != exported(store)
    finally:
        same.close()
        other.close()


def test_demo_refuses_a_database_with_entries(store, filled):
    with pytest.raises(Refused, match="--db demo.db"):
        demo.fill_demo(store, seed=1, today=TODAY)


def test_demo_refuses_a_database_with_types_and_writes_nothing(store):
    directory.add_type(store, "Session")

    with pytest.raises(Refused, match="0 entries, 0 contacts and 1 point types"):
        demo.fill_demo(store, today=TODAY)

    assert store.one("SELECT COUNT(*) FROM users")[0] == 0


def test_cli_demo_prints_the_overview_and_hints(cli, db_path):
    result = cli("--db", db_path, "demo")

    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1].split()
    assert header == [
        "Type",
        "Issued",
        "Consumed",
        "Expired",
        "Voided",
        "Outstanding",
        "Contacts",
    ]
    assert [line.split()[0] for line in result.stdout.splitlines()[3:]] == [
        "Session",
        "Group",
        "Consult",
    ]
    assert result.stderr.startswith(f"Filled {db_path} with a sample practice: ")
    assert f"points --db {db_path} outstanding --expiring-within '30 days'" in result.stderr

    again = cli("demo")
    assert again.exit_code == 1
    assert "the demo fills a fresh database only" in again.stderr and again.stdout == ""
