"""Money: integer minor units with an ISO 4217 currency. Never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, list_currencies

from accord.errors import Invalid

_CURRENCIES = frozenset(list_currencies())
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def check_currency(code: str, *, field: str = "currency") -> str:
    """The upper-cased ISO 4217 code, or Invalid naming the field."""
    if not isinstance(code, str) or code.upper() not in _CURRENCIES:
        raise Invalid(field, f"'{code}' is not an ISO 4217 currency code")
    return code.upper()


def minor_digits(currency: str) -> int:
    """How many decimal places the currency's minor unit has (ZAR 2, JPY 0, BHD 3)."""
    return get_currency_precision(check_currency(currency))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise Invalid("amount", f"{self.minor!r} is not a whole number of minor units")
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str, *, field: str = "amount") -> "Money":
        """Parse a decimal amount in major units ('12.50') exactly, refusing sub-minor precision."""
        digits = minor_digits(currency)
        text = str(amount).strip()
        # "12,50" is a decimal comma to many users; dropping it would read R12,50 as R1250.
        if "," in text and not _THOUSANDS.fullmatch(text):
            raise Invalid(field, f"'{amount}' has a comma that does not separate thousands; write e.g. 1,234.50")
        try:
            value = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise Invalid(field, f"'{amount}' is not a number") from None
        if not value.is_finite():
            raise Invalid(field, f"'{amount}' is not a finite number")
        scaled = value.scaleb(digits)
        if scaled != scaled.to_integral_value():
            raise Invalid(field, f"'{amount}' has more than {digits} decimal places for {currency.upper()}")
        return cls(int(scaled), currency)

    @property
    def decimal(self) -> Decimal:
        """The amount in major units, exactly."""
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise Invalid("currency", f"cannot add {other.currency} to {self.currency}")
        return Money(self.minor + other.minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def times(self, quantity: int) -> "Money":
        """This amount multiplied by a whole quantity."""
        return Money(self.minor * quantity, self.currency)

    def format(self, locale: str = "en_ZA") -> str:
        """Human display in a locale, e.g. 'R1 234,50' for en_ZA."""
        return format_currency(self.decimal, self.currency, locale=locale)

    def __str__(self) -> str:
        return f"{self.decimal} {self.currency}"


def convert(money: Money, to_currency: str, rate: Decimal) -> Money:
    """Convert with a rate (units of `to_currency` per unit of money's currency), rounding half-even."""
    target = check_currency(to_currency)
    major = money.decimal * rate
    minor = major.scaleb(minor_digits(target)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return Money(int(minor), target)
