"""A contact's statement, tested on the core: running balance, expiries, voids, periods."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pointscli import clock, directory, ledger, reports
from pointscli.clock import Expiry, Period
from pointscli.errors import InvalidInput, PointsError
from pointscli.statement import statement
from pointscli.storage import open_store

NEVER = Expiry(never=True)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


class Book:
    """A small ledger: one contact, a one-month Session type and a never-expiring Bonus."""

    def __init__(self, store):
        self.db = store
        self.session = directory.add_type(store, "Session", expires="1 month")
        self.bonus = directory.add_type(store, "Bonus")
        self.ann = directory.add_contact(store, "Ann", "ann@example.com")["id"]
        self.admin = directory.default_user(store)["id"]

    def issue(self, amount, at, expires=None, point_type=None, note=None) -> int:
        outcome = ledger.issue(
            self.db,
            self.ann,
            point_type or self.session,
            amount,
            user_id=self.admin,
            at=at,
            expires=expires,
            note=note,
        )
        return outcome.entries[0]

    def consume(self, amount, at, point_type=None, note=None) -> int:
        outcome = ledger.consume(
            self.db,
            self.ann,
            point_type or self.session,
            amount,
            user_id=self.admin,
            at=at,
            note=note,
        )
        return outcome.entries[0]

    def void(self, entry, at, reason=None) -> None:
        ledger.void(self.db, entry, user_id=self.admin, at=at, reason=reason)

    def rows(self, **period) -> list[dict]:
        return statement(self.db, self.ann, **period).rows

    def available(self, as_of: datetime, type_name="Session") -> int:
        rows = reports.balance(self.db, self.ann, as_of).rows
        return sum(r["available"] for r in rows if r["type"] == type_name)


@pytest.fixture
def book(store) -> Book:
    return Book(store)


def lines(rows) -> list[tuple]:
    return [(r["kind"], r["entry"], r["amount"], r["balance"]) for r in rows]


def assert_matches_reports(book: Book, rows: list[dict]) -> None:
    """The balance after each instant's last row equals reports.balance as of then."""
    for row, following in zip(rows, rows[1:] + [None]):
        if following is not None and following["date"] == row["date"]:
            continue
        as_of = clock.from_stored(row["date"])
        assert row["balance"] == book.available(as_of, row["type"]), row


# Running balance and expiries ------------------------------------------------------


def test_running_balance_ends_where_balance_does(book):
    pack = book.issue(10_000, utc(2025, 1, 5, 10))
    book.consume(1_000, utc(2025, 1, 10, 9), note="intro")
    book.consume(500, utc(2025, 1, 12, 9))
    book.issue(2_000, utc(2025, 1, 20, 9), expires=NEVER)

    rows = book.rows(end=utc(2025, 1, 31, 12))

    assert lines(rows) == [
        ("issue", pack, 10_000, 10_000),
        ("consume", 2, -1_000, 9_000),
        ("consume", 3, -500, 8_500),
        ("issue", 4, 2_000, 10_500),
    ]
    assert rows[-1]["balance"] == book.available(utc(2025, 1, 31, 12)) == 10_500
    assert rows[1]["note"] == "intro" and rows[1]["by"] == "admin"
    assert rows[0]["valid_until"] == "2025-02-05" and rows[3]["valid_until"] is None
    assert_matches_reports(book, rows)


def test_expiry_is_its_own_line_for_the_unused_part(book):
    pack = book.issue(10_000, utc(2025, 1, 5, 10))
    book.consume(3_000, utc(2025, 1, 10, 9))
    soon = Expiry(on=utc(2025, 1, 20).date())
    used_up = book.issue(1_000, utc(2025, 1, 6, 10), expires=soon)
    book.consume(1_000, utc(2025, 1, 11, 9))  # drawn from the sooner-expiring grant

    rows = book.rows(end=utc(2025, 3, 1))

    expiries = [r for r in rows if r["kind"] == "expire"]
    assert [(r["entry"], r["amount"], r["balance"]) for r in expiries] == [
        (pack, -7_000, 0)
    ]
    assert expiries[0]["date"] == "2025-02-06T00:00:00Z"
    assert expiries[0]["valid_until"] == "2025-02-05"
    assert used_up not in [r["entry"] for r in expiries]
    assert book.available(utc(2025, 3, 1)) == 0
    assert_matches_reports(book, rows)


