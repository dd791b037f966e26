"""The ledger's rules: issuing, consuming and voiding points, and idempotent refs.

Every write here runs inside one immediate transaction (`store.write()`), so the
balance a consumption checks cannot change before it is recorded. Grants and
consumptions share one numbered `entries` table; a consumption's `draws` say
which grants paid for it, chosen soonest expiry first, never-expiring last,
older issue first among equals. Nothing is deleted or edited: a void marks the
entry and keeps it.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from pointscli import amounts, clock
from pointscli.clock import Expiry
from pointscli.directory import PointType
from pointscli.errors import InvalidInput, NotFound, RefConflict, Refused

SOURCES = ("manual", "purchase", "subscription", "trigger", "import")
MAX_REF_LENGTH = 200


@dataclass(frozen=True)
class Outcome:
    """What a write did: the entries it made, and whether a --ref replay wrote nothing."""

    entries: list[int]
    replayed: bool = False
    detail: str = ""


# Idempotency keys -------------------------------------------------------------


def check_ref(ref: str | None) -> str | None:
    if ref is None:
        return None
    cleaned = ref.strip()
    if not cleaned or len(cleaned) > MAX_REF_LENGTH:
        raise InvalidInput(f"--ref must be 1 to {MAX_REF_LENGTH} characters, got {ref!r}")
    return cleaned


def replay(store, ref: str | None, action: str, meaning: dict) -> Outcome | None:
    """The earlier outcome when this ref was used with the same meaning, else None."""
    if ref is None:
        return None
    row = store.one("SELECT * FROM refs WHERE key = ?", (ref,))
    if row is None:
        return None
    if row["action"] != action or row["fingerprint"] != _fingerprint(meaning):
        raise RefConflict(
            f"--ref {ref!r} was already used for a different {row['action']}: "
            "use a new key for a new operation, or repeat the original command exactly"
        )
    return Outcome(json.loads(row["result"]), replayed=True)


def remember(
    store, ref: str | None, action: str, meaning: dict, entries: list[int]
) -> None:
    if ref is not None:
        store.execute(
            "INSERT INTO refs (key, action, fingerprint, result, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                ref,
                action,
                _fingerprint(meaning),
                json.dumps(entries),
                clock.to_stored(clock.utc_now()),
            ),
        )


def _fingerprint(meaning: dict) -> str:
    return json.dumps(meaning, sort_keys=True, default=str)


def idempotent(store, ref: str | None, action: str, meaning: dict, write) -> Outcome:
    """Run `write()` (returning entry ids) once per ref, inside one transaction."""
    ref = check_ref(ref)
    with store.write():
        earlier = replay(store, ref, action, meaning)
        if earlier:
            return earlier
        entries = write()
        remember(store, ref, action, meaning, entries)
    return Outcome(entries)


# Times -------------------------------------------------------------------------


def resolve_at(at: datetime | None) -> datetime:
    """When a write happens: now, or a past moment; the future is refused."""
    now = clock.utc_now()
    if at is None:
        return now
    if at > now:
        raise InvalidInput(
            f"--at {clock.local_text(clock.to_stored(at))} is in the future: "
            "record work when it has happened"
        )
    return at


# Issuing -----------------------------------------------------------------------


def expiry_for(
    point_type: PointType, expires: Expiry | None, at: datetime
) -> tuple[str | None, str | None]:
    """The grant's last usable day and the stored instant it ends, from the issue date."""
    spec = expires or point_type.expires
    issued_on = clock.local_date(clock.to_stored(at))
    last_day = spec.date_for(issued_on) if spec else None
    if last_day is None:
        return None, None
    if last_day < issued_on:
        raise InvalidInput(
            f"expiry {last_day.isoformat()} is before the issue date {issued_on.isoformat()}: "
            "give a later date or a period such as 6 months"
        )
    return last_day.isoformat(), clock.expiry_instant(last_day)


def issue(
    store,
    contact_id: int,
    point_type: PointType,
    amount: int,
    *,
    user_id: int,
    at: datetime | None = None,
    expires: Expiry | None = None,
    note: str | None = None,
    source: str = "manual",
    ref: str | None = None,
    unit_price: int | None = None,
    currency: str | None = None,
) -> Outcome:
    """Grant points to a contact; with a ref, a repeat writes nothing."""
    meaning = {
        "contact": contact_id,
        "type": point_type.id,
        "amount": amount,
        "user": user_id,
        "at": at and clock.to_stored(at),
        "expires": expires and str(expires),
        "note": note,
        "source": source,
        "unit_price": unit_price,
        "currency": currency,
    }
    if point_type.archived:
        raise Refused(
            f"point type {point_type.name!r} is archived: no new points can be issued"
        )

    def write() -> list[int]:
        return [
            insert_grant(
                store,
                contact_id,
                point_type,
                amount,
                user_id=user_id,
                at=resolve_at(at),
                expires=expires,
                note=note,
                source=source,
                ref=ref,
                unit_price=unit_price,
                currency=currency,
            )
        ]

    return idempotent(store, ref, "issue", meaning, write)


