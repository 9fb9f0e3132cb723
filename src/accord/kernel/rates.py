"""Conversion of amounts in several currencies into the workspace's base currency, saying what was not converted.

`to_base` sums amounts at the rates of one day, a query per currency; `Rates` holds the whole rates table in memory
for converting many amounts, each at the rate of its own day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.kernel.models import CurrencyRate
from accord.kernel.money import Money, convert
from accord.kernel.workspace import get_workspace


@dataclass(frozen=True)
class BaseTotal:
    """A total in the base currency, the date of the rates used, and any currency that had no rate."""

    total: Money
    rates_on: date
    converted: dict[str, int] = field(default_factory=dict)
    unconverted: dict[str, int] = field(default_factory=dict)

    @property
    def note(self) -> str:
        """What the reader must know about the conversion, or an empty string."""
        parts = []
        if self.converted:
            parts.append(f"{', '.join(sorted(self.converted))} converted to {self.total.currency} at rates of {self.rates_on}")
        if self.unconverted:
            missing = ", ".join(str(Money(v, c)) for c, v in sorted(self.unconverted.items()))
            parts.append(f"not included, no rate: {missing}")
        return "; ".join(parts)


def rate_on(session: Session, currency: str, on: date) -> Decimal | None:
    """Units of base currency per unit of `currency` in force on a date."""
    query = (
        select(CurrencyRate.rate)
        .where(CurrencyRate.currency == currency, CurrencyRate.valid_from <= on)
        .order_by(CurrencyRate.valid_from.desc())
        .limit(1)
    )
    return session.scalar(query)


def to_base(session: Session, amounts: dict[str, int], base_currency: str, on: date) -> BaseTotal:
    """Sum minor-unit amounts per currency into the base currency with the rates in force on `on`."""
    total = Money(amounts.get(base_currency, 0), base_currency)
    converted: dict[str, int] = {}
    unconverted: dict[str, int] = {}
    for currency, minor in sorted(amounts.items()):
        if currency == base_currency or minor == 0:
            continue
        rate = rate_on(session, currency, on)
        if rate is None:
            unconverted[currency] = minor
        else:
            total = total + convert(Money(minor, currency), base_currency, rate)
            converted[currency] = minor
    return BaseTotal(total, on, converted, unconverted)


@dataclass(frozen=True)
class Rates:
    """The workspace's rates table, for converting amounts of any day into the base currency."""

    base: str
    days: dict[str, list[date]]
    values: dict[str, list[Decimal]]

    def rate_on(self, currency: str, day: date) -> Decimal | None:
        """Units of base currency per unit of `currency` in force on `day`, or None without a rate."""
        if currency == self.base:
            return Decimal(1)
        at = bisect_right(self.days.get(currency, []), day)
        return self.values[currency][at - 1] if at else None

    def to_base(self, minor: int, currency: str, day: date) -> int | None:
        """`minor` units of `currency` on `day` in base minor units (half-even), or None without a rate."""
        if currency == self.base:
            return minor
        rate = self.rate_on(currency, day)
        return None if rate is None else convert(Money(minor, currency), self.base, rate).minor


def load_rates(session: Session) -> Rates:
    """Every rate of the workspace, ordered by the day it takes effect."""
    days: dict[str, list[date]] = defaultdict(list)
    values: dict[str, list[Decimal]] = defaultdict(list)
    rows = session.execute(select(CurrencyRate.currency, CurrencyRate.valid_from, CurrencyRate.rate)
                           .order_by(CurrencyRate.currency, CurrencyRate.valid_from))
    for currency, valid_from, rate in rows:
        days[currency].append(valid_from)
        values[currency].append(Decimal(rate))
    return Rates(get_workspace(session).base_currency, dict(days), dict(values))
