"""The ledger CSV: `export ledger` writes it and `import ledger` reads it back.

Export lists every entry in date order with the columns the import reads (kind,
date, contact_email, contact_name, type, amount, expires, note, by, ref) and what
the database knows beyond them (entry number, source, void, price), so an export
imported into an empty database with the same point types gives the same
balances.

Import is careful in two passes. First every row is read and checked, and all bad
rows are reported together by file line, writing nothing. Then, in one
transaction, the rows and the voids they carry are applied in time order (file
order among equal times) through the ledger's own insert functions, so the draw
order, the overdraw refusal and the void checks are exactly those of typed
commands. A row with a ref is written once: importing it again with the same
meaning skips it. Reading the file and showing progress are the CLI's business.
"""

import csv
import io
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from pointscli import amounts, clock, directory, ledger
from pointscli.clock import Expiry
from pointscli.directory import PointType
from pointscli.errors import InvalidInput, PointsError
from pointscli.reports import INSTANT, INT, MONEY, POINTS, Column, Report

LEDGER_COLUMNS = [
    Column("kind", "Kind"),
    Column("date", "Date", INSTANT),
    Column("contact_email", "Contact email"),
    Column("contact_name", "Contact name"),
    Column("type", "Type"),
    Column("amount", "Amount", POINTS),
    Column("expires", "Expires"),
    Column("note", "Note"),
    Column("by", "By"),
    Column("ref", "Ref"),
    Column("entry", "Entry", INT),
    Column("source", "Source"),
    Column("voided_at", "Voided at", INSTANT),
    Column("voided_by", "Voided by"),
    Column("void_reason", "Void reason"),
    Column("unit_price", "Unit price", MONEY),
    Column("currency", "Currency"),
]
REQUIRED = ("kind", "date", "contact_email", "type", "amount")
KNOWN = tuple(column.key for column in LEDGER_COLUMNS)
GRANT_ONLY = ("expires", "source", "unit_price", "currency")

# The export's word for each kind of entry, and back.
KIND_WORDS = {"grant": "issue", "consume": "consume"}
WORD_KINDS = {word: kind for kind, word in KIND_WORDS.items()}

# render.neutralise puts a quote before a cell starting with one of these, so a
# spreadsheet shows it as text; reading the file back takes the quote off again.
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


# Export ------------------------------------------------------------------------

_EXPORT_SQL = """
SELECT e.id, e.kind, e.at, c.email, c.name AS contact_name, t.name AS type, e.amount,
       e.expires_on, e.note, u.username AS by_user, e.ref, e.source, e.voided_at,
       v.username AS voided_by_user, e.void_reason, e.unit_price, e.currency
FROM entries e
JOIN contacts c ON c.id = e.contact_id
JOIN point_types t ON t.id = e.type_id
JOIN users u ON u.id = e.user_id
LEFT JOIN users v ON v.id = e.voided_by
WHERE (:start IS NULL OR e.at >= :start) AND (:end IS NULL OR e.at <= :end)
ORDER BY e.at, e.id
"""


def export_ledger(
    store,
    start: datetime | None = None,
    end: datetime | None = None,
    never: str | None = "never",
) -> Report:
    """Every entry dated from start to end (inclusive) as ledger CSV rows.

    `never` is what the expires column holds for a grant that never expires:
    the word for CSV, None for JSON (where a missing expiry is null).
    """
    bounds = {
        "start": start and clock.to_stored(start),
        "end": end and clock.to_stored(end),
    }
    rows = [_export_row(entry, never) for entry in store.query(_EXPORT_SQL, bounds)]
    return Report(LEDGER_COLUMNS, rows, title="Ledger")


def _export_row(entry, never: str | None) -> dict:
    is_grant = entry["kind"] == "grant"
    return {
        "kind": KIND_WORDS[entry["kind"]],
        "date": entry["at"],
        "contact_email": entry["email"],
        "contact_name": entry["contact_name"],
        "type": entry["type"],
        "amount": entry["amount"],
        "expires": (entry["expires_on"] or never) if is_grant else None,
        "note": entry["note"],
        "by": entry["by_user"],
        "ref": entry["ref"],
        "entry": entry["id"],
        "source": entry["source"],
        "voided_at": entry["voided_at"],
        "voided_by": entry["voided_by_user"],
        "void_reason": entry["void_reason"],
        "unit_price": entry["unit_price"],
        "currency": entry["currency"],
    }


