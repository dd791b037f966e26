"""Backups: a consistent copy of the open database, made with SQLite's backup API.

The backup API reads the database in one pass inside a read transaction, so the
copy shows one moment even while other processes write (WAL mode lets them carry
on). The copy goes to a private temporary file beside the destination and is
moved into place only when complete: a failed backup never leaves a half-written
file under the destination's name, and an existing file is replaced only when
the caller says so.
"""

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pointscli.errors import InvalidInput, Refused


@dataclass(frozen=True)
class Backup:
    """Where the copy went and how many ledger entries it holds."""

    path: Path
    entries: int


def backup(store, dest, force: bool = False) -> Backup:
    """Copy the database to dest, owner-only; replace a file only with force."""
    target = Path(dest).expanduser()
    _check_target(store, target, force)

    temporary = _private_file_beside(target)
    try:
        entries = _copy(store, temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Backup(target, entries)


def _check_target(store, target: Path, force: bool) -> None:
    """Refuse a folder, a missing folder, the database itself, or an existing file."""
    if target.is_dir():
        raise InvalidInput(
            f"{target} is a folder: give a file name such as {target / 'points-backup.db'}"
        )
    if not target.parent.is_dir():
        raise InvalidInput(
            f"the folder {target.parent} does not exist: create it or choose another place"
        )
    if target.exists() and target.resolve() == Path(store.path).resolve():
        raise Refused(f"{target} is the database itself: give another file name")
    if target.exists() and not force:
        raise Refused(
            f"{target} already exists: give a new file name, or --force to replace it"
        )


def _private_file_beside(target: Path) -> Path:
    """An empty file readable by its owner only, in the destination's folder."""
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise InvalidInput(f"cannot write in {target.parent}: {error.strerror}") from None
    os.close(handle)
    return Path(name)


def _copy(store, path: Path) -> int:
    """Copy every page into path; the copy is one self-contained file (no WAL beside it)."""
    copy = sqlite3.connect(str(path))
    try:
        store.conn.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
        return copy.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    except sqlite3.Error as error:
        raise InvalidInput(f"the backup to {path.parent} failed: {error}") from None
    finally:
        copy.close()
