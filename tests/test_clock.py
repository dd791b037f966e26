"""Time: WHEN parsing, periods, calendar expiry and the local midnight that ends it."""

import time
from datetime import date, datetime, timezone

import pytest

from pointscli import clock
from pointscli.clock import Expiry, Period, parse_expiry, parse_period, parse_when
from pointscli.errors import InvalidInput

NOW = datetime(2025, 6, 15, 10, 30, 0, tzinfo=timezone.utc)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def new_york(monkeypatch):
    """Run a test in America/New_York, then put the process back on UTC."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


# WHEN ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04-12", utc(2025, 4, 12, 23, 59, 59)),  # a bare day means its close
        ("2025/04/12", utc(2025, 4, 12, 23, 59, 59)),
        ("2025-04-12 14:00", utc(2025, 4, 12, 14, 0)),
        ("2025-04-12T14:00:30", utc(2025, 4, 12, 14, 0, 30)),
        ("2025-04-12T14:00+02:00", utc(2025, 4, 12, 12, 0)),
        ("2025-04-12 14:00-05:00", utc(2025, 4, 12, 19, 0)),
        ("2025-04-12T14:00:00Z", utc(2025, 4, 12, 14, 0)),
        ("12 Apr 2025", utc(2025, 4, 12, 23, 59, 59)),
        ("April 12, 2025", utc(2025, 4, 12, 23, 59, 59)),
        ("12 Apr 2025 09:15", utc(2025, 4, 12, 9, 15)),
        ("  2025-04-12  ", utc(2025, 4, 12, 23, 59, 59)),
    ],
)
def test_parse_when_forms(text, expected):
    assert parse_when(text, now=NOW) == expected


def test_parse_when_words():
    assert parse_when("now", now=NOW) == NOW
    assert parse_when("NOW", now=NOW) == NOW

    # Today has not ended, so it means now; yesterday means its close.
    assert parse_when("today", now=NOW) == NOW
    assert parse_when("yesterday", now=NOW) == utc(2025, 6, 14, 23, 59, 59)


def test_parse_when_today_as_a_date_is_capped_at_now():
    assert parse_when("2025-06-15", now=NOW) == NOW


def test_parse_when_local_time_in_another_zone(new_york):
    # June: New York is UTC-4.
    assert parse_when("2025-06-01 14:00", now=NOW) == utc(2025, 6, 1, 18, 0)
    assert parse_when("2025-06-01", now=NOW) == utc(2025, 6, 2, 3, 59, 59)
    assert parse_when("2025-06-01T14:00+00:00", now=NOW) == utc(2025, 6, 1, 14, 0)

    # At 02:00 UTC on 15 June it is still 14 June in New York.
    early = utc(2025, 6, 15, 2, 0)
    assert parse_when("yesterday", now=early) == utc(2025, 6, 14, 3, 59, 59)
    assert parse_when("today", now=early) == early


@pytest.mark.parametrize(
    "text",
    ["12/04/2025", "13/04/2025", "04/13/2025", "12.04.2025", "12-04-2025", "1/2/2025"],
)
def test_all_numeric_day_first_dates_are_refused_with_a_hint(text):
    with pytest.raises(InvalidInput) as refused:
        parse_when(text, now=NOW)

    message = str(refused.value)
    assert "ambiguous" in message
    assert "year first" in message and "2025-04-12" in message


@pytest.mark.parametrize(
    "text",
    [
        "2025-02-30",
        "2025-13-01",
        "2025-00-10",
        "2025-02-29 10:00",
        "30 Feb 2025",
        "",
        "  ",
        "soon",
        "12 Apr",
        "2025-04-12 25:00",
        "31 Apr 2025",
    ],
)
def test_invalid_dates_are_refused(text):
    with pytest.raises(InvalidInput):
        parse_when(text, now=NOW)


def test_leap_day_exists_in_2024_only():
    assert parse_when("2024-02-29", now=NOW) == utc(2024, 2, 29, 23, 59, 59)
    with pytest.raises(InvalidInput, match="not a real calendar date"):
        parse_when("2025-02-29", now=NOW)


# Periods -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("6 months", Period(6, "months")),
        ("90 days", Period(90, "days")),
        ("1 year", Period(1, "years")),
        ("2 weeks", Period(2, "weeks")),
        ("1 month", Period(1, "months")),
        ("6m", Period(6, "months")),
        ("90d", Period(90, "days")),
        ("  3 Months ", Period(3, "months")),
    ],
)
def test_parse_period(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize(
    "text",
    [
        "6 fortnights",
        "0 days",
        "-1 month",
        "1.5 months",
        "months",
        "",
        "6",
        "six months",
        "1 month 2 days",
    ],
)
def test_parse_period_refusals(text):
    expected = "is zero: give at least 1" if text.startswith("0") else "not a period"
    with pytest.raises(InvalidInput, match=expected):
        parse_period(text)


def test_period_reads_back():
    assert str(parse_period("6 months")) == "6 months"
    assert str(parse_period("1 year")) == "1 year"
    assert str(parse_period("1w")) == "1 week"


# Expiry --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "period", "last_day"),
    [
        (date(2025, 1, 31), "1 month", date(2025, 2, 28)),
        (date(2024, 1, 31), "1 month", date(2024, 2, 29)),
        (date(2025, 1, 31), "3 months", date(2025, 4, 30)),
        (date(2025, 1, 31), "2 months", date(2025, 3, 31)),
        (date(2024, 2, 29), "1 year", date(2025, 2, 28)),
        (date(2025, 1, 1), "90 days", date(2025, 4, 1)),
        (date(2025, 1, 1), "2 weeks", date(2025, 1, 15)),
        (date(2025, 8, 31), "6 months", date(2026, 2, 28)),
    ],
)
def test_expiry_is_the_issue_date_plus_the_period(issued, period, last_day):
    assert parse_expiry(period).date_for(issued) == last_day


def test_repeated_periods_are_counted_from_the_start_not_chained():
    # Chaining (31 Jan -> 28 Feb -> 28 Mar) would lose the month end.
    month = parse_period("1 month")

    assert month.after(date(2025, 1, 31), times=2) == date(2025, 3, 31)
    assert month.after(date(2025, 1, 31), times=3) == date(2025, 4, 30)
    assert month.after(month.after(date(2025, 1, 31))) == date(2025, 3, 28)


def test_parse_expiry_forms():
    assert parse_expiry("never") == Expiry(never=True)
    assert parse_expiry("NEVER").date_for(date(2025, 1, 1)) is None
    assert parse_expiry("2025-12-31").date_for(date(2025, 1, 1)) == date(2025, 12, 31)
    assert parse_expiry("31 Dec 2025").on == date(2025, 12, 31)
    assert str(parse_expiry("6 months")) == "6 months"
    assert str(parse_expiry("2025-12-31")) == "2025-12-31"

    with pytest.raises(InvalidInput, match="period .* a date .* or never"):
        parse_expiry("whenever")
    with pytest.raises(InvalidInput):
        parse_expiry("31/12/2025")


def test_expiry_instant_is_the_local_midnight_ending_the_day():
    assert clock.expiry_instant(date(2025, 2, 28)) == "2025-03-01T00:00:00Z"
    assert clock.expiry_instant(date(2024, 12, 31)) == "2025-01-01T00:00:00Z"


def test_expiry_instant_in_new_york_follows_daylight_saving(new_york):
    # Winter: UTC-5; summer: UTC-4; the night of 9 March 2025 changes over.
    assert clock.expiry_instant(date(2025, 2, 28)) == "2025-03-01T05:00:00Z"
    assert clock.expiry_instant(date(2025, 7, 31)) == "2025-08-01T04:00:00Z"
    assert clock.expiry_instant(date(2025, 3, 8)) == "2025-03-09T05:00:00Z"
    assert clock.expiry_instant(date(2025, 3, 9)) == "2025-03-10T04:00:00Z"


# Stored form ---------------------------------------------------------------------


def test_stored_text_round_trips_and_sorts_in_time_order():
    moment = utc(2025, 4, 12, 9, 5, 7)
    stored = clock.to_stored(moment)

    assert stored == "2025-04-12T09:05:07Z"
    assert clock.from_stored(stored) == moment
    assert clock.to_stored(utc(2025, 4, 12, 10)) > stored > clock.to_stored(utc(2025, 4, 9))


def test_stored_text_is_shown_in_local_time(new_york):
    assert clock.local_text("2025-04-12T14:00:00Z") == "2025-04-12 10:00"
    assert clock.local_date("2025-04-12T02:00:00Z") == date(2025, 4, 11)
    assert clock.iso_local("2025-01-12T14:00:00Z") == "2025-01-12T09:00:00-05:00"
