"""The ledger's rules on the core directly: drawdown, overdraw, expiry, refs and voids."""

from datetime import datetime, timedelta, timezone

import pytest

from pointscli import clock, directory, ledger, reports
from pointscli.clock import Expiry, parse_expiry
from pointscli.errors import InvalidInput, NotFound, RefConflict, Refused

NEVER = Expiry(never=True)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def book(store):
    """A store with one contact, a six-month type, and the admin user."""

    class Book:
        db = store
        session = directory.add_type(store, "Session", expires="6 months")
        ann = directory.add_contact(store, "Ann", "ann@example.com")["id"]
        admin = directory.default_user(store)["id"]

        def issue(self, amount, at, expires=None, ref=None, contact=None, point_type=None):
            return ledger.issue(
                store,
                contact or self.ann,
                point_type or self.session,
                amount,
                user_id=self.admin,
                at=at,
                expires=expires,
                ref=ref,
            )

        def consume(self, amount, at, ref=None, contact=None, point_type=None):
            return ledger.consume(
                store,
                contact or self.ann,
                point_type or self.session,
                amount,
                user_id=self.admin,
                at=at,
                ref=ref,
                contact_label="Ann",
            )

        def void(self, entry, at=None, reason=None):
            return ledger.void(store, entry, user_id=self.admin, at=at, reason=reason)

        def available(self, at, contact=None, point_type=None):
            kind = point_type or self.session
            return ledger.available(store, contact or self.ann, kind.id, at=at)

        def draws(self, consumption):
            sql = "SELECT grant_id, amount FROM draws WHERE consumption_id = ?"
            rows = store.query(sql, (consumption,))
            return {r["grant_id"]: r["amount"] for r in rows}

        def counts(self):
            return {
                table: store.one(f"SELECT COUNT(*) FROM {table}")[0]
                for table in ("entries", "draws", "refs", "contacts", "point_types")
            }

    return Book()


def only(outcome) -> int:
    """The single entry number an outcome made."""
    assert len(outcome.entries) == 1
    return outcome.entries[0]


def summary_row(book, as_of, name="Session") -> dict:
    rows = [r for r in reports.summary(book.db, as_of).rows if r["type"] == name]
    assert len(rows) == 1
    return rows[0]


# Drawdown order ------------------------------------------------------------------


def test_drawdown_takes_soonest_expiry_first_never_last_older_first(book):
    # Issued out of order so entry numbers do not give the answer away.
    late_never = only(book.issue(1000, utc(2025, 1, 4), NEVER))
    june_newer = only(book.issue(1000, utc(2025, 1, 2), parse_expiry("2025-06-30")))
    early_never = only(book.issue(1000, utc(2025, 1, 1), NEVER))
    march = only(book.issue(1000, utc(2025, 1, 3), parse_expiry("2025-03-31")))
    june_older = only(book.issue(1000, utc(2025, 1, 1, 12), parse_expiry("2025-06-30")))
    expected = [march, june_older, june_newer, early_never, late_never]

    taken = []
    for day in range(5):
        consumption = only(book.consume(1000, utc(2025, 2, 1 + day)))
        draws = book.draws(consumption)
        assert list(draws.values()) == [1000]
        taken.extend(draws)

    assert taken == expected


def test_a_consumption_spanning_grants_records_each_draw(book):
    soon = only(book.issue(500, utc(2025, 1, 1), parse_expiry("2025-02-01")))
    later = only(book.issue(1000, utc(2025, 1, 1), parse_expiry("2025-05-01")))
    never = only(book.issue(2000, utc(2025, 1, 1), NEVER))

    consumption = only(book.consume(2250, utc(2025, 1, 10)))

    assert book.draws(consumption) == {soon: 500, later: 1000, never: 750}
    assert book.available(utc(2025, 1, 10)) == 1250


def test_draws_skip_grants_not_yet_issued_and_already_expired(book):
    expired = only(book.issue(1000, utc(2025, 1, 1), parse_expiry("2025-01-31")))
    current = only(book.issue(1000, utc(2025, 1, 15), NEVER))
    book.issue(1000, utc(2025, 3, 1), parse_expiry("2025-03-10"))

    consumption = only(book.consume(500, utc(2025, 2, 15)))

    assert book.draws(consumption) == {current: 500}
    assert expired not in book.draws(consumption)


# Exact fractions -----------------------------------------------------------------


def test_three_tenths_consumed_a_tenth_at_a_time_leaves_exactly_zero(book):
    book.issue(300, utc(2025, 1, 1), NEVER)

    for hour in (1, 2, 3):
        book.consume(100, utc(2025, 1, 2, hour))

    assert book.available(utc(2025, 1, 3)) == 0
    assert reports.outstanding(book.db, utc(2025, 1, 3)).rows == []
    assert reports.balance(book.db, book.ann, utc(2025, 1, 3)).rows[0]["available"] == 0
    assert summary_row(book, utc(2025, 1, 3))["outstanding"] == 0
    with pytest.raises(Refused):
        book.consume(1, utc(2025, 1, 4))


