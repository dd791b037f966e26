"""Storage: file permissions, WAL, schema versions and migrations, transactions."""

import os
import sqlite3
import stat

import pytest

from pointscli import directory, migrations
from pointscli.errors import InvalidInput, SchemaTooNew
from pointscli.storage import open_store


def raw(path) -> sqlite3.Connection:
    """A plain connection of our own, outside pointscli."""
    return sqlite3.connect(str(path), isolation_level=None)


def scalar(path, sql: str):
    conn = raw(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def count_contacts(path) -> int:
    return scalar(path, "SELECT COUNT(*) FROM contacts")


def test_a_new_database_file_is_private_to_its_owner(tmp_path):
    path = tmp_path / "deeper" / "points.db"

    open_store(path).close()

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_database_runs_in_wal_mode(store, db_path):
    assert store.one("PRAGMA journal_mode")[0] == "wal"
    assert scalar(db_path, "PRAGMA journal_mode") == "wal"


def test_connections_wait_for_a_busy_database(store):
    assert store.one("PRAGMA busy_timeout")[0] >= 5000


def test_a_new_database_is_at_the_current_schema(store):
    names = [row[0] for row in store.query("SELECT name FROM _migrations ORDER BY name")]

    assert store.one("PRAGMA user_version")[0] == len(migrations.MIGRATIONS)
    assert names == [name for name, _ in migrations.MIGRATIONS]


def test_reopening_keeps_rows_and_applies_nothing_again(db_path):
    store = open_store(db_path)
    directory.add_contact(store, "Ann", "ann@example.com")
    store.close()

    again = open_store(db_path)
    again.close()

    assert count_contacts(db_path) == 1
    assert scalar(db_path, "SELECT COUNT(*) FROM _migrations") == len(migrations.MIGRATIONS)


def test_a_database_from_a_newer_pointscli_is_refused(db_path):
    open_store(db_path).close()
    newer = len(migrations.MIGRATIONS) + 1
    conn = raw(db_path)
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.close()

    with pytest.raises(SchemaTooNew) as refused:
        open_store(db_path)

    message = str(refused.value)
    assert "newer pointscli" in message
    assert f"schema {newer}" in message
    assert "upgrade pointscli" in message
    assert scalar(db_path, "PRAGMA user_version") == newer


def test_an_older_schema_is_migrated_keeping_every_row(db_path, monkeypatch):
    store = open_store(db_path)
    for number in range(3):
        directory.add_contact(store, f"Client {number}", f"client{number}@example.com")
    store.close()
    old_version = scalar(db_path, "PRAGMA user_version")

    # A newer tool: one more migration than the file has seen.
    def add_tags(db):
        db["tags"].create({"id": int, "name": str}, pk="id")

    newer = [*migrations.MIGRATIONS, ("9999_tags", add_tags)]
    monkeypatch.setattr(migrations, "MIGRATIONS", newer)
    upgraded = open_store(db_path)
    upgraded.close()

    assert scalar(db_path, "PRAGMA user_version") == old_version + 1
    assert count_contacts(db_path) == 3
    assert scalar(db_path, "SELECT COUNT(*) FROM tags") == 0
    assert scalar(db_path, "SELECT COUNT(*) FROM _migrations WHERE name = '9999_tags'") == 1


def test_a_first_schema_file_is_brought_up_to_date_keeping_its_ledger(db_path, monkeypatch):
    from datetime import datetime, timezone

    from pointscli import ledger

    # Written by the first release, which knew only the first migration.
    every_step = migrations.MIGRATIONS
    monkeypatch.setattr(migrations, "MIGRATIONS", every_step[:1])
    old = open_store(db_path)
    session = directory.add_type(old, "Session")
    ann = directory.add_contact(old, "Ann", "ann@example.com")["id"]
    admin = directory.default_user(old)["id"]
    at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    ledger.issue(old, ann, session, 2000, user_id=admin, at=at, ref="order-1")
    ledger.consume(old, ann, session, 500, user_id=admin, at=at)
    old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", every_step)
    before = {
        table: scalar(db_path, f"SELECT COUNT(*) FROM {table}")
        for table in ("entries", "draws", "refs", "contacts", "users", "point_types")
    }

    current = open_store(db_path)
    try:
        assert current.one("PRAGMA user_version")[0] == len(every_step)
        after = {table: current.one(f"SELECT COUNT(*) FROM {table}")[0] for table in before}
        assert after == before
        assert ledger.available(current, ann, session.id, at=at) == 1500
    finally:
        current.close()


def test_a_failing_migration_leaves_the_file_as_it_was(db_path, monkeypatch):
    store = open_store(db_path)
    directory.add_contact(store, "Ann", "ann@example.com")
    store.close()
    old_version = scalar(db_path, "PRAGMA user_version")

    def broken(db):
        db["half_made"].create({"id": int}, pk="id")
        raise RuntimeError("migration bug")

    newer = [*migrations.MIGRATIONS, ("9999_broken", broken)]
    monkeypatch.setattr(migrations, "MIGRATIONS", newer)
    with pytest.raises(RuntimeError, match="migration bug"):
        open_store(db_path)

    assert scalar(db_path, "PRAGMA user_version") == old_version
    half_made = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_made'"
    assert scalar(db_path, half_made) == 0
    assert count_contacts(db_path) == 1


def test_an_sqlite_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = raw(path)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO recipes (title) VALUES ('soup')")
    conn.close()

    with pytest.raises(InvalidInput, match="another program"):
        open_store(path)

    assert scalar(path, "SELECT COUNT(*) FROM sqlite_master") == 1
    assert scalar(path, "SELECT title FROM recipes") == "soup"


def test_refusing_another_program_file_does_not_change_its_journal_mode(tmp_path):
    path = tmp_path / "other.db"
    conn = raw(path)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, title TEXT)")
    conn.close()

    with pytest.raises(InvalidInput):
        open_store(path)

    # Switching a foreign file to WAL would be a lasting change to someone else's data.
    assert scalar(path, "PRAGMA journal_mode") == "delete"


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: milk, eggs\n" * 200)
    before = path.read_bytes()

    with pytest.raises(InvalidInput, match="not a pointscli database"):
        open_store(path)

    assert path.read_bytes() == before


