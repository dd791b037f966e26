"""Who and what the ledger is about: contacts, users, point types and settings.

Owns adding, editing and finding them, including the forgiving look-ups the
CLI relies on (a contact by number, email in any case or an unambiguous name;
a type by name or plural) and the "did you mean" suggestions when a look-up
fails. It knows nothing of balances.
"""

import difflib
import re
import sqlite3
from dataclasses import dataclass

from pointscli.clock import Expiry, parse_expiry, to_stored, utc_now
from pointscli.errors import InvalidInput, NotFound, Refused

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME_RE = re.compile(r"^[\w.\-]+$")
SETTINGS = {
    "default-user": "the username that records work when --by is not given",
    "currency": "the ISO 4217 code used when a price names none",
}
DEFAULT_CURRENCY = "USD"
ADMIN = "admin"


def _now() -> str:
    return to_stored(utc_now())


def _suggest(text: str, candidates: list[str]) -> str:
    """' Did you mean: a, b?' for the closest candidates, or ''."""
    close = difflib.get_close_matches(
        text.casefold(), [c.casefold() for c in candidates], 3, 0.6
    )
    by_key = {c.casefold(): c for c in candidates}
    return f" Did you mean: {', '.join(by_key[c] for c in close)}?" if close else ""


def _required(value: str | None, what: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(f"{what} cannot be empty")
    return cleaned


# Settings ----------------------------------------------------------------


def get_setting(store, key: str, default: str | None = None) -> str | None:
    row = store.one("SELECT value FROM settings WHERE key = ?", (key,))
    return row["value"] if row else default


def set_setting(store, key: str, value: str) -> str:
    """Store a known setting after checking its value; return the stored value."""
    from pointscli.amounts import normalise_currency

    if key not in SETTINGS:
        raise InvalidInput(
            f"unknown setting {key!r}: known settings are {', '.join(SETTINGS)}"
        )
    with store.write():
        if key == "default-user":
            value = find_user(store, value)["username"]
        if key == "currency":
            value = normalise_currency(value)
        store.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value)
        )
    return value


def all_settings(store) -> dict[str, str]:
    stored = {
        row["key"]: row["value"] for row in store.query("SELECT key, value FROM settings")
    }
    default_user = stored.get("default-user")
    if default_user is None:
        first = store.one("SELECT username FROM users ORDER BY id LIMIT 1")
        default_user = first["username"] if first else f"{ADMIN} (created on first write)"
    return {
        "default-user": default_user,
        "currency": stored.get("currency", DEFAULT_CURRENCY),
    }


def default_currency(store) -> str:
    return get_setting(store, "currency", DEFAULT_CURRENCY)


# Users -------------------------------------------------------------------


def add_user(store, username: str, name: str | None = None) -> sqlite3.Row:
    """Add a staff member; usernames are unique in any case."""
    username = _required(username, "username")
    if not _USERNAME_RE.match(username):
        raise InvalidInput(
            f"username {username!r} may hold only letters, digits, '.', '-' and '_'"
        )
    with store.write():
        if store.one("SELECT 1 FROM users WHERE username_key = ?", (username.casefold(),)):
            raise Refused(f"user {username!r} already exists: see `points user list`")
        cursor = store.execute(
            "INSERT INTO users (username, username_key, name, created_at) VALUES (?, ?, ?, ?)",
            (username, username.casefold(), (name or "").strip() or None, _now()),
        )
    return store.one("SELECT * FROM users WHERE id = ?", (cursor.lastrowid,))


def list_users(store) -> list[sqlite3.Row]:
    return store.query("SELECT * FROM users ORDER BY username_key")


def find_user(store, text: str) -> sqlite3.Row:
    key = _required(text, "username").casefold()
    row = store.one("SELECT * FROM users WHERE username_key = ?", (key,))
    if row:
        return row
    names = [r["username"] for r in store.query("SELECT username FROM users")]
    known = f" Known users: {', '.join(names)}." if names else ""
    raise NotFound(
        f"no user {text!r}.{_suggest(text, names)}{known} Add one with `points user add {text}`"
    )


def default_user(store) -> sqlite3.Row:
    """The user who records work when --by is not given; `admin` is made if none exists."""
    name = get_setting(store, "default-user")
    if name:
        row = store.one("SELECT * FROM users WHERE username_key = ?", (name.casefold(),))
        if row:
            return row
    first = store.one("SELECT * FROM users ORDER BY id LIMIT 1")
    return first or add_user(store, ADMIN, "Administrator")