def test_the_contact_is_outstanding_until_the_last_tenth(book):
    book.issue(300, utc(2025, 1, 1), NEVER)
    book.consume(100, utc(2025, 1, 2, 1))
    book.consume(100, utc(2025, 1, 2, 2))

    rows = reports.outstanding(book.db, utc(2025, 1, 3)).rows

    holders = [(r["contact_email"], r["outstanding"]) for r in rows]
    assert holders == [("ann@example.com", 100)]


# Overdraw --------------------------------------------------------------------------


def test_overdraw_is_refused_naming_the_balance_and_writes_nothing(book):
    book.issue(1000, utc(2025, 1, 1), NEVER)
    book.issue(500, utc(2025, 1, 2), NEVER)
    before = book.counts()

    with pytest.raises(Refused) as refused:
        book.consume(1501, utc(2025, 1, 3), ref="too-much")

    message = str(refused.value)
    assert "Ann has 1.5 Sessions available" in message
    assert "cannot consume 1.501" in message
    assert book.counts() == before
    assert book.available(utc(2025, 1, 3)) == 1500


def test_the_whole_balance_can_be_consumed(book):
    book.issue(1000, utc(2025, 1, 1), NEVER)

    book.consume(1000, utc(2025, 1, 2))

    assert book.available(utc(2025, 1, 2)) == 0


def test_points_of_another_contact_or_type_are_not_drawn(book):
    bob = directory.add_contact(book.db, "Bob", "bob@example.com")["id"]
    bonus = directory.add_type(book.db, "Bonus")
    book.issue(1000, utc(2025, 1, 1), NEVER, contact=bob)
    book.issue(1000, utc(2025, 1, 1), NEVER, point_type=bonus)

    with pytest.raises(Refused, match="has 0 Sessions available"):
        book.consume(1000, utc(2025, 1, 2))


# Expiry --------------------------------------------------------------------------


def test_grant_expiry_is_computed_from_the_issue_date(book):
    monthly = directory.add_type(book.db, "Monthly", expires="1 month")
    grant = only(book.issue(1000, utc(2025, 1, 31, 10), point_type=monthly))

    row = ledger.get_entry(book.db, grant)

    assert row["expires_on"] == "2025-02-28"
    assert row["expires_at"] == "2025-03-01T00:00:00Z"


def test_an_explicit_expiry_overrides_the_type_default(book):
    grant = only(book.issue(1000, utc(2025, 1, 31, 10), parse_expiry("3 months")))
    never = only(book.issue(1000, utc(2025, 1, 31, 10), NEVER))

    assert ledger.get_entry(book.db, grant)["expires_on"] == "2025-04-30"
    assert ledger.get_entry(book.db, never)["expires_on"] is None


def test_points_are_usable_through_their_last_day_and_not_after(book):
    book.issue(1000, utc(2025, 1, 31, 10), parse_expiry("1 month"))

    book.consume(500, utc(2025, 2, 28, 23, 59, 59))

    assert book.available(utc(2025, 3, 1)) == 0
    with pytest.raises(Refused, match="has 0 Sessions available"):
        book.consume(500, utc(2025, 3, 1, 0, 0, 0))
    assert summary_row(book, utc(2025, 3, 1))["expired"] == 500


