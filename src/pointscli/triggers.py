"""Triggers: rules that issue free points when a script fires an event for a contact.

A trigger listens to one event (a word such as `referral`, compared in any case)
and issues a set amount of one point type, with its own expiry or the type's.
`fire` runs every active trigger on the event in one transaction; a trigger
marked once-per-contact skips a contact who already holds an unvoided grant
from it. Which grant each trigger made is kept in `trigger_grants`.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from pointscli import amounts, clock, directory, ledger
from pointscli.errors import InvalidInput, NotFound, Refused
from pointscli.reports import DATE, INT, POINTS, Column, Report

_EVENT_RE = re.compile(r"^[\w.:\-]+$")


@dataclass(frozen=True)
class Fired:
    """What a fire did, one row per trigger, and whether a --ref replay wrote nothing."""

    rows: list[dict]
    replayed: bool = False


def _now() -> str:
    return clock.to_stored(clock.utc_now())


def _check_event(event: str) -> str:
    cleaned = (event or "").strip()
    if not _EVENT_RE.match(cleaned):
        raise InvalidInput(
            f"event {event!r} must be one word of letters, digits, "
            "'.', ':', '-' or '_', such as referral or signup"
        )
    return cleaned


def add_trigger(
    store,
    name: str,
    event: str,
    type_text: str | None,
    amount: str,
    expires: str | None = None,
    once_per_contact: bool = False,
) -> dict:
    """Define a trigger; names are unique in any case."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("trigger name cannot be empty")
    event = _check_event(event)
    thousandths = amounts.parse_points(amount, "--amount")
    spec = str(clock.parse_expiry(expires)) if expires else None

    with store.write():
        point_type = directory.find_type(store, type_text)
        if point_type.archived:
            raise Refused(
                f"point type {point_type.name!r} is archived: triggers need an active type"
            )
        clash = store.one("SELECT id FROM triggers WHERE name_key = ?", (name.casefold(),))
        if clash:
            raise Refused(
                f"a trigger named {name!r} already exists (#{clash['id']}): "
                "choose another name"
            )
        cursor = store.execute(
            "INSERT INTO triggers (name, name_key, event, event_key, type_id, amount,"
            " expires, once_per_contact, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                name.casefold(),
                event,
                event.casefold(),
                point_type.id,
                thousandths,
                spec,
                int(once_per_contact),
                _now(),
            ),
        )
    return get_trigger(store, cursor.lastrowid)


def get_trigger(store, trigger_id: int) -> dict:
    return dict(store.one("SELECT * FROM triggers WHERE id = ?", (trigger_id,)))


def find_trigger(store, text: str) -> dict:
    """A trigger by name in any case, or by number."""
    cleaned = (text or "").strip()
    row = store.one("SELECT * FROM triggers WHERE name_key = ?", (cleaned.casefold(),))
    if row is None and cleaned.lstrip("#").isdigit():
        row = store.one("SELECT * FROM triggers WHERE id = ?", (int(cleaned.lstrip("#")),))
    if row:
        return dict(row)
    rows = store.query("SELECT name FROM triggers ORDER BY id")
    names = ", ".join(r["name"] for r in rows)
    raise NotFound(
        f"no trigger {text!r}. Known triggers: {names or 'none'}; see `points trigger list`"
    )


def set_enabled(store, text: str, enabled: bool) -> dict:
    """Disable a trigger (fires skip it) or enable it again."""
    with store.write():
        trigger = find_trigger(store, text)
        if bool(trigger["disabled_at"]) != enabled:
            state = "enabled" if enabled else "disabled"
            raise Refused(f"trigger {trigger['name']!r} is already {state}")
        store.execute(
            "UPDATE triggers SET disabled_at = ? WHERE id = ?",
            (None if enabled else _now(), trigger["id"]),
        )
    return get_trigger(store, trigger["id"])


TRIGGER_COLUMNS = [
    Column("id", "#", INT),
    Column("name", "Name"),
    Column("event", "Event"),
    Column("type", "Type"),
    Column("amount", "Amount", POINTS),
    Column("expires", "Expiry"),
    Column("once_per_contact", "Once per contact"),
    Column("enabled", "Enabled"),
]


def trigger_report(store) -> Report:
    rows = []
    for row in store.query("SELECT * FROM triggers ORDER BY event_key, id"):
        point_type = directory.get_type(store, row["type_id"])
        rows.append(
            {
                "id": row["id"],
                "name": row["name"],
                "event": row["event"],
                "type": point_type.name,
                "amount": row["amount"],
                "expires": row["expires"]
                or f"type default ({point_type.expires or 'never'})",
                "once_per_contact": "yes" if row["once_per_contact"] else "no",
                "enabled": "no" if row["disabled_at"] else "yes",
            }
        )
    return Report(TRIGGER_COLUMNS, rows, title="Triggers")


# Firing ------------------------------------------------------------------------