# Import: the rows as read ---------------------------------------------------------


@dataclass(frozen=True)
class _Void:
    at: datetime
    by: str | None
    reason: str | None


@dataclass(frozen=True)
class _Row:
    """One checked row: plain values ready for the ledger."""

    line: int
    kind: str
    at: datetime
    email: str
    name: str | None
    point_type: PointType
    amount: int
    expires: Expiry | None
    note: str | None
    by: str | None
    ref: str | None
    source: str
    unit_price: int | None
    currency: str | None
    void: _Void | None

    def content(self) -> tuple:
        """What the row means, to tell a repeated ref from a clashing one."""
        return (
            self.kind,
            self.email.casefold(),
            self.point_type.id,
            self.amount,
            clock.to_stored(self.at),
            self.expires and str(self.expires),
            self.note,
            self.by and self.by.casefold(),
            self.source,
            self.unit_price,
            self.currency,
        )


@dataclass
class ImportResult:
    """What an import wrote (or, in a dry run, would have written)."""

    issues: int = 0
    consumptions: int = 0
    voids: int = 0
    contacts_created: int = 0
    users_created: int = 0
    skipped: int = 0
    dry_run: bool = False


def _read_table(text_or_rows) -> list[tuple[int, list[str]]]:
    """(file line, cells) for every non-blank row, the header first.

    Takes CSV text (a leading byte-order mark is ignored) or rows of cells. A
    row's line is where it starts, so a note spanning lines is still found.
    """
    if not isinstance(text_or_rows, str):
        numbered = [
            (line, [str(cell) for cell in cells])
            for line, cells in enumerate(text_or_rows, start=1)
        ]
        return [(line, cells) for line, cells in numbered if any(c.strip() for c in cells)]

    reader = csv.reader(io.StringIO(text_or_rows.removeprefix("\ufeff"), newline=""))
    table, start = [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                table.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise InvalidInput(
            f"line {reader.line_num}: the CSV cannot be read ({error})"
        ) from None
    return table


def _cell_text(cell: str) -> str:
    """A cell without surrounding blanks or the quote that kept it from being a formula."""
    cell = cell.strip()
    return cell[1:] if cell.startswith(_NEUTRALISED) else cell


def _header_keys(line: int, cells: list[str]) -> list[str]:
    """The header's column names, checked: required ones present, none unknown or twice."""
    if len(cells) == 1 and ";" in cells[0]:
        raise InvalidInput(
            f"line {line}: the header has ';' between columns, not ',': "
            "save the file as comma-separated CSV"
        )
    keys = [cell.strip().lower() for cell in cells]
    missing = [key for key in REQUIRED if key not in keys]
    unknown = [key for key in keys if key not in KNOWN]
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    problems = []
    if missing:
        problems.append(f"lacks the required column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"has unknown column(s) {', '.join(map(repr, unknown))}")
    if doubled:
        problems.append(f"names {', '.join(doubled)} more than once")
    optional = [key for key in KNOWN if key not in REQUIRED]
    if problems:
        raise InvalidInput(
            f"line {line}: the header {'; '.join(problems)}. A ledger CSV needs the "
            f"columns {', '.join(REQUIRED)} and may have {', '.join(optional)}"
        )
    return keys


class _RowReader:
    """Turns one row's cells into a _Row, collecting every problem it finds."""

    def __init__(self, store, now: datetime):
        self.store = store
        self.now = now
        self.types: dict[str, PointType | str] = {}

    def read(self, line: int, cells: dict[str, str]) -> tuple[_Row | None, list[str]]:
        problems = [f"{key} is empty" for key in REQUIRED if not cells[key]]

        def check(parse, *args):
            try:
                return parse(*args)
            except PointsError as error:
                problems.append(str(error))
                return None

        def cell(key: str, parse, *args):
            # An empty required cell is already noted above.
            return check(parse, cells[key], *args) if cells[key] else None

        kind = cell("kind", self._kind)
        at = cell("date", self._moment, "date")
        email = cell("contact_email", directory.check_email)
        point_type = cell("type", self._type, kind)
        amount = cell("amount", amounts.parse_points)
        extras = check(self._grant_details, cells, kind, at)
        void = check(self._void, cells, at)
        ref = check(ledger.check_ref, cells["ref"] or None)

        if problems:
            return None, problems
        expires, source, unit_price, currency = extras
        return _Row(
            line,
            kind,
            at,
            email,
            cells["contact_name"] or None,
            point_type,
            amount,
            expires,
            cells["note"] or None,
            cells["by"] or None,
            ref,
            source,
            unit_price,
            currency,
            void,
        ), []

    def _kind(self, text: str) -> str:
        kind = WORD_KINDS.get(text.lower())
        if kind is None:
            raise InvalidInput(f"kind {text!r} is not issue or consume")
        return kind

    def _moment(self, text: str, what: str) -> datetime:
        try:
            moment = clock.parse_when(text, self.now)
        except InvalidInput as error:
            raise InvalidInput(f"{what}: {error}") from None
        if moment > self.now:
            raise InvalidInput(
                f"{what} {text!r} is in the future: import only what has happened"
            )
        return moment

    def _type(self, text: str, kind: str | None) -> PointType:
        key = text.casefold()
        if key not in self.types:
            try:
                self.types[key] = directory.find_type(self.store, text)
            except PointsError as error:
                self.types[key] = str(error)
        found = self.types[key]
        if isinstance(found, str):
            raise InvalidInput(found)
        if kind == "grant" and found.archived:
            raise InvalidInput(
                f"point type {found.name!r} is archived: no new points can be issued"
            )
        return found

    def _grant_details(self, cells: dict[str, str], kind: str | None, at: datetime | None):
        """expires, source, unit price and currency: issue rows only."""
        if kind == "consume":
            given = [key for key in GRANT_ONLY if cells[key]]
            if given:
                raise InvalidInput(
                    f"{', '.join(given)}: for issue rows only; leave empty on consume rows"
                )
            return None, "import", None, None
        expires = self._expires(cells["expires"], at)
        source = cells["source"].lower() or "import"
        if source not in ledger.SOURCES:
            raise InvalidInput(
                f"source {cells['source']!r} is not one of {', '.join(ledger.SOURCES)}"
            )
        if not cells["unit_price"]:
            return expires, source, None, None
        currency = amounts.normalise_currency(
            cells["currency"] or directory.default_currency(self.store)
        )
        price = amounts.parse_money(cells["unit_price"], currency, "unit_price")
        return expires, source, price, currency

    def _expires(self, text: str, at: datetime | None) -> Expiry | None:
        if not text:
            return None
        expires = clock.parse_expiry(text)
        issued_on = at and clock.local_date(clock.to_stored(at))
        if expires.on is not None and issued_on and expires.on < issued_on:
            raise InvalidInput(
                f"expires {text!r} is before the issue date {issued_on.isoformat()}"
            )
        return expires

    def _void(self, cells: dict[str, str], at: datetime | None) -> _Void | None:
        if not cells["voided_at"]:
            if cells["voided_by"] or cells["void_reason"]:
                raise InvalidInput(
                    "voided_by and void_reason need voided_at, the time of the void"
                )
            return None
        voided_at = self._moment(cells["voided_at"], "voided_at")
        if at is not None and voided_at < at:
            raise InvalidInput("voided_at is before the entry's date")
        return _Void(voided_at, cells["voided_by"] or None, cells["void_reason"] or None)


def _read_rows(store, text_or_rows, now: datetime | None = None) -> list[_Row]:
    """Every row checked; all bad rows are reported at once by line, before any write."""
    table = _read_table(text_or_rows)
    if not table:
        raise InvalidInput(
            "the file is empty: a ledger CSV starts with a header row "
            "(kind,date,contact_email,type,amount,...)"
        )
    header_line, header = table[0]
    keys = _header_keys(header_line, header)
    reader = _RowReader(store, now or clock.utc_now())
    rows, problems = [], []

    for line, cells in table[1:]:
        if len(cells) > len(keys):
            problems.append(
                (line, f"has {len(cells)} cells but the header has {len(keys)}")
            )
            continue
        named = {key: "" for key in KNOWN}
        named.update((key, _cell_text(cell)) for key, cell in zip(keys, cells))
        row, found = reader.read(line, named)
        problems.extend((line, problem) for problem in found)
        if row:
            rows.append(row)

    problems.extend(_ref_clashes(rows))
    if problems:
        raise InvalidInput(_problem_text(problems))
    return rows


def _ref_clashes(rows: list[_Row]) -> list[tuple[int, str]]:
    """Rows reusing an earlier row's ref for something else."""
    first: dict[str, _Row] = {}
    clashes = []
    for row in rows:
        if row.ref is None:
            continue
        earlier = first.setdefault(row.ref, row)
        if earlier is not row and earlier.content() != row.content():
            clashes.append(
                (
                    row.line,
                    f"ref {row.ref!r} is already used by line "
                    f"{earlier.line} for a different entry",
                )
            )
    return clashes


def _problem_text(problems: list[tuple[int, str]]) -> str:
    """All problems, one per line; lines sharing a problem are listed together."""
    lines_by_problem: dict[str, list[int]] = {}
    for line, problem in sorted(problems):
        lines_by_problem.setdefault(problem, []).append(line)
    bad_rows = len({line for line, _ in problems})
    listed = "\n".join(
        f"  {_line_list(lines)}: {problem}" for problem, lines in lines_by_problem.items()
    )
    return (
        f"{bad_rows} row(s) cannot be imported, so nothing was written; "
        f"fix them and import again:\n{listed}"
    )


def _line_list(lines: list[int]) -> str:
    """Line numbers as text: "line 4" or "lines 4, 7-9"."""
    spans: list[list[int]] = []
    for line in lines:
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
    return f"line {text}" if len(lines) == 1 else f"lines {text}"


# Import: writing -----------------------------------------------------------------


def import_ledger(
    store, text_or_rows, dry_run: bool = False, progress=None
) -> ImportResult:
    """Check every row, then write them all in one transaction (rolled back in a dry run).

    `progress(done, total)` is called as rows are applied.
    """
    rows = _read_rows(store, text_or_rows)

    with store.write(), _savepoint(store, keep=not dry_run):
        result = _Applier(store, rows, progress).run()
    result.dry_run = dry_run
    return result


@contextmanager
def _savepoint(store, keep: bool):
    """Undo this block's writes on failure, or always when not kept (a dry run)."""
    store.execute("SAVEPOINT import_ledger")
    try:
        yield
    except BaseException:
        store.execute("ROLLBACK TO import_ledger")
        raise
    else:
        if not keep:
            store.execute("ROLLBACK TO import_ledger")
    finally:
        store.execute("RELEASE import_ledger")


class _Applier:
    """Applies checked rows inside the caller's transaction."""

    def __init__(self, store, rows: list[_Row], progress):
        self.store = store
        self.rows = rows
        self.progress = progress
        self.result = ImportResult()
        self.contacts: dict[str, tuple[int, str]] = {}
        self.users: dict[str, int] = {}
        self.entries: dict[int, tuple[int, bool]] = {}

    def run(self) -> ImportResult:
        contacts_before, users_before = self._count("contacts"), self._count("users")
        self._add_users()
        self._add_contacts()

        # Entries at their dates and voids at theirs on one time line; ties in file order.
        events = [(clock.to_stored(row.at), row.line, 0, row) for row in self.rows]
        events += [
            (clock.to_stored(row.void.at), row.line, 1, row)
            for row in self.rows
            if row.void
        ]
        done = 0
        for _, _, is_void, row in sorted(events, key=lambda event: event[:3]):
            try:
                if is_void:
                    self._void(row)
                else:
                    self._entry(row)
            except PointsError as error:
                raise type(error)(f"line {row.line}: {error}{self._hint()}") from None
            if not is_void and self.progress:
                done += 1
                self.progress(done, len(self.rows))

        self.result.contacts_created = self._count("contacts") - contacts_before
        self.result.users_created = self._count("users") - users_before
        return self.result

    def _hint(self) -> str:
        if not self.result.skipped:
            return "; nothing was imported"
        return (
            "; nothing was imported. Rows with a ref were imported before: "
            "rows without one cannot be recognised, so import only the new rows"
        )

    def _count(self, table: str) -> int:
        return self.store.one(f"SELECT COUNT(*) FROM {table}")[0]

    def _add_users(self) -> None:
        """Find or create every username the rows name (the default user comes later)."""
        named = [
            (row.line, name)
            for row in self.rows
            for name in (row.by, row.void and row.void.by)
            if name
        ]
        for line, name in named:
            key = name.casefold()
            if key in self.users:
                continue
            existing = self.store.one("SELECT id FROM users WHERE username_key = ?", (key,))
            try:
                self.users[key] = (
                    existing["id"]
                    if existing
                    else directory.add_user(self.store, name)["id"]
                )
            except PointsError as error:
                raise InvalidInput(f"line {line}: {error}") from None

    def _user(self, name: str | None) -> int:
        if name:
            return self.users[name.casefold()]
        if "" not in self.users:
            self.users[""] = directory.default_user(self.store)["id"]
        return self.users[""]

    def _add_contacts(self) -> None:
        """Find each email in any case, or create the contact under its usual spelling."""
        spellings: dict[str, Counter] = {}
        names: dict[str, str] = {}
        for row in self.rows:
            key = row.email.casefold()
            spellings.setdefault(key, Counter())[row.email] += 1
            if row.name and key not in names:
                names[key] = row.name

        for key, counts in spellings.items():
            found = directory.contact_by_email(self.store, key)
            if found is None:
                email = counts.most_common(1)[0][0]
                name = names.get(key) or email.split("@")[0]
                found = directory.add_contact(self.store, name, email)
            self.contacts[key] = (found["id"], f"{found['name']} <{found['email']}>")

    def _entry(self, row: _Row) -> None:
        contact_id, label = self.contacts[row.email.casefold()]
        user_id = self._user(row.by)
        action, meaning = _meaning(row, contact_id, user_id)

        earlier = ledger.replay(self.store, row.ref, action, meaning)
        if earlier:
            self.entries[row.line] = (earlier.entries[0], True)
            self.result.skipped += 1
            return
        if row.kind == "grant":
            entry = ledger.insert_grant(
                self.store,
                contact_id,
                row.point_type,
                row.amount,
                user_id=user_id,
                at=row.at,
                expires=row.expires,
                note=row.note,
                source=row.source,
                ref=row.ref,
                unit_price=row.unit_price,
                currency=row.currency,
            )
            self.result.issues += 1
        else:
            entry = ledger.insert_consumption(
                self.store,
                contact_id,
                row.point_type,
                row.amount,
                user_id=user_id,
                at=row.at,
                note=row.note,
                ref=row.ref,
                contact_label=label,
            )
            self.result.consumptions += 1
        ledger.remember(self.store, row.ref, action, meaning, [entry])
        self.entries[row.line] = (entry, False)

    def _void(self, row: _Row) -> None:
        entry, replayed = self.entries[row.line]
        # A row imported before keeps the void it has; one made since is brought in.
        if replayed and ledger.get_entry(self.store, entry)["voided_at"]:
            return
        ledger.void_entry(
            self.store,
            entry,
            user_id=self._user(row.void.by),
            reason=row.void.reason,
            at=row.void.at,
        )
        self.result.voids += 1


def _meaning(row: _Row, contact_id: int, user_id: int) -> tuple[str, dict]:
    """The ref action and meaning, in the shape `points issue` and `consume` give them."""
    at = clock.to_stored(row.at)
    if row.kind == "consume":
        return "consume", {
            "contact": contact_id,
            "type": row.point_type.id,
            "amount": row.amount,
            "user": user_id,
            "at": at,
            "note": row.note,
        }
    return "issue", {
        "contact": contact_id,
        "type": row.point_type.id,
        "amount": row.amount,
        "user": user_id,
        "at": at,
        "expires": row.expires and str(row.expires),
        "note": row.note,
        "source": row.source,
        "unit_price": row.unit_price,
        "currency": row.currency,
    }
