"""Ledger health checks: each returns the problems it finds, as data.

The checks look at the raw tables with their own queries, independently of the
report formula, so a bug in one is not hidden by the same bug in the other.
Only the balance identity borrows `reports.outstanding`, which is what it
cross-checks against consumptions counted from their own table. `check`
returns an empty list for a healthy ledger; it never writes.
"""

import json
from dataclasses import dataclass

from pointscli import clock, reports
from pointscli.amounts import format_points


@dataclass(frozen=True)
class Problem:
    """One broken rule: which check found it, the entry concerned (if any), and what."""

    check: str
    entry: int | None
    message: str


def check(store) -> list[Problem]:
    """Run every check on one consistent view of the database."""
    now = clock.to_stored(clock.utc_now())
    with store.snapshot():
        problems: list[Problem] = []
        for run in CHECKS:
            problems += run(store, now)
    return problems


def entry_count(store) -> int:
    return store.one("SELECT COUNT(*) FROM entries")[0]


def _when(stored: str) -> str:
    return clock.local_text(stored)


# Draws -------------------------------------------------------------------------


def draws_add_up(store, now: str) -> list[Problem]:
    """Each consumption's draws sum to its amount."""
    rows = store.query(
        "SELECT c.id, c.amount, COALESCE(SUM(d.amount), 0) AS drawn FROM entries c"
        " LEFT JOIN draws d ON d.consumption_id = c.id WHERE c.kind = 'consume'"
        " GROUP BY c.id HAVING drawn != c.amount ORDER BY c.id"
    )
    return [
        Problem(
            "draws-sum",
            r["id"],
            f"consumption #{r['id']} is for {format_points(r['amount'])} but its "
            f"draws add up to {format_points(r['drawn'])}",
        )
        for r in rows
    ]


def grants_not_overdrawn(store, now: str) -> list[Problem]:
    """At no moment do the draws in force on a grant exceed what it issued."""
    rows = store.query(
        "SELECT d.grant_id, d.amount, c.at, c.voided_at, g.amount AS issued FROM draws d"
        " JOIN entries c ON c.id = d.consumption_id JOIN entries g ON g.id = d.grant_id"
        " ORDER BY d.grant_id"
    )
    by_grant: dict[int, list] = {}
    for row in rows:
        by_grant.setdefault(row["grant_id"], []).append(row)
    problems = []
    for grant_id, draws in by_grant.items():
        peak, moment = _peak_in_force(draws)
        if peak > draws[0]["issued"]:
            problems.append(
                Problem(
                    "grant-overdrawn",
                    grant_id,
                    f"grant #{grant_id} issued {format_points(draws[0]['issued'])} but "
                    f"{format_points(peak)} was drawn from it at {_when(moment)}",
                )
            )
    return problems


def _peak_in_force(draws) -> tuple[int, str | None]:
    """The most drawn at once, and when: a draw counts from its date until its void."""
    changes = [(d["at"], 1, d["amount"]) for d in draws]
    # At the same instant a void ends its draw before a new draw starts (0 sorts first).
    changes += [(d["voided_at"], 0, -d["amount"]) for d in draws if d["voided_at"]]
    total, peak, when = 0, 0, None
    for moment, _, amount in sorted(changes):
        total += amount
        if total > peak:
            peak, when = total, moment
    return peak, when


def draws_match_their_grant(store, now: str) -> list[Problem]:
    """A draw takes from a grant of the same contact and type, usable at its time."""
    rows = store.query(
        "SELECT d.consumption_id AS id, d.grant_id, d.amount, c.kind AS c_kind,"
        " c.contact_id AS c_contact, c.type_id AS c_type, c.at AS c_at, g.kind AS g_kind,"
        " g.contact_id AS g_contact, g.type_id AS g_type, g.at AS g_at, g.expires_at"
        " FROM draws d JOIN entries c ON c.id = d.consumption_id"
        " JOIN entries g ON g.id = d.grant_id ORDER BY d.consumption_id, d.grant_id"
    )
    return [
        Problem("draw-grant", row["id"], f"entry #{row['id']} {fault}")
        for row in rows
        for fault in _draw_faults(row)
    ]


def _draw_faults(row) -> list[str]:
    grant = f"grant #{row['grant_id']}"
    faults = []
    if row["c_kind"] != "consume":
        faults.append(f"is not a consumption but draws from {grant}")
    if row["g_kind"] != "grant":
        faults.append(f"draws from entry #{row['grant_id']}, which is not a grant")
    if row["amount"] <= 0:
        faults.append(f"draws {format_points(row['amount'])} from {grant}")
    if row["c_contact"] != row["g_contact"]:
        faults.append(f"draws from {grant} of another contact")
    if row["c_type"] != row["g_type"]:
        faults.append(f"draws from {grant} of another point type")
    if row["g_at"] > row["c_at"]:
        faults.append(f"draws from {grant}, issued later ({_when(row['g_at'])})")
    if row["expires_at"] and row["expires_at"] <= row["c_at"]:
        faults.append(f"draws from {grant}, which had expired ({_when(row['expires_at'])})")
    return faults


# Voids -------------------------------------------------------------------------


