"""Twenty real processes writing to one database at once: no overdraw, no lost write."""

import json
import os
import random
import re
import sqlite3
import subprocess
import sys

import pytest

CONTACT = "ann@example.com"
ENTRY_RE = re.compile(r"\(entry #(\d+)\)")


@pytest.fixture
def shared_db(db_path, points_process):
    """One database file with a Session type and one contact, made through the CLI."""
    env = {"POINTS_DB": str(db_path)}
    for args in (["type", "add", "Session"], ["contact", "add", "Ann", "--email", CONTACT]):
        done = points_process(*args, env=env)
        assert done.returncode == 0, done.stderr
    return db_path


def seed(db_path, points_process, amount: int) -> None:
    done = points_process(
        "issue",
        CONTACT,
        amount,
        "--type",
        "Session",
        "--ref",
        "seed",
        env={"POINTS_DB": str(db_path)},
    )
    assert done.returncode == 0, done.stderr


def run_at_once(db_path, commands: list[list[str]]) -> list[tuple]:
    """Start every command before waiting for any: (args, exit code, stdout, stderr)."""
    env = {**os.environ, "POINTS_DB": str(db_path)}
    started = [
        (
            args,
            subprocess.Popen(
                [sys.executable, "-m", "pointscli", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for args in commands
    ]
    finished = []
    for args, process in started:
        stdout, stderr = process.communicate(timeout=120)
        finished.append((args, process.returncode, stdout, stderr))
    return finished


def balance(db_path, points_process) -> int | float:
    done = points_process(
        "balance", CONTACT, "--format", "json", env={"POINTS_DB": str(db_path)}
    )
    assert done.returncode == 0, done.stderr
    [row] = [r for r in json.loads(done.stdout) if r["type"] == "Session"]
    return row["available"]


def entries(db_path) -> dict[int, sqlite3.Row]:
    conn = sqlite3.connect(str(db_path))
    conn.row_factory = sqlite3.Row
    try:
        return {row["id"]: row for row in conn.execute("SELECT * FROM entries")}
    finally:
        conn.close()


def assert_clean(results) -> None:
    """Every process succeeded or was refused for the balance, and nothing crashed."""
    for args, code, _, stderr in results:
        assert "database is locked" not in stderr, (args, stderr)
        assert "Traceback" not in stderr, (args, stderr)
        assert code in (0, 1), (args, code, stderr)
        if code == 1:
            assert args[0] == "consume", (args, stderr)
            assert stderr.startswith("Error: "), stderr
            assert "available" in stderr and "cannot consume 1." in stderr, stderr


def consumed_entries(results, rows) -> list[int]:
    """The entry number each successful consume reported; each must exist, unvoided."""
    numbers = []
    for args, code, _, stderr in results:
        if args[0] == "consume" and code == 0:
            [number] = ENTRY_RE.findall(stderr)
            entry = rows[int(number)]
            assert entry["kind"] == "consume" and entry["amount"] == 1000
            assert entry["voided_at"] is None
            numbers.append(int(number))
    assert len(numbers) == len(set(numbers))
    return numbers


def test_twenty_consumers_of_ten_points_succeed_exactly_ten_times(
    shared_db, points_process
):
    seed(shared_db, points_process, 10)
    commands = [["consume", CONTACT, "1", "--type", "Session"] for _ in range(20)]

    results = run_at_once(shared_db, commands)

    assert_clean(results)
    assert sum(code == 0 for _, code, _, _ in results) == 10
    rows = entries(shared_db)
    assert len(consumed_entries(results, rows)) == 10
    assert sum(r["kind"] == "consume" for r in rows.values()) == 10
    assert balance(shared_db, points_process) == 0


def test_issuers_and_consumers_at_once_never_overdraw_or_lose_a_write(
    shared_db, points_process
):
    seed(shared_db, points_process, 3)
    commands = [
        ["issue", CONTACT, "1", "--type", "Session", "--ref", f"order-{n}"]
        for n in range(10)
    ]
    commands += [["consume", CONTACT, "1", "--type", "Session"] for _ in range(10)]
    random.Random(20250412).shuffle(commands)

    results = run_at_once(shared_db, commands)

    assert_clean(results)
    rows = entries(shared_db)
    issued_refs = {r["ref"] for r in rows.values() if r["kind"] == "grant"}
    for args, code, _, stderr in results:
        if args[0] == "issue":
            assert code == 0, stderr
            assert args[-1] in issued_refs
    consumed = consumed_entries(results, rows)
    assert sum(r["kind"] == "consume" for r in rows.values()) == len(consumed)
    assert sum(r["kind"] == "grant" for r in rows.values()) == 11

    final = balance(shared_db, points_process)
    assert final >= 0
    assert final == 3 + 10 - len(consumed)