def user_or_default(store, text: str | None) -> sqlite3.Row:
    return find_user(store, text) if text else default_user(store)


# Point types ---------------------------------------------------------------


@dataclass(frozen=True)
class PointType:
    id: int
    name: str
    plural: str
    description: str | None
    expires: Expiry | None
    archived: bool

    def label(self, thousandths: int) -> str:
        return self.name if thousandths == 1000 else self.plural


def _type_from_row(row) -> PointType:
    expires = parse_expiry(row["expires"]) if row["expires"] else None
    return PointType(
        row["id"],
        row["name"],
        row["plural"],
        row["description"],
        expires,
        bool(row["archived_at"]),
    )


def _check_type_names(store, name: str, plural: str, except_id: int | None = None) -> None:
    """A type's name and plural must not collide with another type's name or plural."""
    for word in (name, plural):
        key = word.casefold()
        row = store.one(
            "SELECT name FROM point_types WHERE (name_key = ? OR plural_key = ?) AND id IS NOT ?",
            (key, key, except_id),
        )
        if row:
            raise Refused(
                f"{word!r} is already used by the point type {row['name']!r}: choose another "
                f"name, or change that type with `points type edit {row['name']!r}`"
            )


def add_type(
    store,
    name: str,
    plural: str | None = None,
    description: str | None = None,
    expires: str | None = None,
) -> PointType:
    """Define a point type; the plural defaults to the name plus "s"."""
    name = _required(name, "type name")
    plural = (plural or "").strip() or f"{name}s"
    spec = _default_expiry_text(expires)
    with store.write():
        _check_type_names(store, name, plural)
        cursor = store.execute(
            "INSERT INTO point_types (name, name_key, plural, plural_key, description, expires,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, name.casefold(), plural, plural.casefold(), description, spec, _now()),
        )
    return get_type(store, cursor.lastrowid)


def _default_expiry_text(expires: str | None) -> str | None:
    """A type's default expiry: a period, or none; fixed dates make no sense for a type."""
    if expires is None or expires.strip().lower() in ("", "never", "none"):
        return None
    spec = parse_expiry(expires)
    if spec.on is not None:
        raise InvalidInput(
            f"a point type's default expiry is a period (6 months, 90 days) or never, "
            f"not a date like {expires!r}"
        )
    return str(spec)


def get_type(store, type_id: int) -> PointType:
    return _type_from_row(store.one("SELECT * FROM point_types WHERE id = ?", (type_id,)))


def list_types(store, include_archived: bool = False) -> list[PointType]:
    where = "" if include_archived else "WHERE archived_at IS NULL"
    return [
        _type_from_row(r)
        for r in store.query(f"SELECT * FROM point_types {where} ORDER BY id")
    ]


def find_type(store, text: str | None) -> PointType:
    """A type by name or plural in any case, or the only active type when none is named."""
    active = list_types(store)
    if text is None or not str(text).strip():
        if len(active) == 1:
            return active[0]
        if not active:
            raise NotFound(
                "no point types yet: add one with `points type add Session --expires '6 months'`"
            )
        raise InvalidInput(f"say which point type with --type: {_type_names(active)}")

    key = str(text).strip().casefold()
    row = store.one(
        "SELECT * FROM point_types WHERE name_key = ? OR plural_key = ?", (key, key)
    )
    if row:
        return _type_from_row(row)
    everything = list_types(store, include_archived=True)
    names = [t.name for t in everything]
    raise NotFound(
        f"no point type {text!r}.{_suggest(text, names)} Known types: {_type_names(everything)}"
    )


def _type_names(types: list[PointType]) -> str:
    return ", ".join(t.name for t in types) or "none"


def edit_type(
    store, text: str, name=None, plural=None, description=None, expires=None
) -> PointType:
    """Change a type's wording or default expiry; existing grants keep their dates."""
    with store.write():
        current = find_type(store, text)
        new_name = _required(name, "type name") if name is not None else current.name
        new_plural = _required(plural, "plural") if plural is not None else current.plural
        _check_type_names(store, new_name, new_plural, except_id=current.id)
        spec = (
            _default_expiry_text(expires)
            if expires is not None
            else (str(current.expires) if current.expires else None)
        )
        store.execute(
            "UPDATE point_types SET name = ?, name_key = ?, plural = ?, plural_key = ?,"
            " description = ?, expires = ? WHERE id = ?",
            (
                new_name,
                new_name.casefold(),
                new_plural,
                new_plural.casefold(),
                current.description if description is None else description,
                spec,
                current.id,
            ),
        )
    return get_type(store, current.id)