def test_expiries_after_the_end_are_not_shown(book):
    book.issue(4_000, utc(2025, 1, 5, 10))

    rows = book.rows(end=utc(2025, 2, 5, 23))

    assert [r["kind"] for r in rows] == ["issue"]
    assert rows[-1]["balance"] == book.available(utc(2025, 2, 5, 23)) == 4_000


def test_consumption_names_the_grants_it_drew_from(book):
    first = book.issue(1_000, utc(2025, 1, 5, 10))
    second = book.issue(2_000, utc(2025, 1, 6, 10))
    taken = book.consume(1_500, utc(2025, 1, 7, 10))

    row = next(r for r in book.rows() if r["entry"] == taken)

    assert row["drawn_from"] == f"#{first}: 1, #{second}: 0.5"


# Voids -----------------------------------------------------------------------------


def test_voided_consumption_keeps_its_line_and_gives_the_points_back(book):
    book.issue(10_000, utc(2025, 1, 5, 10))
    taken = book.consume(3_000, utc(2025, 1, 10, 9))
    book.void(taken, utc(2025, 1, 11, 9), reason="wrong client")

    rows = book.rows(end=utc(2025, 1, 20))

    original, void = [r for r in rows if r["entry"] == taken]
    assert (original["kind"], original["amount"], original["balance"]) == (
        "consume",
        -3_000,
        7_000,
    )
    assert original["voided_at"] == "2025-01-11T09:00:00Z"
    assert original["voided_by"] == "admin" and original["void_reason"] == "wrong client"
    assert (void["kind"], void["amount"], void["balance"]) == ("void", 3_000, 10_000)
    assert void["date"] == "2025-01-11T09:00:00Z" and void["by"] == "admin"
    assert book.available(utc(2025, 1, 20)) == 10_000
    assert_matches_reports(book, rows)


def test_points_returned_to_an_expired_grant_do_not_come_back(book):
    soon = Expiry(on=utc(2025, 1, 8).date())
    short = book.issue(1_000, utc(2025, 1, 5, 10), expires=soon)
    book.issue(5_000, utc(2025, 1, 5, 11), expires=NEVER)
    taken = book.consume(2_000, utc(2025, 1, 7, 9))
    book.void(taken, utc(2025, 1, 20, 9))

    rows = book.rows(end=utc(2025, 1, 31))

    void = next(r for r in rows if r["kind"] == "void")
    assert (void["amount"], void["balance"]) == (1_000, 5_000)
    assert void["note"] == "1 of 2 returned to expired or voided grants: not usable again"
    assert not [r for r in rows if r["kind"] == "expire" and r["entry"] == short]
    assert_matches_reports(book, rows)


def test_voiding_a_grant_removes_only_its_unused_part(book):
    grant = book.issue(10_000, utc(2025, 1, 5, 10), expires=NEVER)
    book.consume(4_000, utc(2025, 1, 6, 10))
    book.void(grant, utc(2025, 1, 7, 10), reason="refund")

    rows = book.rows()

    void = rows[-1]
    assert (void["kind"], void["entry"], void["amount"], void["balance"]) == (
        "void",
        grant,
        -6_000,
        0,
    )
    assert void["note"] == "refund; only 6 of 10 left: the rest was used or had expired"
    assert rows[0]["void_reason"] == "refund"
    assert_matches_reports(book, rows)


def test_a_voided_grant_does_not_expire_again(book):
    grant = book.issue(10_000, utc(2025, 1, 5, 10))
    book.void(grant, utc(2025, 1, 6, 10))

    rows = book.rows()

    assert [r["kind"] for r in rows] == ["issue", "void"]
    assert rows[-1]["balance"] == 0


def test_a_grant_voided_after_it_expired_changes_nothing_more(book):
    grant = book.issue(3_000, utc(2025, 1, 5, 10))
    book.void(grant, utc(2025, 3, 1, 10))

    rows = book.rows()

    assert lines(rows) == [
        ("issue", grant, 3_000, 3_000),
        ("expire", grant, -3_000, 0),
        ("void", grant, 0, 0),
    ]
    assert_matches_reports(book, rows)


