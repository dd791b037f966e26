"""Rerunnable benchmark: start-up, the sample import and reports on a large ledger.

Usage: python bench/run.py [--contacts N] [--grants-per-contact G]
Builds its databases in a temporary folder, times whole `points` processes
(median of 5 runs) and prints a Markdown table to paste into bench/RESULTS.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pointscli import directory
from pointscli.storage import open_store

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "practice-2025" / "ledger.csv"


def timed(args: list[str], env: dict, runs: int = 5, stdin=None) -> float:
    """Median wall time in ms of `python -m pointscli ARGS`."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pointscli", *args], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=stdin)
        samples.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise SystemExit(f"points {' '.join(args)} failed: {done.stderr.decode()}")
    return statistics.median(samples)


def build_large(path: Path, contacts: int, grants: int) -> int:
    """A valid ledger: each contact gets G grants of 10 and uses 3 of each."""
    store = open_store(path)
    session = directory.add_type(store, "Session", expires="6 months")
    user = directory.default_user(store)
    with store.write():
        store.conn.executemany(
            "INSERT INTO contacts (id, name, email, email_key, created_at) VALUES (?,?,?,?,?)",
            [(c, f"Client {c}", f"c{c}@example.com", f"c{c}@example.com", "2025-01-01T00:00:00Z")
             for c in range(1, contacts + 1)])
        entries, draws, next_id = [], [], 1
        for c in range(1, contacts + 1):
            for g in range(grants):
                grant_id, day = next_id, 1 + g % 28
                entries.append((grant_id, "grant", c, session.id, 10000, f"2025-01-{day:02d}T10:00:00Z",
                                "2099-12-31", "2100-01-01T00:00:00Z", "manual", user["id"]))
                for k in range(3):
                    entries.append((grant_id + 1 + k, "consume", c, session.id, 1000,
                                    f"2025-02-{day:02d}T1{k}:00:00Z", None, None, None, user["id"]))
                    draws.append((grant_id + 1 + k, grant_id, 1000))
                next_id += 4
        store.conn.executemany(
            "INSERT INTO entries (id, kind, contact_id, type_id, amount, at, expires_on, expires_at,"
            " source, user_id, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,'2025-01-01T00:00:00Z')",
            entries)
        store.conn.executemany("INSERT INTO draws VALUES (?,?,?)", draws)
    store.close()
    return len(entries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--grants-per-contact", type=int, default=5)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="points-bench-"))
    env = {**os.environ, "TZ": "UTC", "POINTS_DB": str(folder / "small.db")}
    rows = []
    subprocess.run([sys.executable, "-m", "pointscli", "type", "add", "Session"], env=env,
                   capture_output=True)
    rows.append(("start-up: `points --version`", timed(["--version"], env)))
    rows.append(("start-up: `type list --format json` (small db)", timed(["type", "list", "-f", "json"], env)))

    if SAMPLE.exists():
        env_sample = {**env, "POINTS_DB": str(folder / "sample.db")}
        for name, plural, period in (("Session", "Sessions", "6 months"),
                                     ("Group class", "Group classes", "3 months"),
                                     ("Consult", "Consults", "never")):
            subprocess.run([sys.executable, "-m", "pointscli", "type", "add", name, "--plural", plural,
                            "--expires", period], env=env_sample, capture_output=True, check=True)
        rows.append(("import the sample practice (dry run, 1,015 rows)",
                     timed(["import", "ledger", str(SAMPLE), "--dry-run"], env_sample)))

    big = folder / "big.db"
    count = build_large(big, options.contacts, options.grants_per_contact)
    env_big = {**env, "POINTS_DB": str(big)}
    label = f"{count:,} entries, {options.contacts:,} contacts"
    rows.append((f"`outstanding --summary --format json` ({label})",
                 timed(["outstanding", "--summary", "-f", "json"], env_big, runs=3)))
    rows.append((f"`outstanding --format csv` ({label})",
                 timed(["outstanding", "-f", "csv"], env_big, runs=3)))
    rows.append((f"`balance c1@example.com --format json` ({label})",
                 timed(["balance", "c1@example.com", "-f", "json"], env_big)))
    rows.append((f"`consume c2@example.com 1` ({label})",
                 timed(["consume", "c2@example.com", "1"], env_big, runs=3)))

    print("| what | median ms |\n| --- | ---: |")
    for what, ms in rows:
        print(f"| {what} | {ms:,.0f} |")


if __name__ == "__main__":
    main()
