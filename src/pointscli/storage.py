"""Storage: where the database lives, how it is opened, and its transactions.

Owns the connection settings (WAL, busy timeout, full sync), the file's
creation with owner-only permissions, schema migrations on open, and the one
way to write: `store.write()`, an immediate transaction that either commits
whole or leaves nothing behind. It knows tables, not ledger rules.
"""

import os
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path

from pointscli.errors import InvalidInput, PointsError

APP_NAME = "pointscli"
BUSY_TIMEOUT_SECONDS = 30


def default_path() -> Path:
    """The database file in the user's app data folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_NAME / "points.db"


def _create_private_file(path: Path) -> None:
    """Create an empty database file readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


class Store:
    """An open database: reads anywhere, writes only inside `write()`."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self._depth = 0

    def query(self, sql: str, params=()) -> list[sqlite3.Row]:
        """All rows of a query."""
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params=()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        return self.conn.execute(sql, params).fetchone()

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        """Run one statement; callers writing must be inside `write()`."""
        return self.conn.execute(sql, params)

    @contextmanager
    def write(self):
        """An immediate transaction: the write lock is taken before any read."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return

        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    @contextmanager
    def snapshot(self):
        """A read transaction, so a multi-query report sees one state."""
        if self._depth:
            yield self
            return
        self.conn.execute("BEGIN")
        self._depth = 1
        try:
            yield self
        finally:
            self._depth = 0
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """A connection with the settings every pointscli process uses."""
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_store(path: str | os.PathLike | None = None) -> Store:
    """Open (creating if needed) and migrate the database at path."""
    from pointscli import migrations

    target = Path(path) if path else default_path()
    if target.is_dir():
        raise InvalidInput(
            f"--db {target} is a folder: give a file path such as {target / 'points.db'}"
        )
    if str(path) != ":memory:":
        try:
            _create_private_file(target)
        except OSError as error:
            raise InvalidInput(
                f"cannot create the database {target}: {error.strerror}"
            ) from None

    try:
        conn = connect(target)
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as error:
        raise InvalidInput(f"{target} is not a pointscli database ({error})") from None
    store = Store(conn, str(target))

    try:
        migrations.migrate(store)
        # Only once the file is known to be ours: WAL mode persists in the file.
        conn.execute("PRAGMA journal_mode = WAL")
    except PointsError:
        store.close()
        raise
    except sqlite3.DatabaseError as error:
        store.close()
        raise InvalidInput(f"{target} is not a pointscli database ({error})") from None
    return store
