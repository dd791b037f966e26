"""Points and money: the one place that parses, formats and converts them.

Points are exact decimals with at most three places, held everywhere as integers
of thousandths. Money is held as integers of the currency's minor unit beside an
ISO 4217 code. Nothing in the package does arithmetic on amounts as floats, and
nothing else formats them.
"""

import re
from decimal import ROUND_HALF_EVEN, Decimal

from pointscli.errors import InvalidInput

SCALE = 1000

# Plain digits with an optional fraction: no sign, exponent, NaN or infinity.
_POINTS_RE = re.compile(r"^([0-9]+)(?:\.([0-9]+))?$")
_MONEY_RE = re.compile(r"^([0-9]+)(?:\.([0-9]+))?$")
# Far above any real pack, far below SQLite's 64-bit integers even when summed.
MAX_POINTS = 1_000_000_000
MAX_MONEY_MINOR = 10**15

# Minor-unit exponents that differ from the usual 2 (ISO 4217).
_EXPONENTS = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


def parse_points(text: str, what: str = "amount") -> int:
    """Parse a positive points amount ("1", "0.5", "2.125") into thousandths."""
    cleaned = str(text).strip()
    match = _POINTS_RE.match(cleaned)
    if not match:
        raise InvalidInput(
            f"{what} {text!r} is not a number of points: "
            "use a positive number with at most three decimal places, such as 1, 0.5 or 2.125"
        )
    whole, fraction = match.group(1), match.group(2) or ""

    if len(fraction.rstrip("0")) > 3:
        raise InvalidInput(
            f"{what} {text!r} has more than three decimal places: "
            "points are counted to the thousandth (e.g. 0.125)"
        )
    thousandths = int(whole) * SCALE + int((fraction + "000")[:3])

    if thousandths <= 0:
        raise InvalidInput(f"{what} must be more than zero, got {text!r}")
    if thousandths > MAX_POINTS * SCALE:
        raise InvalidInput(
            f"{what} {text!r} is too large: at most {MAX_POINTS:,} points at once"
        )
    return thousandths


def format_points(thousandths: int) -> str:
    """Show thousandths as a trimmed decimal: 2000 -> "2", 1500 -> "1.5"."""
    sign = "-" if thousandths < 0 else ""
    whole, fraction = divmod(abs(thousandths), SCALE)
    if not fraction:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:03d}".rstrip("0")


def points_json(thousandths: int) -> int | Decimal:
    """A JSON-ready number: an int when whole, otherwise an exact Decimal."""
    if thousandths % SCALE == 0:
        return thousandths // SCALE
    return Decimal(thousandths) / SCALE


def normalise_currency(code: str) -> str:
    """Check an ISO 4217 code's shape and return it in capitals."""
    cleaned = str(code).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", cleaned):
        raise InvalidInput(
            f"currency {code!r} is not a three-letter ISO 4217 code such as USD or EUR"
        )
    return cleaned


def currency_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has."""
    return _EXPONENTS.get(currency, 2)


def parse_money(text: str, currency: str, what: str = "price") -> int:
    """Parse a non-negative money amount ("120", "99.50") into minor units."""
    cleaned = str(text).strip()
    match = _MONEY_RE.match(cleaned)
    if not match:
        raise InvalidInput(
            f"{what} {text!r} is not an amount of money: use digits with an optional "
            "decimal point, such as 120 or 99.50"
        )
    places = currency_exponent(currency)
    whole, fraction = match.group(1), match.group(2) or ""

    if len(fraction.rstrip("0")) > places:
        raise InvalidInput(
            f"{what} {text!r} has more decimal places than {currency} allows ({places})"
        )
    minor = int(whole) * 10**places + int((fraction + "0" * places)[:places] or 0)
    if minor > MAX_MONEY_MINOR:
        raise InvalidInput(f"{what} {text!r} is too large")
    return minor


def format_money(minor: int, currency: str) -> str:
    """Show minor units as a plain decimal string in the currency: 12050 USD -> "120.50"."""
    places = currency_exponent(currency)
    if places == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**places)
    return f"{sign}{whole}.{fraction:0{places}d}"


def money_times_points(unit_minor: int, thousandths: int) -> int:
    """The money worth of an amount of points at a per-point price, rounded half-even."""
    exact = Decimal(unit_minor) * thousandths / SCALE
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def money_per_point(total_minor: int, thousandths: int) -> int:
    """The per-point price of a total paid for an amount of points, rounded half-even."""
    exact = Decimal(total_minor) * SCALE / thousandths
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