def voids_after_entries(store, now: str) -> list[Problem]:
    """A void is dated at or after the entry it voids."""
    rows = store.query(
        "SELECT id, at, voided_at FROM entries WHERE voided_at < at ORDER BY id"
    )
    return [
        Problem(
            "void-date",
            r["id"],
            f"entry #{r['id']} of {_when(r['at'])} is voided earlier, at "
            f"{_when(r['voided_at'])}",
        )
        for r in rows
    ]


def no_use_after_void(store, now: str) -> list[Problem]:
    """No consumption draws from a grant dated after that grant's void."""
    rows = store.query(
        "SELECT d.consumption_id, d.grant_id, c.at, g.voided_at FROM draws d"
        " JOIN entries c ON c.id = d.consumption_id JOIN entries g ON g.id = d.grant_id"
        " WHERE g.voided_at IS NOT NULL AND c.at > g.voided_at ORDER BY d.consumption_id"
    )
    return [
        Problem(
            "used-after-void",
            r["consumption_id"],
            f"consumption #{r['consumption_id']} of {_when(r['at'])} draws from "
            f"grant #{r['grant_id']}, voided at {_when(r['voided_at'])}",
        )
        for r in rows
    ]


# Totals ------------------------------------------------------------------------

# Per contact and type, from the raw tables: consumed counts consumptions, not draws.
_TOTALS = """
WITH active AS (
  SELECT d.grant_id, SUM(d.amount) AS used FROM draws d
  JOIN entries c ON c.id = d.consumption_id
  WHERE c.kind = 'consume' AND c.voided_at IS NULL GROUP BY d.grant_id
)
SELECT e.contact_id, e.type_id, t.name AS type,
  SUM(CASE WHEN e.kind = 'grant' THEN e.amount ELSE 0 END) AS issued,
  SUM(CASE WHEN e.kind = 'consume' AND e.voided_at IS NULL THEN e.amount ELSE 0 END)
    AS consumed,
  SUM(CASE WHEN e.kind = 'grant' AND e.voided_at IS NULL AND e.expires_at <= :now
      THEN e.amount - COALESCE(a.used, 0) ELSE 0 END) AS expired,
  SUM(CASE WHEN e.kind = 'grant' AND e.voided_at IS NOT NULL
      THEN e.amount - COALESCE(a.used, 0) ELSE 0 END) AS voided
FROM entries e JOIN point_types t ON t.id = e.type_id
LEFT JOIN active a ON a.grant_id = e.id
GROUP BY e.contact_id, e.type_id ORDER BY e.contact_id, e.type_id
"""


def totals_balance(store, now: str) -> list[Problem]:
    """issued = consumed + expired + voided + outstanding, per contact and type, now."""
    report = reports.outstanding(store, clock.from_stored(now))
    held = {(r["contact_id"], r["type"]): r["outstanding"] for r in report.rows}
    problems = []
    for row in store.query(_TOTALS, {"now": now}):
        outstanding = held.get((row["contact_id"], row["type"]), 0)
        accounted = row["consumed"] + row["expired"] + row["voided"] + outstanding
        if accounted != row["issued"]:
            kinds = ("consumed", "expired", "voided")
            parts = [f"{format_points(row[kind])} {kind}" for kind in kinds]
            problems.append(
                Problem(
                    "balance",
                    None,
                    f"contact #{row['contact_id']}, {row['type']}: issued "
                    f"{format_points(row['issued'])} but {', '.join(parts)} and "
                    f"{format_points(outstanding)} outstanding add up to "
                    f"{format_points(accounted)}",
                )
            )
    return problems


# References and the file itself --------------------------------------------------


def refs_name_entries(store, now: str) -> list[Problem]:
    """Each idempotency key's stored result names entries that exist."""
    known = {row[0] for row in store.query("SELECT id FROM entries")}
    problems = []
    for row in store.query("SELECT key, result FROM refs ORDER BY key"):
        key, named = row["key"], _entry_numbers(row["result"])
        if named is None:
            problems.append(
                Problem("refs", None, f"--ref {key!r} keeps no list of entry numbers")
            )
            continue
        problems += [
            Problem("refs", n, f"--ref {key!r} names entry #{n}, which is missing")
            for n in named
            if n not in known
        ]
    return problems


def _entry_numbers(result: str | None) -> list[int] | None:
    try:
        named = json.loads(result or "null")
    except ValueError:
        return None
    if not isinstance(named, list) or not all(isinstance(n, int) for n in named):
        return None
    return named


def sqlite_integrity(store, now: str) -> list[Problem]:
    """SQLite's own checks: the file's structure and every foreign key."""
    problems = [
        Problem("integrity", None, row[0])
        for row in store.query("PRAGMA integrity_check")
        if row[0] != "ok"
    ]
    for row in store.query("PRAGMA foreign_key_check"):
        entry = row[1] if row[0] == "entries" else None
        problems.append(
            Problem(
                "foreign-keys",
                entry,
                f"{row[0]} row {row[1]} refers to a missing {row[2]} row",
            )
        )
    return problems


CHECKS = [
    draws_add_up,
    grants_not_overdrawn,
    draws_match_their_grant,
    voids_after_entries,
    no_use_after_void,
    totals_balance,
    refs_name_entries,
    sqlite_integrity,
]
