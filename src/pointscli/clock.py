"""Time: parsing WHEN and periods, expiry dates, and the stored UTC form.

Instants are stored as UTC text ("2025-01-05T13:02:00Z"), which sorts in time
order. Expiry is a local calendar date: the points are usable until the local
midnight that ends it. A day given without a time means the end of that day
(or now, for today), so `--at yesterday` and `--as-of 2025-06-30` both mean
"by the close of that day".
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from pointscli.errors import InvalidInput

STORED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MIN_YEAR, MAX_YEAR = 1900, 2999
# Periods longer than a century are typing mistakes, and would leave the calendar.
_PERIOD_LIMITS = {"days": 36_500, "weeks": 5_200, "months": 1_200, "years": 100}

_PERIOD_RE = re.compile(r"^([0-9]+)\s*([a-z]+)$")
_PERIOD_UNITS = {
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "wk": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "m": "months",
    "mo": "months",
    "month": "months",
    "months": "months",
    "y": "years",
    "yr": "years",
    "year": "years",
    "years": "years",
}
_YEAR_FIRST_RE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC_RE = re.compile(r"^[\d\s/.\-:]+$")
_WHEN_HINT = "use 2025-04-12, 2025-04-12 14:00, 12 Apr 2025, now, today or yesterday"


def local_zone():
    """The machine's local time zone, DST-aware."""
    from dateutil import tz

    return tz.tzlocal()


def utc_now() -> datetime:
    """The present moment, to the second, in UTC."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def to_stored(moment: datetime) -> str:
    """An aware datetime as stored UTC text."""
    return moment.astimezone(timezone.utc).strftime(STORED_FORMAT)


def from_stored(text: str) -> datetime:
    """Stored UTC text back to an aware datetime."""
    return datetime.strptime(text, STORED_FORMAT).replace(tzinfo=timezone.utc)


def local_text(stored: str) -> str:
    """Stored UTC text shown as local wall-clock time to the minute."""
    return from_stored(stored).astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def iso_local(stored: str) -> str:
    """Stored UTC text as ISO 8601 local time with its offset, for CSV and JSON."""
    return from_stored(stored).astimezone(local_zone()).isoformat()


def local_date(stored: str) -> date:
    """The local calendar date of a stored instant."""
    return from_stored(stored).astimezone(local_zone()).date()


def end_of_day(day: date) -> datetime:
    """The last stored second of a local calendar day, as an aware datetime."""
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=local_zone())
    return (midnight - timedelta(seconds=1)).astimezone(timezone.utc)


def day_close(day: date, now: datetime) -> datetime:
    """The end of a day; for today, now (a later day stays in the future, to be refused)."""
    if day == now.astimezone(local_zone()).date():
        return min(end_of_day(day), now)
    return end_of_day(day)


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """Parse WHEN into an aware UTC datetime; a bare day means its close."""
    now = now or utc_now()
    cleaned = str(text).strip()
    word = cleaned.lower()
    today = now.astimezone(local_zone()).date()

    if word == "now":
        return now
    if word == "today":
        return day_close(today, now)
    if word == "yesterday":
        return day_close(today - timedelta(days=1), now)
    parsed = _parse_day_or_moment(cleaned)
    if isinstance(parsed, datetime):
        return _as_utc(parsed)
    return day_close(parsed, now)


def parse_start(text: str, now: datetime | None = None) -> datetime:
    """WHEN as the start of a range (--from): a bare day means its first moment."""
    cleaned = str(text).strip()
    word = cleaned.lower()
    if word == "now":
        return parse_when(word, now)
    if word in ("today", "yesterday"):
        parsed = parse_when(word, now).astimezone(local_zone()).date()
    else:
        parsed = _parse_day_or_moment(cleaned)
    if isinstance(parsed, datetime):
        return _as_utc(parsed)
    midnight = datetime.combine(parsed, time(0), tzinfo=local_zone())
    return midnight.astimezone(timezone.utc)


def _parse_day_or_moment(text: str) -> date | datetime:
    """A written date (a date) or date and time (a naive or offset datetime)."""
    if not text:
        raise InvalidInput(f"an empty date was given: {_WHEN_HINT}")
    year_first = _YEAR_FIRST_RE.match(text)
    if year_first:
        text = "-".join(f"{int(part):02d}" for part in year_first.groups())
    parsed = _parse_iso(text)
    parsed = parsed if parsed is not None else _parse_named_month(text)
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidInput(
            f"{text!r} is out of range: give a date from {MIN_YEAR} to {MAX_YEAR}"
        )
    return parsed


def _parse_iso(text: str) -> date | datetime | None:
    """ISO 8601 date or date-time, or None when the text is not ISO."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"{text!r} is not a real calendar date: check the month (01-12) and day"
            ) from None
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not a valid date and time: {_WHEN_HINT}") from None


