"""`check` on the core: silent on a healthy ledger, and each check fires on its damage.

Every damaging test gets a copy of the same healthy ledger, breaks it with raw
SQL (foreign keys off, as another program might), and expects its check by name.
"""

import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pointscli import directory, ledger
from pointscli.checks import Problem, check, entry_count
from pointscli.clock import Expiry
from pointscli.storage import open_store

NEVER = Expiry(never=True)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def build_healthy(store) -> None:
    """Ann and Bob with issues, consumptions, a void of each kind and expiries.

    Entries: 1 Ann Session 10 (valid until 2025-02-05), 2 Ann Bonus 2 (never),
    3 Ann uses 3 Sessions on 2025-01-10, 4 Ann uses 1 on 2025-01-11 09:00
    (voided at 10:00), 5 Bob Session 0.5 and 6 Bob Session 4, 7 Bob uses 1 on
    2025-01-12 (0.5 from each), 8 Ann Bonus 5, 9 Ann uses 1.5 Bonus from 8,
    then 8 is voided for its unused 3.5.
    """
    session = directory.add_type(store, "Session", expires="1 month")
    bonus = directory.add_type(store, "Bonus")
    ann = directory.add_contact(store, "Ann", "ann@example.com")["id"]
    bob = directory.add_contact(store, "Bob", "bob@example.com")["id"]
    admin = directory.default_user(store)["id"]

    def issue(who, kind, amount, at, **extra):
        ledger.issue(store, who, kind, amount, user_id=admin, at=at, **extra)

    def consume(who, kind, amount, at):
        ledger.consume(store, who, kind, amount, user_id=admin, at=at)

    issue(ann, session, 10_000, utc(2025, 1, 5, 10), ref="order-1")
    issue(ann, bonus, 2_000, utc(2025, 1, 5, 11))
    consume(ann, session, 3_000, utc(2025, 1, 10, 9))
    consume(ann, session, 1_000, utc(2025, 1, 11, 9))
    ledger.void(store, 4, user_id=admin, at=utc(2025, 1, 11, 10), reason="typo")
    soon = Expiry(on=utc(2025, 1, 20).date())
    issue(bob, session, 500, utc(2025, 1, 6, 10), expires=soon)
    issue(bob, session, 4_000, utc(2025, 1, 6, 11))
    consume(bob, session, 1_000, utc(2025, 1, 12, 9))
    issue(ann, bonus, 5_000, utc(2025, 1, 7, 10), expires=Expiry(on=utc(2025, 3, 1).date()))
    consume(ann, bonus, 1_500, utc(2025, 1, 8, 10))
    ledger.void(store, 8, user_id=admin, at=utc(2025, 1, 9, 10))


@pytest.fixture(scope="module")
def healthy_file(tmp_path_factory) -> Path:
    """The healthy ledger, built once (in UTC) and copied for each test to damage."""
    path = tmp_path_factory.mktemp("healthy") / "points.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        store = open_store(path)
        build_healthy(store)
        store.close()
    time.tzset()
    return path


@pytest.fixture
def healthy(healthy_file, db_path):
    shutil.copy(healthy_file, db_path)
    store = open_store(db_path)
    yield store
    store.close()


def damage(store, *statements: str) -> list[Problem]:
    store.execute("PRAGMA foreign_keys = OFF")
    for sql in statements:
        store.execute(sql)
    return check(store)


def test_a_healthy_ledger_has_no_problems(healthy):
    assert healthy.one("SELECT COUNT(*) FROM draws WHERE consumption_id = 7")[0] == 2
    assert check(healthy) == []
    assert entry_count(healthy) == 9


def test_an_empty_database_has_no_problems(store):
    assert check(store) == []


DAMAGE = {
    "draws-sum": ["UPDATE draws SET amount = 2500 WHERE consumption_id = 3"],
    "grant-overdrawn": [
        "UPDATE entries SET amount = 12000 WHERE id = 3",
        "UPDATE draws SET amount = 12000 WHERE consumption_id = 3",
    ],
    "draw-grant": ["UPDATE entries SET contact_id = 2 WHERE id = 1"],
    "void-date": ["UPDATE entries SET voided_at = '2025-01-11T08:00:00Z' WHERE id = 4"],
    "used-after-void": [
        "UPDATE entries SET voided_at = '2025-01-09T00:00:00Z' WHERE id = 1"
    ],
    "balance": ["UPDATE entries SET amount = 2000 WHERE id = 7"],
    "refs": ["INSERT INTO refs VALUES ('order-9', 'issue', '{}', '[99]', '2025-01-01')"],
    "foreign-keys": ["UPDATE entries SET user_id = 99 WHERE id = 5"],
}


@pytest.mark.parametrize("name", DAMAGE)
def test_each_check_fires_on_its_damage(healthy, name):
    problems = damage(healthy, *DAMAGE[name])

    assert name in {p.check for p in problems}, problems


def test_problems_name_the_entry_and_what_is_wrong(healthy):
    problems = damage(healthy, "UPDATE draws SET amount = 2500 WHERE consumption_id = 3")

    message = "consumption #3 is for 3 but its draws add up to 2.5"
    assert Problem("draws-sum", 3, message) in problems


@pytest.mark.parametrize(
    "sql, fault",
    [
        ("UPDATE entries SET type_id = 2 WHERE id = 6", "of another point type"),
        ("UPDATE entries SET contact_id = 1 WHERE id = 6", "of another contact"),
        ("UPDATE entries SET at = '2025-01-13T00:00:00Z' WHERE id = 6", "issued later"),
        (
            "UPDATE entries SET expires_at = '2025-01-12T09:00:00Z' WHERE id = 6",
            "had expired",
        ),
        ("UPDATE draws SET grant_id = 7 WHERE grant_id = 6", "which is not a grant"),
    ],
)
def test_a_draw_must_fit_its_grant(healthy, sql, fault):
    problems = [p for p in damage(healthy, sql) if p.check == "draw-grant"]

    assert [p.entry for p in problems] == [7] and fault in problems[0].message


def test_draws_count_while_in_force_only(healthy):
    # On 2025-01-11 from 09:00 to 10:00 entries 3 and 4 both drew on grant 1: 4 in all.
    assert damage(healthy, "UPDATE entries SET amount = 4000 WHERE id = 1") == []

    problems = damage(healthy, "UPDATE entries SET amount = 3500 WHERE id = 1")

    assert [(p.check, p.entry) for p in problems] == [("grant-overdrawn", 1)]
    assert "4 was drawn from it at 2025-01-11 09:00" in problems[0].message


def test_a_ref_with_an_unreadable_result_is_reported(healthy):
    problems = damage(healthy, "UPDATE refs SET result = 'oops' WHERE key = 'order-1'")

    assert [(p.check, p.entry) for p in problems] == [("refs", None)]


def test_sqlite_integrity_problems_are_reported(healthy):
    # Redefine an index so its stored entries no longer match the table.
    healthy.execute("PRAGMA writable_schema = ON")
    healthy.execute(
        "UPDATE sqlite_master SET sql = 'CREATE UNIQUE INDEX idx_contacts_email_key"
        " ON contacts (name)' WHERE name = 'idx_contacts_email_key'"
    )
    healthy.execute("PRAGMA writable_schema = OFF")
    healthy.conn.close()

    reopened = open_store(healthy.path)
    try:
        assert "integrity" in {p.check for p in check(reopened)}
    finally:
        reopened.close()
