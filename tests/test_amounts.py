"""Points and money: exact parsing, refusals, trimmed display and rounding."""

import pytest

from pointscli.amounts import (
    currency_exponent,
    format_money,
    format_points,
    money_times_points,
    normalise_currency,
    parse_money,
    parse_points,
    points_json,
)
from pointscli.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "thousandths"),
    [
        ("1", 1000),
        ("0.5", 500),
        ("0.25", 250),
        ("2.125", 2125),
        ("2.1250", 2125),
        (" 3 ", 3000),
        ("0.001", 1),
        ("10", 10000),
    ],
)
def test_parse_points_accepts_exact_decimals(text, thousandths):
    assert parse_points(text) == thousandths


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "0.000",
        "-1",
        "1.2345",
        "0.0001",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "1e3",
        "",
        "   ",
        "abc",
        "1,5",
        "+1",
        "1.",
        ".5",
        "1 000",
        "0x10",
    ],
)
def test_parse_points_refuses_anything_else(text):
    with pytest.raises(InvalidInput) as refused:
        parse_points(text)

    # The message names the value so the user can see what was wrong.
    assert repr(text) in str(refused.value)


def test_parse_points_messages_name_the_fix():
    with pytest.raises(InvalidInput, match="more than three decimal places"):
        parse_points("1.2345")
    with pytest.raises(InvalidInput, match="more than zero"):
        parse_points("0")
    with pytest.raises(InvalidInput, match="at most three decimal places"):
        parse_points("-1")


def test_parse_points_names_what_was_being_parsed():
    with pytest.raises(InvalidInput, match="^quantity 'x'"):
        parse_points("x", what="quantity")


@pytest.mark.parametrize(
    ("thousandths", "text"),
    [
        (2000, "2"),
        (1500, "1.5"),
        (250, "0.25"),
        (2125, "2.125"),
        (1, "0.001"),
        (0, "0"),
        (-500, "-0.5"),
        (-2000, "-2"),
        (-1, "-0.001"),
        (1234567, "1234.567"),
    ],
)
def test_format_points_trims_trailing_zeros(thousandths, text):
    assert format_points(thousandths) == text


@pytest.mark.parametrize("text", ["1", "0.5", "0.25", "2.125", "0.001", "999.999"])
def test_points_round_trip(text):
    assert format_points(parse_points(text)) == text


def test_points_json_is_int_when_whole_and_exact_decimal_otherwise():
    assert points_json(2000) == 2 and isinstance(points_json(2000), int)
    assert str(points_json(1500)) == "1.5"
    assert str(points_json(2125)) == "2.125"
    assert not isinstance(points_json(1), float)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("120", "USD", 12000),
        ("99.50", "USD", 9950),
        ("99.5", "EUR", 9950),
        ("0", "USD", 0),
        (" 7.05 ", "USD", 705),
        ("1200", "JPY", 1200),
        ("1200.0", "JPY", 1200),
        ("1.234", "KWD", 1234),
        ("1.5", "BHD", 1500),
        ("3", "TND", 3000),
        ("99.500", "USD", 9950),
    ],
)
def test_parse_money_in_minor_units(text, currency, minor):
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1.234", "USD"),
        ("1200.5", "JPY"),
        ("1.2345", "KWD"),
        ("-1", "USD"),
        ("1e3", "USD"),
        ("NaN", "USD"),
        ("", "USD"),
        ("12,50", "EUR"),
        ("abc", "USD"),
    ],
)
def test_parse_money_refuses_what_the_currency_cannot_hold(text, currency):
    with pytest.raises(InvalidInput):
        parse_money(text, currency)


def test_parse_money_says_how_many_places_the_currency_allows():
    with pytest.raises(InvalidInput, match=r"JPY allows \(0\)"):
        parse_money("1200.5", "JPY")
    with pytest.raises(InvalidInput, match=r"KWD allows \(3\)"):
        parse_money("1.2345", "KWD")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (12050, "USD", "120.50"),
        (5, "USD", "0.05"),
        (0, "USD", "0.00"),
        (-250, "EUR", "-2.50"),
        (1200, "JPY", "1200"),
        (0, "JPY", "0"),
        (1234, "KWD", "1.234"),
        (5, "BHD", "0.005"),
        (-1, "USD", "-0.01"),
    ],
)
def test_format_money_uses_the_currency_minor_unit(minor, currency, text):
    assert format_money(minor, currency) == text


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD"])
@pytest.mark.parametrize("text", ["0", "1", "120", "45"])
def test_money_round_trip(currency, text):
    shown = format_money(parse_money(text, currency), currency)

    assert parse_money(shown, currency) == parse_money(text, currency)


def test_currency_exponents():
    assert currency_exponent("USD") == 2
    assert currency_exponent("JPY") == 0
    assert currency_exponent("KWD") == 3


def test_normalise_currency():
    assert normalise_currency(" usd ") == "USD"
    for bad in ["US", "DOLLAR", "U5D", ""]:
        with pytest.raises(InvalidInput, match="ISO 4217"):
            normalise_currency(bad)


@pytest.mark.parametrize(
    ("unit_minor", "thousandths", "expected"),
    [
        (1050, 1500, 1575),  # exact: 10.50 x 1.5 = 15.75
        (1000, 2125, 2125),
        (1, 500, 0),  # 0.5 rounds half to even: 0
        (3, 500, 2),  # 1.5 rounds half to even: 2
        (5, 2500, 12),  # 12.5 rounds half to even: 12
        (7, 2500, 18),  # 17.5 rounds half to even: 18
        (1, 501, 1),  # just over a half rounds up
        (333, 1, 0),  # 0.333 rounds down
        (100, 0, 0),
        (1200, 3000, 3600),  # JPY whole units
    ],
)
def test_money_times_points_rounds_half_even(unit_minor, thousandths, expected):
    assert money_times_points(unit_minor, thousandths) == expected


def test_money_times_points_is_exact_for_large_amounts():
    # A float product would lose the last unit here.
    assert money_times_points(999_999_999_999_999, 3000) == 2_999_999_999_999_997
