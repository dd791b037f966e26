"""Backups: a consistent, private, complete copy; existing files kept unless forced."""

import sqlite3
import stat

import pytest

from pointscli import backup, directory, ledger
from pointscli.errors import InvalidInput, Refused
from pointscli.storage import connect, open_store


def some_entries(store, count: int = 3) -> None:
    directory.add_type(store, "Session")
    ann = directory.add_contact(store, "Ann Lee", "ann@example.com")["id"]
    session = directory.find_type(store, "Session")
    for _ in range(count):
        ledger.issue(store, ann, session, 1000, user_id=directory.default_user(store)["id"])


def entries_in(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def test_backup_is_a_private_complete_single_file(store, tmp_path):
    some_entries(store)
    dest = tmp_path / "copy.db"

    copied = backup.backup(store, dest)

    assert (copied.path, copied.entries) == (dest, 3)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    beside = [p.name for p in tmp_path.iterdir() if not p.name.startswith("points.db")]
    assert beside == ["copy.db"]
    reopened = open_store(dest)
    try:
        assert reopened.one("SELECT COUNT(*) FROM entries")[0] == 3
    finally:
        reopened.close()


def test_backup_while_another_process_writes_copies_the_committed_state(
    store, db_path, tmp_path
):
    some_entries(store)
    writer = connect(db_path)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE contacts SET name = 'Half written'")

        copied = backup.backup(store, tmp_path / "copy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert copied.entries == 3
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("SELECT name FROM contacts").fetchall() == [("Ann Lee",)]


def test_existing_file_is_kept_unless_forced(store, tmp_path):
    some_entries(store, 1)
    dest = tmp_path / "copy.db"
    dest.write_text("keep me")

    with pytest.raises(Refused, match="already exists: give a new file name, or --force"):
        backup.backup(store, dest)
    assert dest.read_text() == "keep me"

    dest.chmod(0o644)
    backup.backup(store, dest, force=True)
    assert entries_in(dest) == 1 and stat.S_IMODE(dest.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "where, error, message",
    [
        ("folder", InvalidInput, "is a folder"),
        ("missing/copy.db", InvalidInput, "does not exist"),
        ("points.db", Refused, "is the database itself"),
    ],
)
def test_bad_destinations_are_refused(store, tmp_path, where, error, message):
    (tmp_path / "folder").mkdir()

    with pytest.raises(error, match=message):
        backup.backup(store, tmp_path / where, force=True)


def test_cli_backup(cli, tmp_path):
    cli("type", "add", "Session")
    cli("contact", "add", "Ann", "--email", "ann@example.com")
    cli("issue", "ann@example.com", "2")
    dest = tmp_path / "copy.db"

    first = cli("backup", dest)
    again = cli("backup", dest)
    forced = cli("backup", dest, "--force")

    assert first.exit_code == 0, first.output
    assert first.stdout == "" and first.stderr.endswith(f" to {dest} (1 entry).\n")
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert forced.exit_code == 0, forced.output
    assert entries_in(dest) == 1
