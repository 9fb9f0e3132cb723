"""The revenue review on a small hand-made business in three currencies and one without a rate."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa
import pytest
from pydantic import ValidationError

from accord.errors import Invalid
from accord.reviews.base import get_review
from accord.reviews.revenue import RevenueQuery
from warehouses import WAREHOUSE_KINDS, WAREHOUSE_PARAMS, built_once, warehouse_with

UTC = timezone.utc
# Spark answers each query in seconds, so it runs the totals and the two splits with code of their own (the
# persona window with its name lookup, the month truncation); DuckDB and PostgreSQL run everything.
SQL_KINDS = [kind for kind in WAREHOUSE_KINDS if kind != "spark"]
SPLITS = ["offer", "customer", "persona", "channel", "location", "country", "month"]
SPARK_SPLITS = ["persona", "month"]
PERIOD = {"from_on": date(2024, 1, 1), "to_on": date(2024, 4, 1)}
RATES = [("USD", date(2024, 1, 1), "18.5"), ("USD", date(2024, 2, 15), "18.0"), ("JPY", date(2024, 1, 1), "0.125")]
EXPONENT = {"ZAR": 2, "USD": 2, "JPY": 0, "EUR": 2}
OFFERS = {1: "Braai pack", 2: "Catering platter", 3: "Cooking class"}
CONTACTS = {1: "Thandi Mokoena", 2: "Pieter Botha", 3: "Aiko Tanaka"}
PERSONAS = {1: "Busy parent", 2: "Office manager"}
FITS = [(1, 1, 0.9), (2, 1, 0.4), (1, 2, 0.3), (2, 2, 0.8), (1, 3, 0.5), (2, 3, 0.5)]  # persona, contact, score
# id, contact, ordered_at (UTC), ordered_day (Johannesburg), channel, location, country, currency
ORDERS = [
    (1, 1, datetime(2024, 1, 5, 8, 0), date(2024, 1, 5), "website", "Soweto", "ZA", "ZAR"),
    (2, 2, datetime(2024, 1, 20, 10, 0), date(2024, 1, 20), "instagram", None, "ZA", "USD"),
    (3, 2, datetime(2024, 2, 20, 9, 0), date(2024, 2, 20), "instagram", None, "ZA", "USD"),
    (4, 3, datetime(2024, 1, 31, 23, 30), date(2024, 2, 1), "website", "Cape Town", "ZA", "JPY"),
    (5, None, datetime(2024, 2, 10, 12, 0), date(2024, 2, 10), "in_person", "Durban market", None, "ZAR"),
    (6, 1, datetime(2024, 3, 3, 9, 0), date(2024, 3, 3), "whatsapp", "Soweto", "ZA", "EUR"),
    (7, 1, datetime(2024, 3, 15, 9, 0), date(2024, 3, 15), "website", "Soweto", "ZA", "ZAR"),
    (8, 3, datetime(2023, 12, 28, 9, 0), date(2023, 12, 28), "website", "Cape Town", "ZA", "ZAR"),
    (9, 2, datetime(2024, 4, 2, 9, 0), date(2024, 4, 2), "website", None, "ZA", "ZAR"),
]
# id, order, line_no, offer, quantity, unit price (minor units of the order's currency), unit cost
LINES = [
    (1, 1, 1, 1, 2, 15000, 9000), (2, 1, 2, 2, 1, 120000, None),
    (3, 2, 1, 1, 3, 850, 500), (4, 2, 2, 3, 1, 4999, 2000),
    (5, 3, 1, 1, -1, 850, 500),
    (6, 4, 1, 3, 2, 3333, None),
    (7, 5, 1, None, 4, 2500, 1000),
    (8, 6, 1, 2, 1, 9000, None),
    (9, 7, 1, 2, -1, 120000, None),
    (10, 8, 1, 1, 1, 15000, 9000),
    (11, 9, 1, 3, 1, 50000, 20000),
]


def business() -> dict[str, pa.Table]:
    """The warehouse tables of the hand-made business (base ZAR)."""
    return {
        "workspace": pa.table({"id": [1], "name": ["Kasi test"], "base_currency": ["ZAR"],
                               "timezone": ["Africa/Johannesburg"]}),
        "offer": pa.table({"id": pa.array(list(OFFERS), pa.int64()), "sku": [f"S{i}" for i in OFFERS],
                           "name": list(OFFERS.values())}),
        "contact": pa.table({"id": pa.array(list(CONTACTS), pa.int64()), "display_name": list(CONTACTS.values())}),
        "persona": pa.table({"id": pa.array(list(PERSONAS), pa.int64()), "name": list(PERSONAS.values())}),
        "persona_fit": pa.table({"persona_id": pa.array([f[0] for f in FITS], pa.int64()),
                                 "contact_id": pa.array([f[1] for f in FITS], pa.int64()),
                                 "score": pa.array([f[2] for f in FITS], pa.float64())}),
        "currency_rate": pa.table({"id": pa.array(range(1, len(RATES) + 1), pa.int64()),
                                   "currency": [r[0] for r in RATES], "valid_from": [r[1] for r in RATES],
                                   "rate": pa.array([Decimal(r[2]) for r in RATES], pa.decimal128(20, 10))}),
        "sales_order": pa.table({
            "id": pa.array([o[0] for o in ORDERS], pa.int64()),
            "contact_id": pa.array([o[1] for o in ORDERS], pa.int64()),
            "ordered_at": pa.array([o[2].replace(tzinfo=UTC) for o in ORDERS], pa.timestamp("us", tz="UTC")),
            "ordered_day": pa.array([o[3] for o in ORDERS], pa.date32()),
            "channel": [o[4] for o in ORDERS],
            "location": pa.array([o[5] for o in ORDERS], pa.string()),
            "country": pa.array([o[6] for o in ORDERS], pa.string()),
            "currency": [o[7] for o in ORDERS],
        }),
        "order_line": pa.table({
            "id": pa.array([x[0] for x in LINES], pa.int64()),
            "order_id": pa.array([x[1] for x in LINES], pa.int64()),
            "line_no": pa.array([x[2] for x in LINES], pa.int32()),
            "offer_id": pa.array([x[3] for x in LINES], pa.int64()),
            "quantity": pa.array([x[4] for x in LINES], pa.int32()),
            "unit_price_minor": pa.array([x[5] for x in LINES], pa.int64()),
            "unit_cost_minor": pa.array([x[6] for x in LINES], pa.int64()),
        }),
    }


@pytest.fixture(scope="module")
def warehouse_of(tmp_path_factory):
    """The business's warehouse on a kind of engine, built once per module."""
    return built_once(business, tmp_path_factory)


