"""Reports: the ledger as it stood at a moment, as rows of plain values.

Each report returns a `Report` (columns and rows of ints, strings and None);
renderers turn it into a table, CSV, JSON or HTML. Points are thousandths,
instants are stored UTC text, dates are ISO dates.

As of a moment T, every grant issued by T is in exactly one state: voided (its
void happened by T), expired (its last day ended by T) or open. Its used part
is what consumptions dated by T and not voided by T drew from it; the rest is
voided, expired or outstanding by that state. So issued = consumed + expired +
voided + outstanding holds by construction, and `check` verifies it the other
way round, from the consumptions themselves.
"""

from dataclasses import dataclass, field
from datetime import datetime

from pointscli import clock

TEXT, POINTS, SIGNED, INSTANT, DATE, INT, MONEY = (
    "text",
    "points",
    "signed",
    "instant",
    "date",
    "int",
    "money",
)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    empty: str = ""  # what a table shows for a missing value


@dataclass
class Report:
    """Rows of plain values under named columns, ready for any renderer."""

    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    title: str = ""


# The state of every grant as of :as_of, optionally for one contact and type.
_GRANT_STATES = """
WITH used AS (
  SELECT d.grant_id, SUM(d.amount) AS used
  FROM draws d JOIN entries c ON c.id = d.consumption_id
  WHERE c.at <= :as_of AND (c.voided_at IS NULL OR c.voided_at > :as_of)
    {draw_filter}
  GROUP BY d.grant_id
)
SELECT g.id, g.contact_id, g.type_id, g.amount, g.at, g.expires_on, g.expires_at,
       g.unit_price, g.currency, g.source, g.note,
       COALESCE(u.used, 0) AS used,
       CASE WHEN g.voided_at IS NOT NULL AND g.voided_at <= :as_of THEN 'voided'
            WHEN g.expires_at IS NOT NULL AND g.expires_at <= :as_of THEN 'expired'
            ELSE 'open' END AS state
FROM entries g LEFT JOIN used u ON u.grant_id = g.id
WHERE g.kind = 'grant' AND g.at <= :as_of {grant_filter}
"""


def grant_states_sql(contact_id: int | None, type_id: int | None) -> str:
    grant_filter, draw_filter = "", ""
    if contact_id is not None:
        grant_filter += " AND g.contact_id = :contact"
        draw_filter += " AND c.contact_id = :contact"
    if type_id is not None:
        grant_filter += " AND g.type_id = :type"
        draw_filter += " AND c.type_id = :type"
    return _GRANT_STATES.format(grant_filter=grant_filter, draw_filter=draw_filter)


def as_of_text(as_of: datetime | None) -> str:
    return clock.to_stored(as_of or clock.utc_now())


def grant_states(
    store, as_of: str, contact_id: int | None = None, type_id: int | None = None
):
    sql = grant_states_sql(contact_id, type_id)
    return store.query(sql, {"as_of": as_of, "contact": contact_id, "type": type_id})


# Summary and outstanding ------------------------------------------------------

SUMMARY_COLUMNS = [
    Column("type", "Type"),
    Column("issued", "Issued", POINTS),
    Column("consumed", "Consumed", POINTS),
    Column("expired", "Expired", POINTS),
    Column("voided", "Voided", POINTS),
    Column("outstanding", "Outstanding", POINTS),
    Column("contacts", "Contacts", INT),
]


def summary(store, as_of: datetime | None = None, type_id: int | None = None) -> Report:
    """Per type: issued, consumed, expired, voided, outstanding and contacts holding some."""
    moment = as_of_text(as_of)
    sql = f"""
    WITH s AS ({grant_states_sql(None, type_id)}),
    per_contact AS (
      SELECT type_id, contact_id, SUM(amount - used) AS open FROM s
      WHERE state = 'open' GROUP BY type_id, contact_id
    )
    SELECT t.name AS type, t.id AS type_id,
      COALESCE(SUM(s.amount), 0) AS issued,
      COALESCE(SUM(s.used), 0) AS consumed,
      COALESCE(SUM(CASE WHEN s.state = 'expired' THEN s.amount - s.used END), 0) AS expired,
      COALESCE(SUM(CASE WHEN s.state = 'voided' THEN s.amount - s.used END), 0) AS voided,
      COALESCE(SUM(CASE WHEN s.state = 'open' THEN s.amount - s.used END), 0) AS outstanding,
      (SELECT COUNT(*) FROM per_contact p WHERE p.type_id = t.id AND p.open > 0) AS contacts
    FROM point_types t LEFT JOIN s ON s.type_id = t.id
    WHERE (:type IS NULL OR t.id = :type)
    GROUP BY t.id ORDER BY t.id
    """
    rows = [dict(r) for r in store.query(sql, {"as_of": moment, "type": type_id})]
    return Report(
        SUMMARY_COLUMNS,
        rows,
        title=f"Outstanding points by type as of {clock.local_text(moment)}",
    )


OUTSTANDING_COLUMNS = [
    Column("contact_id", "#", INT),
    Column("contact_name", "Contact"),
    Column("contact_email", "Email"),
    Column("type", "Type"),
    Column("outstanding", "Outstanding", POINTS),
    Column("next_expiry", "Next expiry", DATE, "never"),
    Column("expiring_amount", "Expiring then", POINTS),
]