def _parse_named_month(text: str) -> date | datetime:
    """A date with a month name ("12 Apr 2025", "April 12, 2025 14:00")."""
    if _NUMERIC_RE.match(text):
        raise InvalidInput(
            f"{text!r} is ambiguous: day and month order differ between countries; "
            "write the year first (2025-04-12) or name the month (12 Apr 2025)"
        )
    if not re.search(r"\b\d{4}\b", text):
        raise InvalidInput(f"{text!r} has no four-digit year: {_WHEN_HINT}")
    from dateutil import parser

    try:
        parsed = parser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        raise InvalidInput(f"{text!r} is not a date: {_WHEN_HINT}") from None
    has_time = re.search(r"\d:\d", text) is not None
    return parsed if has_time else parsed.date()


def _as_utc(moment: datetime) -> datetime:
    """Local wall-clock time (no offset) or an offset time, as UTC to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def parse_date(text: str) -> date:
    """A calendar date in any WHEN form ("2025-02-28", "28 Feb 2025")."""
    parsed = _parse_day_or_moment(str(text).strip())
    if isinstance(parsed, datetime):
        return _as_utc(parsed).astimezone(local_zone()).date()
    return parsed


@dataclass(frozen=True)
class Period:
    """A length of time such as "6 months": count of a unit."""

    count: int
    unit: str

    def __str__(self) -> str:
        unit = self.unit if self.count != 1 else self.unit[:-1]
        return f"{self.count} {unit}"

    def after(self, start: date, times: int = 1) -> date:
        """The date `times` periods after start, computed from start itself."""
        from dateutil.relativedelta import relativedelta

        return start + relativedelta(**{self.unit: self.count * times})


def parse_period(text: str) -> Period:
    """Parse "6 months", "90 days", "1 year", "2 weeks" (or 6m, 90d, 1y, 2w)."""
    match = _PERIOD_RE.match(str(text).strip().lower())
    unit = _PERIOD_UNITS.get(match.group(2)) if match else None
    if match and unit and int(match.group(1)) == 0:
        raise InvalidInput(
            f"period {text!r} is zero: give at least 1, such as 1 day or 6 months"
        )
    if match and unit and int(match.group(1)) > _PERIOD_LIMITS[unit]:
        raise InvalidInput(
            f"period {text!r} is too long: at most {_PERIOD_LIMITS[unit]} {unit}"
        )
    if not match or unit is None:
        raise InvalidInput(
            f"{text!r} is not a period: use a whole number and a unit, "
            "such as 90 days, 2 weeks, 6 months or 1 year"
        )
    return Period(int(match.group(1)), unit)


@dataclass(frozen=True)
class Expiry:
    """How a grant expires: never, a period after issue, or a fixed date."""

    period: Period | None = None
    on: date | None = None
    never: bool = False

    def date_for(self, issued: date) -> date | None:
        """The last usable day for a grant issued on `issued`."""
        if self.never:
            return None
        if self.on is not None:
            return self.on
        return self.period.after(issued) if self.period else None

    def __str__(self) -> str:
        if self.never:
            return "never"
        return str(self.on.isoformat() if self.on else self.period)


def parse_expiry(text: str) -> Expiry:
    """Parse --expires: a period, an explicit date, or `never`."""
    cleaned = str(text).strip()
    if cleaned.lower() == "never":
        return Expiry(never=True)
    if _PERIOD_RE.match(cleaned.lower()):
        return Expiry(period=parse_period(cleaned))
    try:
        return Expiry(on=parse_date(cleaned))
    except InvalidInput:
        raise InvalidInput(
            f"expiry {text!r} is not understood: give a period (6 months, 90 days), "
            "a date (2025-12-31) or never"
        ) from None


def expiry_instant(last_day: date) -> str:
    """Stored UTC text of the local midnight that ends the last usable day."""
    midnight = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=local_zone())
    return to_stored(midnight)