@pytest.fixture(params=SQL_KINDS)
def warehouse(request, warehouse_of):
    return warehouse_of(request.param)


def to_zar(minor: int, currency: str, day: date) -> int | None:
    """The reference conversion: the latest rate on or before the day, Decimal, half-even."""
    if currency == "ZAR":
        return minor
    in_force = [Decimal(r) for c, d, r in sorted(RATES) if c == currency and d <= day]
    if not in_force:
        return None
    value = Decimal(minor).scaleb(2 - EXPONENT[currency]) * in_force[-1]
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def best_persona(contact: int | None) -> int | None:
    fits = sorted((-score, persona) for persona, c, score in FITS if c == contact)
    return fits[0][1] if fits else None


def reference_rows(by: str) -> list[dict]:
    """The split computed line by line in plain Python."""
    orders = {o[0]: o for o in ORDERS}
    groups: dict = defaultdict(lambda: {"gross": 0, "refunds": 0, "orders": set(), "units": 0})
    for _, order_id, _, offer, quantity, price, _ in LINES:
        _, contact, _, day, channel, location, country, currency = orders[order_id]
        if not PERIOD["from_on"] <= day < PERIOD["to_on"]:
            continue
        amount = to_zar(quantity * price, currency, day)
        if amount is None:
            continue
        label = {
            "offer": OFFERS.get(offer, "(no offer)"),
            "customer": CONTACTS.get(contact, "(no customer)"),
            "persona": PERSONAS.get(best_persona(contact), "(no persona)"),
            "channel": channel, "location": location or country or "(no location)",
            "country": country or "(no country)", "month": day.replace(day=1),
        }[by]
        group = groups[label]
        group["gross" if quantity > 0 else "refunds"] += abs(amount)
        group["orders"].add(order_id)
        group["units"] += quantity
    net_total = sum(g["gross"] - g["refunds"] for g in groups.values())
    rows = [{by: label, "gross_minor": g["gross"], "refunds_minor": g["refunds"],
             "net_minor": g["gross"] - g["refunds"], "share_of_net": round((g["gross"] - g["refunds"]) / net_total, 4),
             "orders": len(g["orders"]), "units": g["units"], "currency": "ZAR"} for label, g in groups.items()]
    if by == "month":
        return sorted(rows, key=lambda r: r["month"])
    return sorted(rows, key=lambda r: (-r["net_minor"], r[by]))