def test_a_folder_is_refused_as_a_database(tmp_path):
    with pytest.raises(InvalidInput, match="is a folder"):
        open_store(tmp_path)


def test_a_write_is_visible_from_a_new_connection(store, db_path):
    with store.write():
        store.execute("INSERT INTO settings (key, value) VALUES ('currency', 'EUR')")

    assert scalar(db_path, "SELECT value FROM settings WHERE key = 'currency'") == "EUR"
    other = open_store(db_path)
    try:
        assert directory.default_currency(other) == "EUR"
    finally:
        other.close()


def test_a_failing_write_leaves_nothing(store, db_path):
    with pytest.raises(RuntimeError, match="half way"):
        with store.write():
            store.execute("INSERT INTO settings (key, value) VALUES ('currency', 'EUR')")
            store.execute(
                "INSERT INTO users (username, username_key, created_at)"
                " VALUES ('x', 'x', 'now')"
            )
            raise RuntimeError("half way")

    assert scalar(db_path, "SELECT COUNT(*) FROM settings") == 0
    assert scalar(db_path, "SELECT COUNT(*) FROM users") == 0
    assert not store.conn.in_transaction


def test_a_nested_write_joins_the_outer_transaction(store, db_path):
    with pytest.raises(RuntimeError):
        with store.write():
            with store.write():
                store.execute("INSERT INTO settings (key, value) VALUES ('c', 'EUR')")
            assert store.conn.in_transaction
            raise RuntimeError("after the inner write")

    assert scalar(db_path, "SELECT COUNT(*) FROM settings") == 0


def test_a_failing_core_call_inside_a_write_rolls_back_earlier_steps(store, db_path):
    from pointscli.errors import Refused

    with pytest.raises(Refused):
        with store.write():
            directory.add_contact(store, "Ann", "ann@example.com")
            directory.add_contact(store, "Ann again", "ANN@example.com")

    assert count_contacts(db_path) == 0


def test_the_store_can_write_again_after_a_failed_write(store, db_path):
    with pytest.raises(ValueError):
        with store.write():
            store.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
            raise ValueError

    with store.write():
        store.execute("INSERT INTO settings (key, value) VALUES ('b', '2')")

    assert scalar(db_path, "SELECT group_concat(key) FROM settings") == "b"


def test_a_write_takes_the_lock_before_reading(store, db_path):
    # An immediate transaction: another writer must wait (here: fail fast) at once.
    other = raw(db_path)
    other.execute("PRAGMA busy_timeout = 0")
    try:
        with store.write():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
