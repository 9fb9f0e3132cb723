"""Amounts into the workspace's base currency inside the engine, with the rate in force on each row's day.

Rates come from the warehouse's `currency_rate` table: `rate` is how many units of the base currency one unit
of `currency` was worth from `valid_from` on. Each amount is converted exactly (decimal arithmetic in the
engine, no floats) and rounded half-even to the base currency's minor unit, the same on every Ibis backend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
from babel.numbers import list_currencies

from accord.errors import Invalid
from accord.kernel.money import check_currency, minor_digits

# An amount up to 10^18 minor units times a factor below 10^6 with 14 decimals needs 38 digits, the widest
# decimal DuckDB and Spark keep exact (PostgreSQL's numeric has no limit).
_AMOUNT = dt.Decimal(18, 0)
_FACTOR = dt.Decimal(20, 14)
_PRODUCT = dt.Decimal(38, 14)
_RATE = dt.Decimal(20, 10)
_POWER = dt.Decimal(9, 4)
_HALF = ibis.literal(Decimal("0.5"), type=_PRODUCT)
_PREFIX = "_accord_rate_"


def _digits_by_currency() -> dict[int, list[str]]:
    groups: dict[int, list[str]] = defaultdict(list)
    for code in sorted(list_currencies()):
        groups[minor_digits(code)].append(code)
    return groups


_DIGITS = _digits_by_currency()


def minor_digits_expr(currency: ibis.Value) -> ibis.Value:
    """The currency's minor-unit exponent (JPY 0, ZAR 2, BHD 3) as an engine expression; 2 for unknown codes."""
    cases = [(currency.isin(codes), digits) for digits, codes in sorted(_DIGITS.items()) if digits != 2]
    return ibis.cases(*cases, else_=2)


def _power_of_ten(exponent: ibis.Value) -> ibis.Value:
    """10 ** exponent for exponents from -4 to 4, as an exact decimal."""
    return ibis.cases(
        *[(exponent == k, ibis.literal(Decimal(10) ** k, type=_POWER)) for k in range(-4, 5)],
        else_=ibis.null(_POWER),
    )


def daily_factors(days: ibis.Table, rates: ibis.Table, base: str) -> ibis.Table:
    """For each (currency, day) in `days` (columns c, d), the factor from its minor units to base minor units.

    The rate in force on a day is the latest one with valid_from <= day; it stays in force until the next.
    """
    ordered = rates.select(rc=rates.currency, rv=rates.valid_from, rr=rates.rate.cast(_RATE))
    ordered = ordered.filter(ordered.rc != base)
    intervals = ordered.mutate(rt=ordered.rv.lead().over(group_by=ordered.rc, order_by=ordered.rv))
    matched = days.join(
        intervals,
        [days.c == intervals.rc, intervals.rv <= days.d, intervals.rt.isnull() | (days.d < intervals.rt)],
    )
    exponent = minor_digits(base) - minor_digits_expr(matched.c)
    return matched.select(
        matched.c, matched.d, f=(matched.rr * _power_of_ten(exponent)).cast(_FACTOR)
    )


def _round_half_even(value: ibis.Value) -> ibis.Value:
    """A non-negative exact decimal rounded half-even to a whole number, as int64."""
    whole = value.floor().cast(_PRODUCT)
    fraction = value - whole
    lower = whole.cast("int64")
    return lower + ibis.cases(
        (fraction > _HALF, 1), ((fraction == _HALF) & (lower % 2 == 1), 1), else_=0
    )