@pytest.mark.parametrize("kind,by", [(kind, by) for kind in SQL_KINDS for by in SPLITS] + [
    pytest.param("spark", by, marks=pytest.mark.spark) for by in SPARK_SPLITS])
def test_every_split_matches_a_line_by_line_computation(warehouse_of, kind, by):
    result = get_review("revenue").run(warehouse_of(kind), RevenueQuery(by=by, **PERIOD))

    assert result.rows() == reference_rows(by)
    assert sum(row["net_minor"] for row in result.rows()) == result.net_minor == 247682


@pytest.mark.parametrize("kind", WAREHOUSE_PARAMS)
def test_totals_months_and_notes_in_the_base_currency(warehouse_of, kind):
    result = get_review("revenue").run(warehouse_of(kind), RevenueQuery(by="channel", **PERIOD))

    # Worked by hand: R1,500.00 (order 1) + $25.50 and $49.99 at 18.5 (R471.75 and R924.815, a tie kept even:
    # R924.82) + ¥6,666 at 0.125 (R833.25) + R100.00; refunds $8.50 at 18.0 (R153.00) and R1,200.00.
    assert (result.gross_minor, result.refunds_minor, result.net_minor, result.orders) == (382982, 135300, 247682, 6)
    assert [(m.month, m.gross_minor, m.refunds_minor, m.net_minor, m.orders) for m in result.months] == [
        (date(2024, 1, 1), 289657, 0, 289657, 2),
        (date(2024, 2, 1), 93325, 15300, 78025, 3),  # the yen order was placed on 1 February in Johannesburg
        (date(2024, 3, 1), 0, 120000, -120000, 1),
    ]
    assert (result.currency, result.converted, result.missing) == ("ZAR", {"JPY": 6666, "USD": 6699}, {"EUR": 9000})
    assert result.notes == [
        "All revenue figures are in ZAR, the workspace's base currency.",
        "Converted to ZAR with the rate in force on each day: 6,666 JPY, 66.99 USD.",
        "Left out for want of a rate (add a currency_rate row valid on or before those days): 90.00 EUR in 1 line.",
        "Refunds and cancellations (negative lines) come to 1,353.00 ZAR and are netted: "
        "net 2,476.82 ZAR = gross 3,829.82 ZAR − refunds.",
    ]


def test_the_whole_history_without_a_period(warehouse):
    result = get_review("revenue").run(warehouse, RevenueQuery(by="month"))

    assert [(row["month"], row["net_minor"]) for row in result.rows()] == [
        (date(2023, 12, 1), 15000), (date(2024, 1, 1), 289657), (date(2024, 2, 1), 78025),
        (date(2024, 3, 1), -120000), (date(2024, 4, 1), 50000)]
    assert result.orders == 8


