"""Money is exact: parsed to whole minor units, never mixed across currencies, rounded half-even."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.errors import Invalid
from accord.kernel.money import Money, check_currency, convert, minor_digits


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("12.50", "ZAR", Money(1250, "ZAR")),
        ("1,234.56", "ZAR", Money(123456, "ZAR")),
        ("-12,345,678.9", "ZAR", Money(-1234567890, "ZAR")),
        (" 7 ", "zar", Money(700, "ZAR")),
        ("-19.99", "USD", Money(-1999, "USD")),
        ("0.10", "GBP", Money(10, "GBP")),
        ("100", "JPY", Money(100, "JPY")),
        ("1.234", "BHD", Money(1234, "BHD")),
        ("0.001", "BHD", Money(1, "BHD")),
        (Decimal("0.30"), "EUR", Money(30, "EUR")),
        (15, "ZAR", Money(1500, "ZAR")),
        ("9007199254740993.01", "ZAR", Money(900719925474099301, "ZAR")),
    ],
)
def test_parse_is_exact(amount, currency, expected):
    assert Money.parse(amount, currency) == expected


def test_minor_digits_follow_iso_4217():
    assert [minor_digits(code) for code in ("ZAR", "JPY", "BHD", "usd")] == [2, 0, 3, 2]


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1.5", "JPY", "amount: '1.5' has more than 0 decimal places for JPY"),
        ("12.345", "ZAR", "amount: '12.345' has more than 2 decimal places for ZAR"),
        ("1.2345", "BHD", "amount: '1.2345' has more than 3 decimal places for BHD"),
        ("abc", "ZAR", "amount: 'abc' is not a number"),
        ("", "ZAR", "amount: '' is not a number"),
        ("R 12.50", "ZAR", "amount: 'R 12.50' is not a number"),
        # A decimal comma is refused rather than dropped, which would read R12,50 as R1 250.
        ("12,50", "ZAR", "amount: '12,50' has a comma that does not separate thousands; write e.g. 1,234.50"),
        ("1,23,456", "ZAR", "amount: '1,23,456' has a comma that does not separate thousands; write e.g. 1,234.50"),
        ("NaN", "ZAR", "amount: 'NaN' is not a finite number"),
        ("Infinity", "ZAR", "amount: 'Infinity' is not a finite number"),
        ("-Infinity", "ZAR", "amount: '-Infinity' is not a finite number"),
    ],
)
def test_parse_refuses_what_is_not_an_exact_amount(amount, currency, message):
    with pytest.raises(Invalid) as refused:
        Money.parse(amount, currency)

    assert (refused.value.field, refused.value.message) == ("amount", message)


def test_parse_names_the_field_it_was_given():
    with pytest.raises(Invalid) as refused:
        Money.parse("1.5", "JPY", field="price")

    assert refused.value.message == "price: '1.5' has more than 0 decimal places for JPY"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Money.parse("12.50", "XYZ"), "currency: 'XYZ' is not an ISO 4217 currency code"),
        (lambda: Money(100, "XYZ"), "currency: 'XYZ' is not an ISO 4217 currency code"),
        (lambda: check_currency("rands", field="currency_in"), "currency_in: 'rands' is not an ISO 4217 currency code"),
        (lambda: Money(12.5, "ZAR"), "amount: 12.5 is not a whole number of minor units"),
        (lambda: Money(True, "ZAR"), "amount: True is not a whole number of minor units"),
    ],
)
def test_unknown_currencies_and_fractional_minor_units_are_refused(call, message):
    with pytest.raises(Invalid) as refused:
        call()

    assert refused.value.message == message


def test_arithmetic_stays_in_one_currency():
    price = Money.parse("12.50", "ZAR")

    assert price + Money(1, "ZAR") == Money(1251, "ZAR")
    assert -price == Money(-1250, "ZAR")
    assert price.times(3) == Money(3750, "ZAR")
    assert (price.decimal, str(price)) == (Decimal("12.50"), "12.50 ZAR")
    with pytest.raises(Invalid) as refused:
        price + Money(1250, "USD")
    assert (refused.value.field, refused.value.message) == ("currency", "currency: cannot add USD to ZAR")


@pytest.mark.parametrize(
    ("money", "to", "rate", "expected"),
    [
        # 10.01 USD × 0.5 = 5.005 → the even cent 5.00; 10.03 × 0.5 = 5.015 → 5.02.
        (Money(1001, "USD"), "ZAR", "0.5", Money(500, "ZAR")),
        (Money(1003, "USD"), "ZAR", "0.5", Money(502, "ZAR")),
        (Money(-1001, "USD"), "ZAR", "0.5", Money(-500, "ZAR")),
        # Into a currency without minor units: 1.00 × 150.5 = 150.5 → 150; 0.03 × 50 = 1.5 → 2.
        (Money(100, "USD"), "JPY", "150.5", Money(150, "JPY")),
        (Money(3, "USD"), "JPY", "50", Money(2, "JPY")),
        # Out of one: 1000 JPY × 0.1163 = 116.30 ZAR exactly; into BHD's three digits.
        (Money(1000, "JPY"), "ZAR", "0.1163", Money(11630, "ZAR")),
        (Money(1999, "USD"), "bhd", "0.376", Money(7516, "BHD")),
        (Money(1250, "ZAR"), "ZAR", "1", Money(1250, "ZAR")),
    ],
)
def test_convert_rounds_half_even(money, to, rate, expected):
    assert convert(money, to, Decimal(rate)) == expected


def test_convert_refuses_an_unknown_currency():
    with pytest.raises(Invalid) as refused:
        convert(Money(100, "USD"), "XYZ", Decimal("1"))

    assert refused.value.message == "currency: 'XYZ' is not an ISO 4217 currency code"


@pytest.mark.parametrize(
    ("money", "expected"),
    [
        (Money(123450, "ZAR"), "R1\N{NO-BREAK SPACE}234,50"),
        (Money(-1250, "ZAR"), "-R12,50"),
        (Money(0, "ZAR"), "R0,00"),
        (Money(5, "USD"), "US$0,05"),
        (Money(100, "JPY"), "JP¥100"),
        (Money(1234, "BHD"), "BHD1,234"),
    ],
)
def test_format_for_south_africa(money, expected):
    assert money.format() == expected


def test_format_follows_the_locale_asked_for():
    assert Money(123450, "ZAR").format("en_US") == "ZAR1,234.50"