def _listeners(store, event: str) -> list[dict]:
    """The active triggers on an event, or a refusal naming the events that have some."""
    key = _check_event(event).casefold()
    rows = [
        dict(r)
        for r in store.query(
            "SELECT * FROM triggers WHERE event_key = ? ORDER BY id", (key,)
        )
    ]
    active = [r for r in rows if not r["disabled_at"]]
    if active:
        return active
    if rows:
        names = ", ".join(repr(r["name"]) for r in rows)
        raise Refused(
            f"every trigger on {event!r} is disabled ({names}): enable one with "
            "`points trigger enable NAME`"
        )
    # One spelling per event (the earliest trigger's): events compare in any case.
    spellings: dict[str, str] = {}
    for row in store.query(
        "SELECT event, event_key FROM triggers WHERE disabled_at IS NULL ORDER BY id"
    ):
        spellings.setdefault(row["event_key"], row["event"])
    events = [spellings[key] for key in sorted(spellings)]
    known = (
        f"events with triggers: {', '.join(events)}" if events else "no triggers exist yet"
    )
    raise Refused(
        f"no trigger listens to {event!r} ({known}): add one with "
        f"`points trigger add NAME --on {event} --type TYPE --amount N`"
    )


def fire(
    store,
    event: str,
    contact_id: int,
    *,
    user_id: int,
    at: datetime | None = None,
    ref: str | None = None,
    note: str | None = None,
) -> Fired:
    """Run every active trigger on `event` for a contact, in one transaction."""
    meaning = {
        "event": event.strip().casefold(),
        "contact": contact_id,
        "user": user_id,
        "at": at and clock.to_stored(at),
        "note": note,
    }
    rows: list[dict] = []

    def write() -> list[int]:
        moment = ledger.resolve_at(at)
        for trigger in _listeners(store, event):
            rows.append(_run_trigger(store, trigger, contact_id, user_id, moment, note))
        return [r["entry"] for r in rows if r["entry"] is not None]

    outcome = ledger.idempotent(store, ref, "fire", meaning, write)
    if outcome.replayed:
        rows = [_replayed_row(store, grant_id) for grant_id in outcome.entries]
    return Fired(rows, outcome.replayed)


def _run_trigger(
    store, trigger: dict, contact_id: int, user_id: int, moment: datetime, note: str | None
) -> dict:
    """Issue one trigger's free points, or say why the contact is skipped."""
    point_type = directory.get_type(store, trigger["type_id"])
    row = {
        "trigger": trigger["name"],
        "type": point_type.name,
        "amount": trigger["amount"],
        "entry": None,
        "valid_until": None,
        "result": "issued",
    }
    if trigger["once_per_contact"]:
        earlier = store.one(
            "SELECT e.id FROM trigger_grants tg JOIN entries e ON e.id = tg.grant_id"
            " WHERE tg.trigger_id = ? AND tg.contact_id = ? AND e.voided_at IS NULL",
            (trigger["id"], contact_id),
        )
        if earlier:
            row["result"] = (
                f"skipped: once per contact, already issued as entry #{earlier['id']}"
            )
            return row
    if point_type.archived:
        raise Refused(
            f"trigger {trigger['name']!r} issues the archived point type "
            f"{point_type.name!r}: disable it with `points trigger disable "
            f"'{trigger['name']}'`"
        )

    expires = clock.parse_expiry(trigger["expires"]) if trigger["expires"] else None
    grant_id = ledger.insert_grant(
        store,
        contact_id,
        point_type,
        trigger["amount"],
        user_id=user_id,
        at=moment,
        expires=expires,
        note=note or f"Trigger {trigger['name']} ({trigger['event']})",
        source="trigger",
        unit_price=0,
        currency=directory.default_currency(store),
    )
    store.execute(
        "INSERT INTO trigger_grants (grant_id, trigger_id, contact_id) VALUES (?, ?, ?)",
        (grant_id, trigger["id"], contact_id),
    )
    row["entry"] = grant_id
    row["valid_until"] = ledger.get_entry(store, grant_id)["expires_on"]
    if row["valid_until"] is None:
        row["result"] = "issued (never expires)"
    return row


def _replayed_row(store, grant_id: int) -> dict:
    found = store.one(
        "SELECT t.name, e.amount, e.expires_on, e.type_id FROM trigger_grants tg"
        " JOIN triggers t ON t.id = tg.trigger_id JOIN entries e ON e.id = tg.grant_id"
        " WHERE tg.grant_id = ?",
        (grant_id,),
    )
    point_type = directory.get_type(store, found["type_id"])
    return {
        "trigger": found["name"],
        "type": point_type.name,
        "amount": found["amount"],
        "entry": grant_id,
        "valid_until": found["expires_on"],
        "result": "already issued (same --ref)",
    }


FIRE_COLUMNS = [
    Column("trigger", "Trigger"),
    Column("type", "Type"),
    Column("amount", "Amount", POINTS),
    Column("entry", "Entry", INT),
    Column("valid_until", "Valid until", DATE),
    Column("result", "Result"),
]


def fire_report(fired: Fired, event: str) -> Report:
    return Report(FIRE_COLUMNS, fired.rows, title=f"Fired {event}")
