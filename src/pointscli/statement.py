"""One contact's statement: every change to their points, with a running balance.

A statement replays the contact's history as events in time order: issues and
consumptions at their dates, voids at the moment they were made, and expiries
at the midnight ending a grant's last day. Each event changes the state of the
grants it touches, and its amount is the real change to the points outstanding,
so the running balance after each instant is exactly what `reports.balance`
says as of that instant (see the semantics in the reports module docstring).

The replay always starts at the beginning: `start` and `end` only choose which
rows are shown, never what the balance is. Nothing here writes.
"""

from dataclasses import dataclass, field
from datetime import datetime

from pointscli import amounts, clock
from pointscli.errors import InvalidInput
from pointscli.reports import DATE, INSTANT, INT, POINTS, SIGNED, TEXT, Column, Report

STATEMENT_COLUMNS = [
    Column("entry", "Entry", INT),
    Column("date", "Date", INSTANT),
    Column("kind", "Kind"),
    Column("type", "Type"),
    Column("amount", "Amount", SIGNED),
    Column("balance", "Balance", POINTS),
    Column("note", "Note"),
    Column("by", "By"),
    Column("valid_until", "Valid until", DATE),
    Column("drawn_from", "Drawn from", TEXT),
    Column("voided_at", "Voided at", INSTANT),
    Column("voided_by", "Voided by"),
    Column("void_reason", "Void reason"),
]

# Tables and pages fold the details into one column so the statement fits a screen.
PEOPLE_COLUMNS = STATEMENT_COLUMNS[:8] + [Column("details", "Details")]

# Same-instant events: issues and consumptions first, then voids, then expiries.
_RANKS = {"entry": 0, "void": 1, "expire": 2}

_ENTRIES = """
SELECT e.*, t.name AS type_name, u.username AS by_name, v.username AS voided_by_name
FROM entries e JOIN point_types t ON t.id = e.type_id
LEFT JOIN users u ON u.id = e.user_id LEFT JOIN users v ON v.id = e.voided_by
WHERE e.contact_id = :contact AND (:type IS NULL OR e.type_id = :type)
ORDER BY e.id
"""

# Draws in the order the grants were drawn: soonest expiry, never-expiring last.
_DRAWS = """
SELECT d.consumption_id, d.grant_id, d.amount
FROM draws d JOIN entries c ON c.id = d.consumption_id
JOIN entries g ON g.id = d.grant_id
WHERE c.contact_id = :contact AND (:type IS NULL OR c.type_id = :type)
ORDER BY d.consumption_id, g.expires_at IS NULL, g.expires_at, g.at, g.id
"""


@dataclass
class _Grant:
    """A grant's state during the replay."""

    amount: int
    issued: bool = False
    voided: bool = False
    expired: bool = False
    used: int = 0

    def outstanding(self) -> int:
        if not self.issued or self.voided or self.expired:
            return 0
        return self.amount - self.used


@dataclass
class _Consumption:
    """A consumption's state during the replay: in force once dated, until voided."""

    draws: list[tuple[int, int]] = field(default_factory=list)
    dated: bool = False
    voided: bool = False

    def in_force(self) -> bool:
        return self.dated and not self.voided


@dataclass
class _Replay:
    """Every grant and consumption of the statement, and the balance per type."""

    grants: dict[int, _Grant] = field(default_factory=dict)
    consumptions: dict[int, _Consumption] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)

    def touched(self, entry) -> list[_Grant]:
        """The grants whose outstanding part an event on this entry can change."""
        if entry["kind"] == "grant":
            return [self.grants[entry["id"]]]
        ids = [grant_id for grant_id, _ in self.consumptions[entry["id"]].draws]
        return [self.grants[i] for i in ids if i in self.grants]

    def apply(self, event: str, entry) -> int:
        """Change the state for one event; return the change to the outstanding points."""
        grants = self.touched(entry)
        before = sum(g.outstanding() for g in grants)
        if entry["kind"] == "grant":
            _change_grant(self.grants[entry["id"]], event)
        else:
            self._change_consumption(self.consumptions[entry["id"]], event)
        change = sum(g.outstanding() for g in grants) - before
        name = entry["type_name"]
        self.balances[name] = self.balances.get(name, 0) + change
        return change

    def _change_consumption(self, consumption: _Consumption, event: str) -> None:
        was_in_force = consumption.in_force()
        if event == "void":
            consumption.voided = True
        else:
            consumption.dated = True
        step = int(consumption.in_force()) - int(was_in_force)
        for grant_id, amount in consumption.draws:
            if grant_id in self.grants:
                self.grants[grant_id].used += step * amount