def archive_type(store, text: str) -> PointType:
    """Stop issuing a type; points already held can still be used."""
    with store.write():
        current = find_type(store, text)
        if current.archived:
            raise Refused(f"point type {current.name!r} is already archived")
        store.execute(
            "UPDATE point_types SET archived_at = ? WHERE id = ?", (_now(), current.id)
        )
    return get_type(store, current.id)


# Contacts ------------------------------------------------------------------


def check_email(email: str) -> str:
    cleaned = _required(email, "email")
    if not _EMAIL_RE.match(cleaned):
        raise InvalidInput(f"{email!r} is not an email address (expected name@example.com)")
    return cleaned


def add_contact(store, name: str, email: str, notes: str | None = None) -> sqlite3.Row:
    """Add a client; emails are unique in any case."""
    name = _required(name, "contact name")
    email = check_email(email)
    with store.write():
        existing = store.one(
            "SELECT * FROM contacts WHERE email_key = ?", (email.casefold(),)
        )
        if existing:
            raise Refused(
                f"{email} already belongs to contact #{existing['id']} {existing['name']!r}"
            )
        cursor = store.execute(
            "INSERT INTO contacts (name, email, email_key, notes, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (name, email, email.casefold(), notes, _now()),
        )
    return get_contact(store, cursor.lastrowid)


def get_contact(store, contact_id: int) -> sqlite3.Row:
    return store.one("SELECT * FROM contacts WHERE id = ?", (contact_id,))


def contact_by_email(store, email: str) -> sqlite3.Row | None:
    return store.one(
        "SELECT * FROM contacts WHERE email_key = ?", (email.strip().casefold(),)
    )


def list_contacts(store, search: str | None = None) -> list[sqlite3.Row]:
    if not search:
        return store.query("SELECT * FROM contacts ORDER BY name COLLATE NOCASE, id")
    needle = search.casefold()
    return [
        r
        for r in store.query("SELECT * FROM contacts ORDER BY name COLLATE NOCASE, id")
        if needle in r["name"].casefold() or needle in r["email_key"]
    ]


def find_contact(store, text: str) -> sqlite3.Row:
    """A contact by number (12 or #12), email in any case, or an unambiguous name."""
    cleaned = _required(text, "contact").strip()
    number = cleaned.lstrip("#")
    if number.isdigit() and number.isascii():
        row = get_contact(store, int(number)) if len(number) < 19 else None
        if row:
            return row
        raise NotFound(f"no contact number {number}: see `points contact list`")
    if "@" in cleaned:
        row = contact_by_email(store, cleaned)
        if row:
            return row
    return _contact_by_name(store, cleaned)


def _contact_by_name(store, text: str) -> sqlite3.Row:
    """Exact name first, then a name or email containing the text, if only one does."""
    contacts = store.query("SELECT * FROM contacts")
    key = text.casefold()
    exact = [r for r in contacts if r["name"].casefold() == key]
    partial = [r for r in contacts if key in r["name"].casefold() or key in r["email_key"]]
    matches = exact or partial

    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = "; ".join(f"#{r['id']} {r['name']} <{r['email']}>" for r in matches[:8])
        raise InvalidInput(
            f"{text!r} matches {len(matches)} contacts ({listed}): give the number or email"
        )
    candidates = [r["name"] for r in contacts] + [r["email"] for r in contacts]
    raise NotFound(
        f"no contact {text!r}.{_suggest(text, candidates)} "
        "Add one with `points contact add NAME --email EMAIL`"
    )


def edit_contact(store, text: str, name=None, email=None, notes=None) -> sqlite3.Row:
    with store.write():
        current = find_contact(store, text)
        new_name = _required(name, "contact name") if name is not None else current["name"]
        new_email = check_email(email) if email is not None else current["email"]
        clash = store.one(
            "SELECT id, name FROM contacts WHERE email_key = ? AND id != ?",
            (new_email.casefold(), current["id"]),
        )
        if clash:
            raise Refused(
                f"{new_email} already belongs to contact #{clash['id']} {clash['name']!r}"
            )
        store.execute(
            "UPDATE contacts SET name = ?, email = ?, email_key = ?, notes = ? WHERE id = ?",
            (
                new_name,
                new_email,
                new_email.casefold(),
                current["notes"] if notes is None else notes,
                current["id"],
            ),
        )
    return get_contact(store, current["id"])