def test_top_groups_and_the_rest_in_one_row_that_adds_up(warehouse):
    by_customer = get_review("revenue").run(warehouse, RevenueQuery(by="customer", top=1, **PERIOD))
    by_offer = get_review("revenue").run(warehouse, RevenueQuery(by="offer", top=2, **PERIOD))

    full = reference_rows("customer")
    assert by_customer.rows() == [full[0], {
        "customer": "(all others)", "gross_minor": sum(r["gross_minor"] for r in full[1:]),
        "refunds_minor": sum(r["refunds_minor"] for r in full[1:]), "net_minor": sum(r["net_minor"] for r in full[1:]),
        "share_of_net": round(sum(r["net_minor"] for r in full[1:]) / 247682, 4),
        "orders": sum(r["orders"] for r in full[1:]), "units": sum(r["units"] for r in full[1:]), "currency": "ZAR"}]
    offers = reference_rows("offer")
    assert [r["offer"] for r in by_offer.rows()] == [offers[0]["offer"], offers[1]["offer"], "(all others)"]
    assert by_offer.rows()[2]["orders"] is None  # an order holds several offers: no honest count by subtraction
    assert by_offer.rows()[2]["net_minor"] == sum(r["net_minor"] for r in offers[2:])
    assert by_offer.notes[-1] == ("The 2 largest groups by net revenue are shown; the rest are added up in the row "
                                  "'(all others)'.")


def test_charts_show_the_split_and_the_months_in_major_units(warehouse):
    result = get_review("revenue").run(warehouse, RevenueQuery(by="channel", **PERIOD))

    split, monthly = result.charts()

    assert split["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert split["data"]["values"] == [{"label": r["channel"], "net": r["net_minor"] / 100} for r in result.rows()]
    assert monthly["data"]["values"][:3] == [
        {"month": "2024-01-01", "measure": "gross", "amount": 2896.57},
        {"month": "2024-01-01", "measure": "refunds", "amount": 0.0},
        {"month": "2024-01-01", "measure": "net", "amount": 2896.57}]


def test_an_empty_period_and_a_period_with_only_unconvertible_orders(warehouse):
    empty = get_review("revenue").run(warehouse, RevenueQuery(from_on=date(2030, 1, 1), to_on=date(2030, 2, 1)))
    euros = get_review("revenue").run(warehouse, RevenueQuery(from_on=date(2024, 3, 1), to_on=date(2024, 3, 10)))

    assert (empty.rows(), empty.charts(), empty.net_minor) == ([], [], 0)
    assert empty.notes == ["No orders from 2030-01-01 to 2030-02-01 (not included): there is no revenue to review.",
                           "All revenue figures are in ZAR, the workspace's base currency."]
    assert euros.rows() == []
    assert euros.notes[0] == "No order from 2024-03-01 to 2024-03-10 (not included) could be converted to ZAR."
    assert euros.notes[-1].endswith("90.00 EUR in 1 line.")


def test_bad_queries_and_an_unsynced_warehouse_are_explained(tmp_path):
    with pytest.raises(ValidationError) as bad_split:
        RevenueQuery(by="planet")
    with pytest.raises(Invalid) as backwards:
        RevenueQuery(from_on=date(2024, 2, 1), to_on=date(2024, 1, 1))
    tables = business()
    del tables["order_line"]
    unsynced = warehouse_with("duckdb", tables, tmp_path)
    with pytest.raises(Invalid) as missing:
        get_review("revenue").run(unsynced, RevenueQuery())

    assert bad_split.value.errors()[0]["loc"] == ("by",)
    assert backwards.value.field == "to_on"
    assert (missing.value.field, missing.value.reason) == (
        "warehouse", "it has no table 'order_line'; run `accord sync` to fill it from the store")