def outstanding(
    store,
    as_of: datetime | None = None,
    type_id: int | None = None,
    expiring_within: clock.Period | None = None,
) -> Report:
    """Contacts holding unused points, with the next expiry and how much expires then."""
    moment = as_of_text(as_of)
    rows = _open_lots_by_holder(store, moment, None, type_id)
    columns = list(OUTSTANDING_COLUMNS)
    title = f"Outstanding points as of {clock.local_text(moment)}"

    if expiring_within is not None:
        horizon = expiring_within.after(clock.local_date(moment)).isoformat()
        rows = [r for r in rows if r["next_expiry"] and r["next_expiry"] <= horizon]
        for row in rows:
            row["expiring_within"] = sum(
                left for day, left in row.pop("_lots") if day and day <= horizon
            )
        columns.append(Column("expiring_within", f"Expiring by {horizon}", POINTS))
        title += f", expiring by {horizon}"
    for row in rows:
        row.pop("_lots", None)
    return Report(columns, rows, title=title)


def _open_lots_by_holder(
    store, moment: str, contact_id: int | None, type_id: int | None
) -> list[dict]:
    """One row per contact and type with open points, with next expiry details."""
    sql = f"""
    WITH s AS ({grant_states_sql(contact_id, type_id)})
    SELECT s.contact_id, c.name AS contact_name, c.email AS contact_email,
           s.type_id, t.name AS type, s.expires_on, s.amount - s.used AS left_over
    FROM s JOIN contacts c ON c.id = s.contact_id JOIN point_types t ON t.id = s.type_id
    WHERE s.state = 'open' AND s.amount > s.used
    ORDER BY c.name COLLATE NOCASE, c.id, t.id, s.expires_on IS NULL, s.expires_on
    """
    holders: dict[tuple[int, int], dict] = {}
    for lot in store.query(sql, {"as_of": moment, "contact": contact_id, "type": type_id}):
        key = (lot["contact_id"], lot["type_id"])
        row = holders.setdefault(
            key,
            {
                "contact_id": lot["contact_id"],
                "contact_name": lot["contact_name"],
                "contact_email": lot["contact_email"],
                "type": lot["type"],
                "outstanding": 0,
                "next_expiry": lot["expires_on"],
                "expiring_amount": 0,
                "_lots": [],
            },
        )
        row["outstanding"] += lot["left_over"]
        row["_lots"].append((lot["expires_on"], lot["left_over"]))
        if lot["expires_on"] is not None and lot["expires_on"] == row["next_expiry"]:
            row["expiring_amount"] += lot["left_over"]
    for row in holders.values():
        if row["next_expiry"] is None:
            row["expiring_amount"] = None
    return list(holders.values())


def type_outstanding(store, as_of: datetime | None = None) -> dict[int, int]:
    """Outstanding thousandths per type id, for `type list`."""
    return {row["type_id"]: row["outstanding"] for row in summary(store, as_of).rows}


# One contact -------------------------------------------------------------------

BALANCE_COLUMNS = [
    Column("type", "Type"),
    Column("available", "Available", POINTS),
    Column("next_expiry", "Next expiry", DATE, "never"),
    Column("expiring_amount", "Expiring then", POINTS),
]


def balance(store, contact_id: int, as_of: datetime | None = None) -> Report:
    """What the client sees: available points per type they have ever held."""
    moment = as_of_text(as_of)
    held = {r["type"]: r for r in _open_lots_by_holder(store, moment, contact_id, None)}
    types = store.query(
        "SELECT DISTINCT t.id, t.name FROM entries e JOIN point_types t ON t.id = e.type_id"
        " WHERE e.contact_id = ? AND e.at <= ? ORDER BY t.id",
        (contact_id, moment),
    )
    rows = []
    for t in types:
        row = held.get(t["name"], {})
        rows.append(
            {
                "type": t["name"],
                "available": row.get("outstanding", 0),
                "next_expiry": row.get("next_expiry"),
                "expiring_amount": row.get("expiring_amount"),
            }
        )
    return Report(BALANCE_COLUMNS, rows, title=f"Balance as of {clock.local_text(moment)}")


LOT_COLUMNS = [
    Column("entry", "Entry", INT),
    Column("type", "Type"),
    Column("issued_at", "Issued", INSTANT),
    Column("amount", "Amount", POINTS),
    Column("used", "Used", POINTS),
    Column("available", "Available", POINTS),
    Column("valid_until", "Valid until", DATE, "never"),
    Column("note", "Note"),
]


def lots(store, contact_id: int, as_of: datetime | None = None) -> Report:
    """The contact's open grants, in the order consumption will draw them."""
    moment = as_of_text(as_of)
    sql = f"""
    WITH s AS ({grant_states_sql(contact_id, None)})
    SELECT s.*, t.name AS type FROM s JOIN point_types t ON t.id = s.type_id
    WHERE s.state = 'open' AND s.amount > s.used
    ORDER BY t.id, s.expires_at IS NULL, s.expires_at, s.at, s.id
    """
    rows = [
        {
            "entry": r["id"],
            "type": r["type"],
            "issued_at": r["at"],
            "amount": r["amount"],
            "used": r["used"],
            "available": r["amount"] - r["used"],
            "valid_until": r["expires_on"],
            "note": r["note"],
        }
        for r in store.query(sql, {"as_of": moment, "contact": contact_id})
    ]
    return Report(LOT_COLUMNS, rows, title=f"Open grants as of {clock.local_text(moment)}")
