"""Schema migrations: named steps, each applied once in its own transaction.

Applied migrations are recorded in `_migrations`, and `PRAGMA user_version`
holds how many there are, so a quick look tells whether the file is current,
older (migrate it, keeping every row) or newer (refuse: this tool cannot know
what the newer one changed). New steps are appended, never edited.
"""

from pointscli.clock import to_stored, utc_now
from pointscli.errors import InvalidInput, SchemaTooNew


def _initial(db) -> None:
    """Settings, people, point types, the ledger, draws and idempotency keys."""
    db["settings"].create({"key": str, "value": str}, pk="key")
    db["users"].create(
        {"id": int, "username": str, "username_key": str, "name": str, "created_at": str},
        pk="id",
        not_null={"username", "username_key", "created_at"},
    )
    db["users"].create_index(["username_key"], unique=True)
    db["point_types"].create(
        {
            "id": int,
            "name": str,
            "name_key": str,
            "plural": str,
            "plural_key": str,
            "description": str,
            "expires": str,
            "archived_at": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "name_key", "plural", "plural_key", "created_at"},
    )
    db["point_types"].create_index(["name_key"], unique=True)
    db["contacts"].create(
        {
            "id": int,
            "name": str,
            "email": str,
            "email_key": str,
            "notes": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "email", "email_key", "created_at"},
    )
    db["contacts"].create_index(["email_key"], unique=True)
    _create_ledger(db)


def _create_ledger(db) -> None:
    """Grants and consumptions share one numbered table; draws link them."""
    db["entries"].create(
        {
            "id": int,
            "kind": str,
            "contact_id": int,
            "type_id": int,
            "amount": int,
            "at": str,
            "expires_on": str,
            "expires_at": str,
            "source": str,
            "note": str,
            "user_id": int,
            "ref": str,
            "unit_price": int,
            "currency": str,
            "voided_at": str,
            "voided_by": int,
            "void_reason": str,
            "recorded_at": str,
        },
        pk="id",
        not_null={
            "kind",
            "contact_id",
            "type_id",
            "amount",
            "at",
            "user_id",
            "recorded_at",
        },
        foreign_keys=[
            ("contact_id", "contacts", "id"),
            ("type_id", "point_types", "id"),
            ("user_id", "users", "id"),
            ("voided_by", "users", "id"),
        ],
    )
    db["entries"].create_index(["contact_id", "type_id", "kind", "at"])
    db["entries"].create_index(["type_id", "kind", "at"])
    db["draws"].create(
        {"consumption_id": int, "grant_id": int, "amount": int},
        pk=("consumption_id", "grant_id"),
        not_null={"amount"},
        foreign_keys=[("consumption_id", "entries", "id"), ("grant_id", "entries", "id")],
    )
    db["draws"].create_index(["grant_id", "consumption_id", "amount"])
    db["refs"].create(
        {"key": str, "action": str, "fingerprint": str, "result": str, "created_at": str},
        pk="key",
        not_null={"action", "fingerprint", "created_at"},
    )


def _selling(db) -> None:
    """Products and prices, purchases, subscriptions and their periods, triggers."""
    db["products"].create(
        {
            "id": int,
            "name": str,
            "name_key": str,
            "type_id": int,
            "expires": str,
            "min_quantity": int,
            "fixed_quantity": int,
            "description": str,
            "archived_at": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "name_key", "type_id", "min_quantity", "created_at"},
        foreign_keys=[("type_id", "point_types", "id")],
    )
    db["products"].create_index(["name_key"], unique=True)
    db["prices"].create(
        {
            "id": int,
            "product_id": int,
            "kind": str,
            "min_quantity": int,
            "unit_price": int,
            "every": str,
            "points": int,
            "amount": int,
            "currency": str,
            "archived_at": str,
            "created_at": str,
        },
        pk="id",
        not_null={"product_id", "kind", "currency", "created_at"},
        foreign_keys=[("product_id", "products", "id")],
    )
    db["purchases"].create(
        {
            "id": int,
            "product_id": int,
            "contact_id": int,
            "quantity": int,
            "unit_price": int,
            "total": int,
            "currency": str,
            "user_id": int,
            "at": str,
            "ref": str,
            "note": str,
            "grant_id": int,
            "recorded_at": str,
        },
        pk="id",
        not_null={
            "product_id",
            "contact_id",
            "quantity",
            "unit_price",
            "total",
            "currency",
            "user_id",
            "at",
            "grant_id",
            "recorded_at",
        },
        foreign_keys=[
            ("product_id", "products", "id"),
            ("contact_id", "contacts", "id"),
            ("user_id", "users", "id"),
            ("grant_id", "entries", "id"),
        ],
    )
    db["purchases"].create_index(["at"])
    _create_subscriptions(db)
    _create_triggers(db)


