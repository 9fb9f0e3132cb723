"""Conversion of amounts in several currencies into the workspace's base currency, saying what was not converted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.kernel.models import CurrencyRate
from accord.kernel.money import Money, convert


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