def _change_grant(grant: _Grant, event: str) -> None:
    if event == "void":
        grant.voided = True
    elif event == "expire":
        grant.expired = True
    else:
        grant.issued = True


def statement(
    store,
    contact_id: int,
    type_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report:
    """A contact's history, a running balance per type, and expiries as lines."""
    if start and end and start > end:
        raise InvalidInput("the period starts after it ends: give --from before --to")
    params = {"contact": contact_id, "type": type_id}
    with store.snapshot():
        entries = store.query(_ENTRIES, params)
        draws = store.query(_DRAWS, params)
        contact = store.one("SELECT name, email FROM contacts WHERE id = ?", (contact_id,))
        type_names = _type_names(store, entries, type_id)

    # Events after the end (or now) have not happened yet, as far as this statement goes.
    replay = _cast(entries, draws)
    cutoff = clock.to_stored(end or clock.utc_now())
    first = clock.to_stored(start) if start else None

    # Replay everything; show only the rows inside the period.
    rows: list[dict] = []
    opened = first is None
    for moment, event, entry in _events(entries, cutoff):
        if not opened and moment >= first:
            rows += _opening_rows(first, type_names, replay.balances)
            opened = True
        change = replay.apply(event, entry)
        if event == "expire" and change == 0:
            continue
        if opened:
            rows.append(_row(event, entry, change, replay, cutoff))
    if not opened:
        rows += _opening_rows(first, type_names, replay.balances)
    return Report(STATEMENT_COLUMNS, rows, title=_title(contact, start, end))


def _cast(entries, draws) -> _Replay:
    """Every grant and consumption in its state before anything happened."""
    replay = _Replay()
    for entry in entries:
        if entry["kind"] == "grant":
            replay.grants[entry["id"]] = _Grant(entry["amount"])
        else:
            replay.consumptions[entry["id"]] = _Consumption()
    for draw in draws:
        if draw["consumption_id"] in replay.consumptions:
            pair = (draw["grant_id"], draw["amount"])
            replay.consumptions[draw["consumption_id"]].draws.append(pair)
    return replay


def _type_names(store, entries, type_id: int | None) -> list[str]:
    """The types the statement covers, for its opening lines."""
    if type_id is not None:
        return [store.one("SELECT name FROM point_types WHERE id = ?", (type_id,))["name"]]
    names: list[str] = []
    for entry in sorted(entries, key=lambda e: e["type_id"]):
        if entry["type_name"] not in names:
            names.append(entry["type_name"])
    return names


def _events(entries, cutoff: str) -> list[tuple[str, str, object]]:
    """(instant, event, entry) for everything that happened by the cutoff, in order."""
    keyed = []
    for entry in entries:
        candidates = [(entry["at"], "entry"), (entry["voided_at"], "void")]
        if entry["kind"] == "grant":
            candidates.append((entry["expires_at"], "expire"))
        for moment, event in candidates:
            if moment is not None and moment <= cutoff:
                keyed.append(((moment, _RANKS[event], entry["id"]), event, entry))
    keyed.sort(key=lambda item: item[0])
    return [(key[0], event, entry) for key, event, entry in keyed]


def _opening_rows(first: str, names: list[str], balances: dict[str, int]) -> list[dict]:
    """One line per type with its balance just before the period starts."""
    return [
        {
            "entry": None,
            "date": first,
            "kind": "opening",
            "type": name,
            "amount": None,
            "balance": balances.get(name, 0),
            "note": "balance brought forward",
        }
        for name in names
    ]


def _row(event: str, entry, change: int, replay: _Replay, cutoff: str) -> dict:
    """One statement line for an event that has just been applied."""
    row = {
        "entry": entry["id"],
        "type": entry["type_name"],
        "amount": change,
        "balance": replay.balances[entry["type_name"]],
    }
    if event == "expire":
        row.update(
            date=entry["expires_at"],
            kind="expire",
            valid_until=entry["expires_on"],
            note="unused points expired",
        )
    elif event == "void":
        row.update(
            date=entry["voided_at"],
            kind="void",
            by=entry["voided_by_name"],
            note=_void_note(entry, change),
        )
    else:
        row.update(date=entry["at"], note=_entry_note(entry, change), by=entry["by_name"])
        row.update(_entry_details(entry, replay, cutoff))
    return row


def _entry_details(entry, replay: _Replay, cutoff: str) -> dict:
    """Kind, expiry or draws, and void details of an issue or consumption line."""
    details = {}
    if entry["voided_at"] and entry["voided_at"] <= cutoff:
        details = {
            "voided_at": entry["voided_at"],
            "voided_by": entry["voided_by_name"],
            "void_reason": entry["void_reason"],
        }
    if entry["kind"] == "grant":
        return {**details, "kind": "issue", "valid_until": entry["expires_on"]}
    drawn = [
        f"#{grant_id}: {amounts.format_points(amount)}"
        for grant_id, amount in replay.consumptions[entry["id"]].draws
    ]
    return {**details, "kind": "consume", "drawn_from": ", ".join(drawn) or None}


def _entry_note(entry, change: int) -> str | None:
    """The entry's note; a damaged history whose change differs from the amount says so."""
    expected = entry["amount"] if entry["kind"] == "grant" else -entry["amount"]
    if change == expected:
        return entry["note"]
    parts = [entry["note"]] if entry["note"] else []
    parts.append(f"only {amounts.format_points(abs(change))} counted: see `points check`")
    return "; ".join(parts)


def _void_note(entry, change: int) -> str | None:
    """The void's reason, and why the change differs from the entry's amount if it does."""
    expected = entry["amount"] if entry["kind"] == "consume" else -entry["amount"]
    parts = [entry["void_reason"]] if entry["void_reason"] else []
    if change != expected and entry["kind"] == "consume":
        lost = amounts.format_points(entry["amount"] - change)
        parts.append(
            f"{lost} of {amounts.format_points(entry['amount'])} returned to "
            "expired or voided grants: not usable again"
        )
    elif change != expected:
        parts.append(
            f"only {amounts.format_points(-change)} of "
            f"{amounts.format_points(entry['amount'])} left: "
            "the rest was used or had expired"
        )
    return "; ".join(parts) or None


def _title(contact, start: datetime | None, end: datetime | None) -> str:
    title = "Statement"
    if contact:
        title += f" for {contact['name']} <{contact['email']}>"
    if start:
        title += f" from {clock.local_text(clock.to_stored(start))}"
    if end:
        title += f" to {clock.local_text(clock.to_stored(end))}"
    return title


def for_people(report: Report) -> Report:
    """The statement for a table or a page: expiry, draws and void in one Details column."""
    rows = [{**row, "details": _details(row)} for row in report.rows]
    return Report(PEOPLE_COLUMNS, rows, title=report.title)


def _details(row: dict) -> str | None:
    parts = []
    if row["kind"] == "issue":
        until = row.get("valid_until")
        parts.append(f"valid until {until}" if until else "never expires")
    if row.get("drawn_from"):
        parts.append(f"from {row['drawn_from']}")
    if row.get("voided_at"):
        parts.append(f"voided {clock.local_text(row['voided_at'])} by {row['voided_by']}")
    return "; ".join(parts) or None