def insert_grant(
    store,
    contact_id: int,
    point_type: PointType,
    amount: int,
    *,
    user_id: int,
    at: datetime,
    expires: Expiry | None,
    note: str | None,
    source: str,
    ref: str | None = None,
    unit_price: int | None = None,
    currency: str | None = None,
) -> int:
    """Write one grant row (callers hold the transaction and have checked the inputs)."""
    if source not in SOURCES:
        raise InvalidInput(f"unknown grant source {source!r}")
    expires_on, expires_at = expiry_for(point_type, expires, at)
    cursor = store.execute(
        "INSERT INTO entries (kind, contact_id, type_id, amount, at, expires_on, expires_at,"
        " source, note, user_id, ref, unit_price, currency, recorded_at)"
        " VALUES ('grant', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            contact_id,
            point_type.id,
            amount,
            clock.to_stored(at),
            expires_on,
            expires_at,
            source,
            note,
            user_id,
            ref,
            unit_price,
            currency,
            clock.to_stored(clock.utc_now()),
        ),
    )
    return cursor.lastrowid


# Consuming ---------------------------------------------------------------------

# A grant's drawable remainder counts every draw by a consumption that is still
# in force at or after the new one's time, even one dated later: a backdated
# consumption must never push a later moment's balance below zero.
_USABLE_GRANTS = """
SELECT g.id, g.amount - COALESCE((
         SELECT SUM(d.amount) FROM draws d JOIN entries c ON c.id = d.consumption_id
         WHERE d.grant_id = g.id AND (c.voided_at IS NULL OR c.voided_at > :at)
       ), 0) AS drawable
FROM entries g
WHERE g.kind = 'grant' AND g.contact_id = :contact AND g.type_id = :type
  AND g.at <= :at AND g.voided_at IS NULL
  AND (g.expires_at IS NULL OR g.expires_at > :at)
ORDER BY g.expires_at IS NULL, g.expires_at, g.at, g.id
"""


def usable_grants(store, contact_id: int, type_id: int, at: str) -> list[tuple[int, int]]:
    """(grant id, drawable thousandths) in drawdown order, at a stored instant."""
    rows = store.query(_USABLE_GRANTS, {"contact": contact_id, "type": type_id, "at": at})
    return [(r["id"], r["drawable"]) for r in rows if r["drawable"] > 0]


def available(store, contact_id: int, type_id: int, at: datetime | None = None) -> int:
    """Thousandths a consumption could draw now (or at `at`)."""
    moment = clock.to_stored(at or clock.utc_now())
    return sum(
        drawable for _, drawable in usable_grants(store, contact_id, type_id, moment)
    )


def plan_draws(grants: list[tuple[int, int]], amount: int) -> list[tuple[int, int]]:
    """Take `amount` from grants in order: [(grant id, thousandths)]."""
    draws, left = [], amount
    for grant_id, drawable in grants:
        if left == 0:
            break
        take = min(drawable, left)
        draws.append((grant_id, take))
        left -= take
    return draws


def consume(
    store,
    contact_id: int,
    point_type: PointType,
    amount: int,
    *,
    user_id: int,
    at: datetime | None = None,
    note: str | None = None,
    ref: str | None = None,
    contact_label: str = "the contact",
) -> Outcome:
    """Record points used, drawing from grants in order; overdraw is refused."""
    meaning = {
        "contact": contact_id,
        "type": point_type.id,
        "amount": amount,
        "user": user_id,
        "at": at and clock.to_stored(at),
        "note": note,
    }

    def write() -> list[int]:
        return [
            insert_consumption(
                store,
                contact_id,
                point_type,
                amount,
                user_id=user_id,
                at=resolve_at(at),
                note=note,
                ref=ref,
                contact_label=contact_label,
            )
        ]

    return idempotent(store, ref, "consume", meaning, write)