def _create_subscriptions(db) -> None:
    """A subscription and its periods; each period number can be issued once only."""
    db["subscriptions"].create(
        {
            "id": int,
            "product_id": int,
            "price_id": int,
            "contact_id": int,
            "started_at": str,
            "cancelled_at": str,
            "user_id": int,
            "ref": str,
            "recorded_at": str,
        },
        pk="id",
        not_null={
            "product_id",
            "price_id",
            "contact_id",
            "started_at",
            "user_id",
            "recorded_at",
        },
        foreign_keys=[
            ("product_id", "products", "id"),
            ("price_id", "prices", "id"),
            ("contact_id", "contacts", "id"),
            ("user_id", "users", "id"),
        ],
    )
    db["subscription_periods"].create(
        {
            "id": int,
            "subscription_id": int,
            "period_number": int,
            "at": str,
            "amount": int,
            "currency": str,
            "grant_id": int,
            "recorded_at": str,
        },
        pk="id",
        not_null={
            "subscription_id",
            "period_number",
            "at",
            "amount",
            "currency",
            "grant_id",
            "recorded_at",
        },
        foreign_keys=[
            ("subscription_id", "subscriptions", "id"),
            ("grant_id", "entries", "id"),
        ],
    )
    db["subscription_periods"].create_index(
        ["subscription_id", "period_number"], unique=True
    )

    db["subscription_periods"].create_index(["at"])


def _create_triggers(db) -> None:
    """Triggers, and which grant each firing made (for once-per-contact)."""
    db["triggers"].create(
        {
            "id": int,
            "name": str,
            "name_key": str,
            "event": str,
            "event_key": str,
            "type_id": int,
            "amount": int,
            "expires": str,
            "once_per_contact": int,
            "disabled_at": str,
            "created_at": str,
        },
        pk="id",
        not_null={
            "name",
            "name_key",
            "event",
            "event_key",
            "type_id",
            "amount",
            "once_per_contact",
            "created_at",
        },
        foreign_keys=[("type_id", "point_types", "id")],
    )
    db["triggers"].create_index(["name_key"], unique=True)
    db["trigger_grants"].create(
        {"grant_id": int, "trigger_id": int, "contact_id": int},
        pk="grant_id",
        not_null={"trigger_id", "contact_id"},
        foreign_keys=[
            ("grant_id", "entries", "id"),
            ("trigger_id", "triggers", "id"),
            ("contact_id", "contacts", "id"),
        ],
    )
    db["trigger_grants"].create_index(["trigger_id", "contact_id"])


MIGRATIONS = [
    ("0001_initial", _initial),
    ("0002_selling", _selling),
]


def migrate(store) -> None:
    """Bring the database up to this tool's schema, or refuse a newer one."""
    current = store.one("PRAGMA user_version")[0]
    if current > len(MIGRATIONS):
        raise SchemaTooNew(
            f"{store.path} was written by a newer pointscli (schema {current}, this one "
            f"knows {len(MIGRATIONS)}): upgrade pointscli to open it"
        )
    if current == len(MIGRATIONS):
        return
    if current == 0 and store.one(
        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ):
        raise InvalidInput(
            f"{store.path} is an SQLite file of another program: give --db a new file name"
        )

    import sqlite_utils

    db = sqlite_utils.Database(store.conn)
    for number, (name, step) in enumerate(MIGRATIONS, start=1):
        with store.write():
            # Another process may have migrated while this one waited for the lock.
            if store.one("PRAGMA user_version")[0] >= number:
                continue
            if number == 1:
                store.execute(
                    "CREATE TABLE IF NOT EXISTS _migrations"
                    " (name TEXT PRIMARY KEY, applied_at TEXT)"
                )
            step(db)
            store.execute(
                "INSERT INTO _migrations VALUES (?, ?)", (name, to_stored(utc_now()))
            )
            store.execute(f"PRAGMA user_version = {number}")