def test_expiry_ends_at_local_midnight_in_new_york(book, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        # 10:00 UTC on 31 Jan is 05:00 local: issued on 31 Jan, last day 28 Feb.
        book.issue(1000, utc(2025, 1, 31, 10), parse_expiry("1 month"))

        # Local midnight ending 28 Feb is 05:00 UTC on 1 March.
        book.consume(500, utc(2025, 3, 1, 4, 59, 59))
        with pytest.raises(Refused):
            book.consume(500, utc(2025, 3, 1, 5, 0, 0))
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_an_expiry_before_the_issue_date_is_refused(book):
    before = book.counts()

    with pytest.raises(InvalidInput, match="before the issue date"):
        book.issue(1000, utc(2025, 3, 1), parse_expiry("2025-02-28"))

    assert book.counts() == before


# Idempotent refs -------------------------------------------------------------------


def test_the_same_issue_with_the_same_ref_issues_once(book):
    first = book.issue(1000, utc(2025, 1, 1), ref="order-17")
    again = book.issue(1000, utc(2025, 1, 1), ref="order-17")

    assert not first.replayed
    assert again.replayed
    assert again.entries == first.entries
    assert book.counts()["entries"] == 1
    assert book.available(utc(2025, 1, 2)) == 1000


def test_the_same_ref_with_another_amount_is_a_conflict(book):
    book.issue(1000, utc(2025, 1, 1), ref="order-17")
    before = book.counts()

    with pytest.raises(RefConflict, match="order-17"):
        book.issue(2000, utc(2025, 1, 1), ref="order-17")

    assert book.counts() == before


def test_a_ref_used_to_issue_cannot_be_reused_to_consume(book):
    book.issue(1000, utc(2025, 1, 1), ref="k")

    with pytest.raises(RefConflict):
        book.consume(1000, utc(2025, 1, 2), ref="k")


def test_a_consumption_with_a_ref_is_recorded_once(book):
    book.issue(2000, utc(2025, 1, 1), NEVER)

    first = book.consume(1000, utc(2025, 1, 2), ref="session-9")
    again = book.consume(1000, utc(2025, 1, 2), ref="session-9")

    assert again.replayed and again.entries == first.entries
    assert book.available(utc(2025, 1, 3)) == 1000


def test_a_refused_consumption_does_not_use_up_its_ref(book):
    with pytest.raises(Refused):
        book.consume(1000, utc(2025, 1, 2), ref="retry-me")
    book.issue(1000, utc(2025, 1, 1), NEVER)

    outcome = book.consume(1000, utc(2025, 1, 2), ref="retry-me")

    assert not outcome.replayed
    assert book.available(utc(2025, 1, 3)) == 0


# Voids ---------------------------------------------------------------------------


def test_voiding_a_consumption_restores_its_points(book):
    soon = only(book.issue(1000, utc(2025, 1, 1), parse_expiry("2025-06-30")))
    never = only(book.issue(1000, utc(2025, 1, 1), NEVER))
    consumption = only(book.consume(1500, utc(2025, 2, 1)))

    outcome = book.void(consumption, at=utc(2025, 2, 2), reason="entered twice")

    assert "returned 1.5" in outcome.detail
    assert book.available(utc(2025, 2, 3)) == 2000
    again = only(book.consume(2000, utc(2025, 2, 3)))
    assert book.draws(again) == {soon: 1000, never: 1000}

    row = ledger.get_entry(book.db, consumption)
    assert row["voided_at"] == "2025-02-02T00:00:00Z"
    assert row["void_reason"] == "entered twice"
    assert row["voided_by"] == book.admin


def test_voiding_a_grant_voids_only_its_unused_part_and_says_so(book):
    grant = only(book.issue(2000, utc(2025, 1, 1), NEVER))
    book.consume(500, utc(2025, 1, 2))

    outcome = book.void(grant, at=utc(2025, 1, 3))

    assert outcome.detail == "voided the unused 1.5 of 2; 0.5 already used stay consumed"
    assert book.available(utc(2025, 1, 4)) == 0
    row = summary_row(book, utc(2025, 1, 4))
    assert (row["issued"], row["consumed"], row["voided"], row["outstanding"]) == (
        2000,
        500,
        1500,
        0,
    )


def test_voiding_an_unused_grant_says_all_of_it(book):
    grant = only(book.issue(2000, utc(2025, 1, 1), NEVER))

    assert book.void(grant, at=utc(2025, 1, 3)).detail == "voided all 2"


def test_a_fully_used_grant_cannot_be_voided(book):
    grant = only(book.issue(1000, utc(2025, 1, 1), NEVER))
    book.consume(1000, utc(2025, 1, 2))
    before = book.counts()

    with pytest.raises(Refused, match="fully used: void the consumptions"):
        book.void(grant, at=utc(2025, 1, 3))

    assert ledger.get_entry(book.db, grant)["voided_at"] is None
    assert book.counts() == before


def test_an_entry_cannot_be_voided_twice(book):
    grant = only(book.issue(1000, utc(2025, 1, 1), NEVER))
    book.void(grant, at=utc(2025, 1, 2), reason="first")

    with pytest.raises(Refused, match="already voided"):
        book.void(grant, at=utc(2025, 1, 3), reason="second")

    row = ledger.get_entry(book.db, grant)
    assert (row["voided_at"], row["void_reason"]) == ("2025-01-02T00:00:00Z", "first")


def test_a_consumption_cannot_be_voided_twice(book):
    book.issue(1000, utc(2025, 1, 1), NEVER)
    consumption = only(book.consume(500, utc(2025, 1, 2)))
    book.void(consumption, at=utc(2025, 1, 3))

    with pytest.raises(Refused, match="already voided"):
        book.void(consumption, at=utc(2025, 1, 4))

    assert book.available(utc(2025, 1, 5)) == 1000


def test_a_voided_grant_is_never_drawn(book):
    voided = only(book.issue(1000, utc(2025, 1, 1), parse_expiry("2025-03-01")))
    kept = only(book.issue(1000, utc(2025, 1, 1), NEVER))
    book.void(voided, at=utc(2025, 1, 2))

    consumption = only(book.consume(1000, utc(2025, 1, 3)))

    assert book.draws(consumption) == {kept: 1000}
    with pytest.raises(Refused, match="has 0 Sessions available"):
        book.consume(1, utc(2025, 1, 4))


def test_a_void_cannot_be_dated_before_its_entry(book):
    grant = only(book.issue(1000, utc(2025, 2, 1), NEVER))

    with pytest.raises(InvalidInput, match="before its entry"):
        book.void(grant, at=utc(2025, 1, 1))

    assert ledger.get_entry(book.db, grant)["voided_at"] is None


# Backdating and the future --------------------------------------------------------


def test_a_backdated_consumption_cannot_make_a_later_moment_negative(book):
    book.issue(1000, utc(2025, 1, 10), NEVER)
    book.consume(1000, utc(2025, 3, 10))
    before = book.counts()

    # In February the grant looked unused, but March already spent it.
    with pytest.raises(Refused):
        book.consume(1000, utc(2025, 2, 10))

    assert book.counts() == before
    for month in range(1, 13):
        moment = utc(2025, month, 28)
        assert book.available(moment) >= 0
        assert summary_row(book, moment)["outstanding"] >= 0


def test_a_backdated_consumption_within_the_balance_is_accepted(book):
    book.issue(2000, utc(2025, 1, 10), NEVER)
    book.consume(1000, utc(2025, 3, 10))

    book.consume(1000, utc(2025, 2, 10))

    assert book.available(utc(2025, 3, 11)) == 0
    assert summary_row(book, utc(2025, 2, 11))["outstanding"] == 1000


def test_a_write_dated_in_the_future_is_refused(book):
    later = clock.utc_now() + timedelta(days=1)
    book.issue(1000, utc(2025, 1, 1), NEVER)
    before = book.counts()

    with pytest.raises(InvalidInput, match="in the future"):
        book.issue(1000, later)
    with pytest.raises(InvalidInput, match="in the future"):
        book.consume(500, later)

    assert book.counts() == before


def test_a_write_without_at_happens_now(book):
    grant = only(book.issue(1000, None, NEVER))

    recorded = clock.from_stored(ledger.get_entry(book.db, grant)["at"])

    assert abs(recorded - clock.utc_now()) < timedelta(minutes=5)


# Archived types and failed writes ----------------------------------------------


def test_an_archived_type_refuses_issue_but_its_points_stay_usable(book):
    book.issue(1000, utc(2025, 1, 1), NEVER)
    archived = directory.archive_type(book.db, "Session")
    before = book.counts()

    with pytest.raises(Refused, match="archived"):
        book.issue(1000, utc(2025, 1, 2), NEVER, point_type=archived)

    assert book.counts() == before
    book.consume(1000, utc(2025, 1, 3), point_type=archived)


def test_refused_writes_leave_no_row_behind(book):
    grant = only(book.issue(1000, utc(2025, 1, 1), NEVER, ref="g"))
    consumption = only(book.consume(1000, utc(2025, 1, 2)))
    before = book.counts()

    attempts = [
        lambda: book.consume(1, utc(2025, 1, 3), ref="c"),
        lambda: book.issue(2000, utc(2025, 1, 1), NEVER, ref="g"),
        lambda: book.void(grant, at=utc(2025, 1, 3)),
        lambda: book.void(9999, at=utc(2025, 1, 3)),
        lambda: book.issue(1000, utc(2025, 3, 1), parse_expiry("2025-01-01"), ref="late"),
    ]
    for attempt in attempts:
        with pytest.raises((Refused, RefConflict, InvalidInput, NotFound)):
            attempt()

    assert book.counts() == before
    assert ledger.get_entry(book.db, consumption)["voided_at"] is None


def test_grant_void_cannot_be_dated_before_a_since_voided_consumption(store):
    from datetime import datetime, timezone

    from pointscli import directory, ledger
    from pointscli.errors import InvalidInput

    session = directory.add_type(store, "Session")
    ann = directory.add_contact(store, "Ann", "ann@example.com")
    user = directory.default_user(store)
    at = lambda day: datetime(2025, 3, day, 12, tzinfo=timezone.utc)  # noqa: E731
    grant = ledger.issue(
        store, ann["id"], session, 2000, user_id=user["id"], at=at(1)
    ).entries[0]
    used = ledger.consume(
        store, ann["id"], session, 1000, user_id=user["id"], at=at(10)
    ).entries[0]
    ledger.void(store, used, user_id=user["id"], at=at(12))

    with pytest.raises(InvalidInput, match="date the void after that"):
        ledger.void(store, grant, user_id=user["id"], at=at(5))