def insert_consumption(
    store,
    contact_id: int,
    point_type: PointType,
    amount: int,
    *,
    user_id: int,
    at: datetime,
    note: str | None,
    ref: str | None = None,
    contact_label: str = "the contact",
) -> int:
    """Write one consumption and its draws (callers hold the transaction)."""
    moment = clock.to_stored(at)
    grants = usable_grants(store, contact_id, point_type.id, moment)
    balance = sum(drawable for _, drawable in grants)
    if amount > balance:
        raise Refused(
            f"{contact_label} has {amounts.format_points(balance)} "
            f"{point_type.label(balance)} available at {clock.local_text(moment)}; "
            f"cannot consume {amounts.format_points(amount)}. Issue more points first "
            "or consume less"
        )

    cursor = store.execute(
        "INSERT INTO entries (kind, contact_id, type_id, amount, at, note, user_id, ref,"
        " recorded_at)"
        " VALUES ('consume', ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            contact_id,
            point_type.id,
            amount,
            moment,
            note,
            user_id,
            ref,
            clock.to_stored(clock.utc_now()),
        ),
    )
    store.conn.executemany(
        "INSERT INTO draws (consumption_id, grant_id, amount) VALUES (?, ?, ?)",
        [
            (cursor.lastrowid, grant_id, take)
            for grant_id, take in plan_draws(grants, amount)
        ],
    )
    return cursor.lastrowid


# Voiding -----------------------------------------------------------------------


def get_entry(store, entry_id: int):
    fits = entry_id < 2**63  # larger numbers cannot be SQLite row ids
    row = store.one("SELECT * FROM entries WHERE id = ?", (entry_id,)) if fits else None
    if row is None:
        raise NotFound(
            f"no entry #{entry_id}: entry numbers are shown by `points statement CONTACT`"
        )
    return row


def active_draws(store, grant_id: int) -> tuple[int, str | None]:
    """Thousandths drawn from a grant by unvoided consumptions, and the latest draw's time.

    The latest time counts voided consumptions too: until its void, a consumption
    held its points, so the grant cannot be voided before it.
    """
    row = store.one(
        "SELECT COALESCE(SUM(CASE WHEN c.voided_at IS NULL THEN d.amount END), 0) AS used,"
        " MAX(c.at) AS latest FROM draws d JOIN entries c ON c.id = d.consumption_id"
        " WHERE d.grant_id = ?",
        (grant_id,),
    )
    return row["used"], row["latest"]


def void(
    store,
    entry_id: int,
    *,
    user_id: int,
    reason: str | None = None,
    at: datetime | None = None,
    ref: str | None = None,
) -> Outcome:
    """Void an entry, keeping it in the history; a grant only for its unused part."""
    meaning = {"entry": entry_id, "reason": reason, "at": at and clock.to_stored(at)}
    details: list[str] = []

    def write() -> list[int]:
        details.append(
            void_entry(store, entry_id, user_id=user_id, reason=reason, at=resolve_at(at))
        )
        return [entry_id]

    outcome = idempotent(store, ref, "void", meaning, write)
    return Outcome(outcome.entries, outcome.replayed, "".join(details))


def void_entry(
    store, entry_id: int, *, user_id: int, reason: str | None, at: datetime
) -> str:
    """Mark one entry void (callers hold the transaction); return what it meant."""
    entry = get_entry(store, entry_id)
    moment = clock.to_stored(at)
    if entry["voided_at"]:
        raise Refused(
            f"entry #{entry_id} was already voided on {clock.local_text(entry['voided_at'])}"
        )
    if moment < entry["at"]:
        raise InvalidInput(
            f"a void cannot be dated before its entry ({clock.local_text(entry['at'])})"
        )

    detail = f"returned {amounts.format_points(entry['amount'])} to the grants it drew from"
    if entry["kind"] == "grant":
        detail = _check_grant_void(entry, *active_draws(store, entry_id), moment)

    store.execute(
        "UPDATE entries SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
        (moment, user_id, reason, entry_id),
    )
    return detail


def _check_grant_void(entry, used: int, latest_use: str | None, moment: str) -> str:
    """A grant can be voided for its unused part only, after its last use."""
    unused = entry["amount"] - used
    if unused == 0:
        raise Refused(
            f"grant #{entry['id']} is fully used: void the consumptions that drew from it first"
        )
    if latest_use and moment < latest_use:
        raise InvalidInput(
            f"grant #{entry['id']} was used at {clock.local_text(latest_use)}: "
            "date the void after that"
        )
    if used:
        return (
            f"voided the unused {amounts.format_points(unused)} of "
            f"{amounts.format_points(entry['amount'])}; "
            f"{amounts.format_points(used)} already used stay consumed"
        )
    return f"voided all {amounts.format_points(unused)}"