def in_base(table: ibis.Table, *, amount: str, currency: str, day: str, rates: ibis.Table, base: str,
            pairs: ibis.Table | None = None, also: tuple[str, ...] = ()) -> ibis.Table:
    """`table` with `<amount>_base` (int64 minor units of `base`, NULL without a rate) and `<amount>_has_rate`.

    `pairs`, when given, is a smaller table with the same `currency` and `day` columns holding every pair of
    `table` (the orders of a table of order lines, say): rates are looked up from it instead of `table`.
    `also` names more amount columns in the same currency to convert with the same rate, in the same join.
    """
    base = check_currency(base, field="base")
    amounts = (amount, *also)
    for name in (*amounts, currency, day):
        if name not in table.columns:
            raise Invalid(name, f"not a column of the table (columns: {', '.join(table.columns)})")
    added = {f"{name}{suffix}" for name in amounts for suffix in ("_base", "_has_rate")}
    # Only (currency, day) pairs that need a rate are looked up, so the join with the rates stays small.
    source = table if pairs is None else pairs
    foreign = source.filter(source[currency] != base)
    days = foreign.select(c=foreign[currency], d=foreign[day]).distinct()
    factors = daily_factors(days, rates, base)
    factors = factors.rename({f"{_PREFIX}c": "c", f"{_PREFIX}d": "d", f"{_PREFIX}f": "f"})
    joined = table.left_join(
        factors, [table[currency] == factors[f"{_PREFIX}c"], table[day] == factors[f"{_PREFIX}d"]]
    )
    factor = joined[f"{_PREFIX}f"]
    is_base = joined[currency] == base
    has_rate = is_base.fill_null(False) | factor.notnull()
    columns = {}
    for name in amounts:
        value = joined[name]
        magnitude = _round_half_even((value.abs().cast(_AMOUNT) * factor).cast(_PRODUCT))
        # Half-even rounding is symmetric, so a refund converts to exactly minus its sale.
        signed = ibis.ifelse(value < 0, -1, 1) * magnitude
        columns[f"{name}_base"] = ibis.ifelse(is_base, value.cast("int64"), signed)
        columns[f"{name}_has_rate"] = has_rate
    return joined.select(*[joined[c] for c in table.columns if c not in added], **columns)


def money_text(minor: int, currency: str) -> str:
    """'1,234.56 USD' for notes."""
    digits = minor_digits(currency)
    return f"{Decimal(minor).scaleb(-digits):,.{digits}f} {currency}"


@dataclass(frozen=True)
class ConversionSummary:
    """What conversion did to a set of amounts: per foreign currency, how much was converted or left out."""

    base: str
    converted: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    missing_rows: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, base: str, rows: Iterable[Mapping[str, object]]) -> ConversionSummary:
        """From rows with currency, has_rate, amount (own minor units) and rows (a count)."""
        converted: dict[str, int] = defaultdict(int)
        missing: dict[str, int] = defaultdict(int)
        missing_rows: dict[str, int] = defaultdict(int)
        for row in rows:
            code = str(row["currency"])
            if code == base:
                continue
            if row["has_rate"]:
                converted[code] += int(row["amount"])
            else:
                missing[code] += int(row["amount"])
                missing_rows[code] += int(row["rows"])
        return cls(base, dict(sorted(converted.items())), dict(sorted(missing.items())),
                    dict(sorted(missing_rows.items())))

    def notes(self, what: str = "amounts", unit: str = "row") -> list[str]:
        """Sentences for a result's notes: the base currency, what was converted, what was left out."""
        return [f"All {what} are in {self.base}, the workspace's base currency.", *self.details(unit)]

    def details(self, unit: str = "row", subject: str = "") -> list[str]:
        """What was converted and what was left out, each sentence starting with `subject` when given."""
        lead = (lambda words: f"{subject} {words}") if subject else (lambda words: words.capitalize())
        lines = []
        if self.converted:
            listed = ", ".join(money_text(v, c) for c, v in self.converted.items())
            lines.append(f"{lead('converted')} to {self.base} with the rate in force on each day: {listed}.")
        if self.missing:
            listed = ", ".join(
                f"{money_text(v, c)} in {self.missing_rows[c]:,} {unit}{'s' if self.missing_rows[c] != 1 else ''}"
                for c, v in self.missing.items()
            )
            lines.append(
                f"{lead('left out')} for want of a rate (add a currency_rate row valid on or before those days): "
                f"{listed}."
            )
        return lines