# Periods and types -------------------------------------------------------------------


def test_period_filters_rows_but_not_the_balance(book):
    book.issue(10_000, utc(2025, 1, 5, 10), expires=NEVER)
    book.consume(1_000, utc(2025, 1, 10, 9))
    inside = book.consume(2_000, utc(2025, 2, 1, 9))
    book.consume(500, utc(2025, 3, 1, 9))

    rows = book.rows(start=utc(2025, 2, 1), end=utc(2025, 2, 28, 23))

    assert lines(rows) == [
        ("opening", None, None, 9_000),
        ("consume", inside, -2_000, 7_000),
    ]
    assert rows[0]["date"] == "2025-02-01T00:00:00Z"


def test_opening_line_when_nothing_happens_in_the_period(book):
    book.issue(2_000, utc(2025, 1, 5, 10), expires=NEVER)

    rows = book.rows(start=utc(2025, 6, 1), end=utc(2025, 6, 30))

    assert lines(rows) == [("opening", None, None, 2_000)]


def test_a_period_that_ends_before_it_starts_is_refused(book):
    with pytest.raises(InvalidInput, match="starts after it ends"):
        book.rows(start=utc(2025, 6, 1), end=utc(2025, 5, 1))


def test_each_type_keeps_its_own_running_balance(book):
    book.issue(3_000, utc(2025, 1, 5, 10), expires=NEVER)
    book.issue(1_000, utc(2025, 1, 6, 10), point_type=book.bonus)
    book.consume(250, utc(2025, 1, 7, 10), point_type=book.bonus)

    rows = book.rows()
    only_bonus = statement(book.db, book.ann, type_id=book.bonus.id).rows

    assert [(r["type"], r["balance"]) for r in rows] == [
        ("Session", 3_000),
        ("Bonus", 1_000),
        ("Bonus", 750),
    ]
    assert [r["balance"] for r in only_bonus] == [1_000, 750]
    assert_matches_reports(book, rows)


def test_a_contact_with_no_entries_has_an_empty_statement(book):
    report = statement(book.db, book.ann)

    assert report.rows == [] and report.title == "Statement for Ann <ann@example.com>"


# Against the reports, on random histories ------------------------------------------

STEP = st.tuples(
    st.sampled_from(["issue", "issue-never", "consume", "consume", "void"]),
    st.integers(-3, 8),  # days on from the previous step (a few back: backdated writes)
    st.integers(0, 23),  # hour
    st.integers(1, 8),  # points (halves for consumptions), or how far back to void
)


def play(book: Book, steps) -> None:
    """Apply the steps; refused writes (overdraw, a void before its entry) are skipped."""
    short = Expiry(period=Period(10, "days"))
    day, entries = 0, []
    for kind, gap, hour, number in steps:
        day = max(day + gap, 0)
        moment = utc(2025, 1, 1, hour) + timedelta(days=day)
        try:
            if kind.startswith("issue"):
                expiry = NEVER if kind == "issue-never" else short
                entries.append(book.issue(number * 1000, moment, expiry))
            elif kind == "consume":
                entries.append(book.consume(number * 500, moment))
            elif entries:
                book.void(entries[-1 - number % len(entries)], moment)
        except PointsError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, max_size=16), start_day=st.integers(0, 60))
def test_running_balance_always_equals_the_reports(steps, start_day):
    store = open_store(":memory:")
    try:
        book = Book(store)
        play(book, steps)

        rows = book.rows(end=utc(2025, 6, 1))
        assert_matches_reports(book, rows)
        start = utc(2025, 1, 1) + timedelta(days=start_day)
        period = book.rows(start=start, end=utc(2025, 6, 1))
        if rows:
            opening = period[0]
            assert opening["kind"] == "opening"
            assert opening["balance"] == book.available(start - timedelta(seconds=1))
        assert [r for r in period if r["kind"] != "opening"] == [
            r for r in rows if r["date"] >= clock.to_stored(start)
        ]
    finally:
        store.close()
