"""in_base: the rate in force on each day, exact half-even rounding per currency exponent, rows without a rate."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa
import pytest

from accord.errors import Invalid
from accord.reviews.conversion import ConversionSummary, in_base
from warehouses import WAREHOUSE_KINDS, WAREHOUSE_PARAMS, warehouse_with

EXPONENT = {"ZAR": 2, "USD": 2, "JPY": 0, "BHD": 3, "EUR": 2}
# Spark answers each query in seconds: it runs the exact-arithmetic tests, DuckDB and PostgreSQL all of them.
SQL_KINDS = [kind for kind in WAREHOUSE_KINDS if kind != "spark"]


def rates_table(rows: list[tuple[str, date, str]]) -> pa.Table:
    return pa.table({
        "id": pa.array(range(1, len(rows) + 1), type=pa.int64()),
        "currency": pa.array([c for c, _, _ in rows], type=pa.string()),
        "valid_from": pa.array([d for _, d, _ in rows], type=pa.date32()),
        "rate": pa.array([Decimal(r) for _, _, r in rows], type=pa.decimal128(20, 10)),
    })


def amounts_table(rows: list[tuple[int, int, str, date]]) -> pa.Table:
    return pa.table({
        "id": [i for i, _, _, _ in rows],
        "amount_minor": pa.array([a for _, a, _, _ in rows], type=pa.int64()),
        "currency": [c for _, _, c, _ in rows],
        "paid_day": [d for _, _, _, d in rows],
    })


def converted(kind, tmp_path, amounts, rates, base):
    warehouse = warehouse_with(kind, {"payment": amounts_table(amounts), "currency_rate": rates_table(rates)}, tmp_path)
    table = in_base(warehouse.table("payment"), amount="amount_minor", currency="currency", day="paid_day",
                    rates=warehouse.table("currency_rate"), base=base)
    frame = table.order_by("id").to_pyarrow().to_pylist()
    return table.schema(), [(r["id"], r["amount_minor_base"], r["amount_minor_has_rate"]) for r in frame]


def reference(minor: int, currency: str, rate: str, base: str) -> int:
    """Minor units of `currency` → minor units of `base`, with Decimal, half-even."""
    major = Decimal(minor).scaleb(-EXPONENT[currency]) * Decimal(rate)
    return int(major.scaleb(EXPONENT[base]).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@pytest.mark.parametrize("kind", WAREHOUSE_PARAMS)
def test_rate_in_force_on_each_day_with_exponents_ties_and_a_currency_without_rate(kind, tmp_path):
    rates = [("USD", date(2024, 1, 1), "18.5"), ("USD", date(2024, 1, 15), "18.25"),
             ("JPY", date(2024, 1, 1), "0.125"), ("BHD", date(2024, 1, 1), "49.1234567891"),
             ("ZAR", date(2020, 1, 1), "2")]  # a rate for the base itself must be ignored
    amounts = [
        (1, 1000, "ZAR", date(2024, 1, 1)),
        (2, -1000, "USD", date(2024, 1, 1)),    # refund: -10.00 USD × 18.5 = -185.00 ZAR
        (3, 250, "USD", date(2024, 1, 14)),     # the old rate still holds the day before the change
        (4, 250, "USD", date(2024, 1, 15)),     # 2.50 × 18.25 = 45.625 → tie → 45.62 (even)
        (5, 333, "USD", date(2024, 3, 1)),      # the last rate stays in force: 3.33 × 18.25 = 60.7725 → 60.77
        (6, 5, "JPY", date(2024, 1, 1)),        # 5 yen × 0.125 = 0.625 ZAR → 62.5 cents → 62 (even)
        (7, 3, "JPY", date(2024, 1, 2)),        # 0.375 → 37.5 cents → 38 (even)
        (8, -3, "JPY", date(2024, 1, 2)),       # symmetric: -38
        (9, 7, "JPY", date(2023, 12, 31)),      # before JPY's first rate: no rate
        (10, 100, "EUR", date(2024, 1, 1)),     # no EUR rate at all
        (11, 1500, "BHD", date(2024, 6, 30)),   # 1.500 BHD × 49.1234567891 = 73.68518518365 → 73.69
    ]

    schema, rows = converted(kind, tmp_path, amounts, rates, "ZAR")

    assert dict(schema)["amount_minor_base"].is_integer() and dict(schema)["amount_minor_has_rate"].is_boolean()
    assert rows == [
        (1, 1000, True), (2, -18500, True), (3, 4625, True), (4, 4562, True), (5, 6077, True),
        (6, 62, True), (7, 38, True), (8, -38, True), (9, None, False), (10, None, False), (11, 7369, True),
    ]


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_into_a_zero_decimal_base_currency(kind, tmp_path):
    rates = [("USD", date(2024, 1, 1), "151.5"), ("ZAR", date(2024, 1, 1), "8.1"), ("BHD", date(2024, 1, 1), "402.25")]
    amounts = [(1, 199, "USD", date(2024, 2, 1)),   # 1.99 × 151.5 = 301.485 yen → 301
               (2, 1000, "ZAR", date(2024, 2, 1)),  # 10.00 × 8.1 = 81 yen
               (3, 1, "USD", date(2024, 2, 1)),     # 0.01 × 151.5 = 1.515 → 2
               (4, 1, "BHD", date(2024, 2, 1)),     # 0.001 × 402.25 = 0.40225 → 0
               (5, 4200, "JPY", date(2024, 2, 1))]  # the base passes through unchanged

    _, rows = converted(kind, tmp_path, amounts, rates, "JPY")

    assert rows == [(1, 301, True), (2, 81, True), (3, 2, True), (4, 0, True), (5, 4200, True)]


@pytest.mark.parametrize("kind", WAREHOUSE_PARAMS)
def test_many_random_amounts_agree_with_decimal_arithmetic(kind, tmp_path):
    generator = random.Random(20241105)
    start = date(2023, 1, 1)
    rates = []
    for currency in ("USD", "JPY", "BHD"):
        for step in sorted(generator.sample(range(0, 360), 6)):
            whole = generator.randint(0, 40)
            rates.append((currency, start + timedelta(days=step), f"{whole}.{generator.randint(1, 10**10 - 1):010d}"))
    amounts = []
    for i in range(1, 401):
        currency = generator.choice(["USD", "JPY", "BHD", "ZAR", "EUR"])
        day = start + timedelta(days=generator.randint(0, 400))
        amounts.append((i, generator.randint(-10**9, 10**9), currency, day))

    _, rows = converted(kind, tmp_path, amounts, rates, "ZAR")

    expected = []
    for i, minor, currency, day in amounts:
        if currency == "ZAR":
            expected.append((i, minor, True))
            continue
        in_force = [r for c, d, r in sorted(rates) if c == currency and d <= day]
        expected.append((i, reference(minor, currency, in_force[-1], "ZAR"), True) if in_force else (i, None, False))
    assert rows == expected
    assert sum(1 for _, _, ok in expected if not ok) > 50  # EUR and days before the first rates are exercised


def test_bad_arguments_name_the_field(tmp_path):
    warehouse = warehouse_with("duckdb", {"payment": amounts_table([(1, 5, "USD", date(2024, 1, 1))]),
                                          "currency_rate": rates_table([])}, tmp_path)
    payments, rates = warehouse.table("payment"), warehouse.table("currency_rate")

    with pytest.raises(Invalid) as unknown:
        in_base(payments, amount="amount_minor", currency="currency", day="paid_day", rates=rates, base="XYZ")
    with pytest.raises(Invalid) as missing:
        in_base(payments, amount="amount", currency="currency", day="paid_day", rates=rates, base="ZAR")

    assert (unknown.value.field, unknown.value.reason) == ("base", "'XYZ' is not an ISO 4217 currency code")
    assert missing.value.field == "amount"
    assert missing.value.reason == "not a column of the table (columns: id, amount_minor, currency, paid_day)"


def test_summary_notes_say_what_was_converted_and_what_was_left_out():
    summary = ConversionSummary.from_rows("ZAR", [
        {"currency": "ZAR", "has_rate": True, "amount": 500, "rows": 2},
        {"currency": "USD", "has_rate": True, "amount": 123456, "rows": 3},
        {"currency": "USD", "has_rate": False, "amount": 100, "rows": 1},
        {"currency": "JPY", "has_rate": True, "amount": 120000, "rows": 4},
        {"currency": "EUR", "has_rate": False, "amount": -2050, "rows": 2},
    ])

    assert summary.notes("sales") == [
        "All sales are in ZAR, the workspace's base currency.",
        "Converted to ZAR with the rate in force on each day: 120,000 JPY, 1,234.56 USD.",
        "Left out for want of a rate (add a currency_rate row valid on or before those days): "
        "-20.50 EUR in 2 rows, 1.00 USD in 1 row.",
    ]
    assert ConversionSummary.from_rows("ZAR", []).notes() == ["All amounts are in ZAR, the workspace's base currency."]


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_several_amounts_with_the_rates_looked_up_from_a_smaller_table(kind, tmp_path):
    rates = [("USD", date(2024, 1, 1), "18.5"), ("USD", date(2024, 1, 15), "18.25")]
    orders = pa.table({"order_id": pa.array([1, 2, 3], pa.int64()), "currency": ["USD", "USD", "EUR"],
                       "day": [date(2024, 1, 10), date(2024, 1, 20), date(2024, 1, 20)]})
    lines = pa.table({"order_id": pa.array([1, 1, 2, 3], pa.int64()),
                      "price": pa.array([250, 333, 1001, 50], pa.int64()),
                      "cost": pa.array([100, None, 501, 20], pa.int64())})
    warehouse = warehouse_with(kind, {"orders": orders, "lines": lines, "currency_rate": rates_table(rates)}, tmp_path)
    order_table = warehouse.table("orders")
    joined = warehouse.table("lines").join(order_table, "order_id")

    table = in_base(joined, amount="price", currency="currency", day="day", rates=warehouse.table("currency_rate"),
                    base="ZAR", pairs=order_table, also=("cost",))

    found = table.order_by(["order_id", "price"]).to_pyarrow().to_pylist()
    assert [(r["price_base"], r["cost_base"], r["price_has_rate"], r["cost_has_rate"]) for r in found] == [
        (reference(250, "USD", "18.5", "ZAR"), reference(100, "USD", "18.5", "ZAR"), True, True),
        (reference(333, "USD", "18.5", "ZAR"), None, True, True),
        (reference(1001, "USD", "18.25", "ZAR"), reference(501, "USD", "18.25", "ZAR"), True, True),
        (None, None, False, False),
    ]
