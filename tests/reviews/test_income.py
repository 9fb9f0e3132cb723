"""Income after costs: margin on costed lines only, spend from campaigns, contribution, on a hand-made business."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from accord.reviews.base import get_review
from accord.reviews.income import IncomeQuery
from warehouses import WAREHOUSE_KINDS, built_once, warehouse_with

PERIOD = {"from_on": date(2024, 1, 1), "to_on": date(2024, 4, 1)}
USD = Decimal("18.0")  # the one rate: ZAR per USD from 2024-01-01; EUR has none
OFFERS = {1: "Meal box", 2: "Platter"}
CONTACTS = {1: "Lerato Dlamini", 2: "Sam Naidoo"}
PERSONAS = {1: "Busy parent", 2: "Office manager"}
FITS = [(1, 1, 0.8), (2, 1, 0.1), (2, 2, 0.7)]  # persona, contact, score
CAMPAIGNS = [(1, "instagram", 1), (2, "facebook", None), (3, "email", 2)]  # id, channel, persona
# id, contact, day, channel, currency
ORDERS = [(1, 1, date(2024, 1, 10), "instagram", "ZAR"), (2, 2, date(2024, 1, 25), "website", "USD"),
          (3, 2, date(2024, 2, 5), "website", "ZAR"), (4, 1, date(2024, 2, 14), "instagram", "ZAR"),
          (5, None, date(2024, 3, 1), "in_person", "EUR")]
# order, offer, quantity, unit price, unit cost (minor units of the order's currency; None = unknown)
LINES = [(1, 1, 3, 10000, 6000), (1, 2, 1, 50000, None), (2, 2, 2, 2500, 1500), (3, 1, -1, 10000, 6000),
         (4, 1, 2, 10000, 6500), (5, 1, 1, 1000, 600)]
# id, campaign, day, amount, currency
SPEND = [(1, 1, date(2024, 1, 5), 20000, "ZAR"), (2, 2, date(2024, 1, 20), 1000, "USD"),
         (3, 3, date(2024, 2, 10), 15000, "ZAR"), (4, 1, date(2024, 2, 11), 5000, "EUR"),
         (5, 2, date(2023, 12, 31), 99999, "ZAR")]
# DuckDB and PostgreSQL run every split; Spark (seconds a query) runs the one that merges sales and spend.
SQL_KINDS = [kind for kind in WAREHOUSE_KINDS if kind != "spark"]


def business() -> dict[str, pa.Table]:
    return {
        "workspace": pa.table({"id": [1], "base_currency": ["ZAR"], "timezone": ["Africa/Johannesburg"]}),
        "offer": pa.table({"id": pa.array(list(OFFERS), pa.int64()), "name": list(OFFERS.values())}),
        "contact": pa.table({"id": pa.array(list(CONTACTS), pa.int64()), "display_name": list(CONTACTS.values())}),
        "persona": pa.table({"id": pa.array(list(PERSONAS), pa.int64()), "name": list(PERSONAS.values())}),
        "persona_fit": pa.table({"persona_id": pa.array([f[0] for f in FITS], pa.int64()),
                                 "contact_id": pa.array([f[1] for f in FITS], pa.int64()),
                                 "score": pa.array([f[2] for f in FITS], pa.float64())}),
        "campaign": pa.table({"id": pa.array([c[0] for c in CAMPAIGNS], pa.int64()),
                              "channel": [c[1] for c in CAMPAIGNS],
                              "persona_id": pa.array([c[2] for c in CAMPAIGNS], pa.int64())}),
        "spend": pa.table({"id": pa.array([s[0] for s in SPEND], pa.int64()),
                           "campaign_id": pa.array([s[1] for s in SPEND], pa.int64()),
                           "spent_on": pa.array([s[2] for s in SPEND], pa.date32()),
                           "amount_minor": pa.array([s[3] for s in SPEND], pa.int64()),
                           "currency": [s[4] for s in SPEND]}),
        "currency_rate": pa.table({"id": pa.array([1], pa.int64()), "currency": ["USD"],
                                   "valid_from": [date(2024, 1, 1)], "rate": pa.array([USD], pa.decimal128(20, 10))}),
        "sales_order": pa.table({"id": pa.array([o[0] for o in ORDERS], pa.int64()),
                                 "contact_id": pa.array([o[1] for o in ORDERS], pa.int64()),
                                 "ordered_day": pa.array([o[2] for o in ORDERS], pa.date32()),
                                 "channel": [o[3] for o in ORDERS], "location": pa.array([None] * 5, pa.string()),
                                 "country": ["ZA"] * 5, "currency": [o[4] for o in ORDERS]}),
        "order_line": pa.table({"id": pa.array(range(1, len(LINES) + 1), pa.int64()),
                                "order_id": pa.array([x[0] for x in LINES], pa.int64()),
                                "offer_id": pa.array([x[1] for x in LINES], pa.int64()),
                                "quantity": pa.array([x[2] for x in LINES], pa.int32()),
                                "unit_price_minor": pa.array([x[3] for x in LINES], pa.int64()),
                                "unit_cost_minor": pa.array([x[4] for x in LINES], pa.int64())}),
    }


@pytest.fixture(scope="module")
def warehouse_of(tmp_path_factory):
    """The business's warehouse on a kind of engine, built once per module."""
    return built_once(business, tmp_path_factory)


def zar(minor: int, currency: str) -> int | None:
    """Every USD amount here converts exactly (×18), so no rounding is involved."""
    return {"ZAR": minor, "USD": None if minor is None else int(minor * USD)}.get(currency)


def reference(by: str) -> list[dict]:
    """The split computed line by line and spend row by row in plain Python."""
    orders = {o[0]: o for o in ORDERS}
    best = {c: min((f for f in FITS if f[1] == c), key=lambda f: (-f[2], f[0]))[0] for c in CONTACTS}
    sales: dict = defaultdict(lambda: defaultdict(int))
    for order_id, offer, quantity, price, cost in LINES:
        _, contact, day, channel, currency = orders[order_id]
        amount = zar(quantity * price, currency)
        if amount is None:
            continue
        key = {"channel": channel, "persona": PERSONAS.get(best.get(contact), "(no persona)"),
               "month": day.replace(day=1), "offer": OFFERS[offer]}[by]
        group = sales[key]
        group["net"] += amount
        if cost is None:
            group["uncosted_net"] += amount
            group["uncosted_lines"] += 1
        else:
            group["costed_net"] += amount
            group["cost"] += zar(quantity * cost, currency)
    spend: dict = defaultdict(int)
    campaigns = {c[0]: c for c in CAMPAIGNS}
    for _, campaign, day, amount, currency in SPEND:
        value = zar(amount, currency)
        if value is None or not PERIOD["from_on"] <= day < PERIOD["to_on"]:
            continue
        _, channel, persona = campaigns[campaign]
        spend[{"channel": channel, "persona": PERSONAS.get(persona, "(no persona)"),
               "month": day.replace(day=1)}.get(by)] += value
    rows = []
    for key in set(sales) | (set(spend) if by != "offer" else set()):
        g = sales[key]
        margin = g["costed_net"] - g["cost"]
        spent = spend[key] if by != "offer" else None
        rows.append({by: key, "net_minor": g["net"], "cost_minor": g["cost"], "margin_minor": margin,
                     "margin_rate": round(margin / g["costed_net"], 4) if g["costed_net"] else None,
                     "spend_minor": spent, "contribution_minor": None if spent is None else margin - spent,
                     "uncosted_net_minor": g["uncosted_net"], "uncosted_lines": g["uncosted_lines"], "currency": "ZAR"})
    return sorted(rows, key=lambda r: r[by]) if by == "month" else sorted(rows, key=lambda r: (-r["net_minor"], r[by]))


@pytest.mark.parametrize("kind,by", [(k, b) for k in SQL_KINDS for b in ("channel", "persona", "month", "offer")]
                         + [pytest.param("spark", "persona", marks=pytest.mark.spark)])
def test_every_split_matches_a_line_by_line_computation(warehouse_of, kind, by):
    result = get_review("income").run(warehouse_of(kind), IncomeQuery(by=by, **PERIOD))

    assert result.rows() == reference(by)


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_channels_by_hand_with_totals_and_notes(warehouse_of, kind):
    result = get_review("income").run(warehouse_of(kind), IncomeQuery(by="channel", **PERIOD))

    # instagram: R300 + R500 (no cost) + R200 of sales; cost R180 + R130; spend R200 (the EUR spend has no rate).
    # website: $50 at 18 = R900 less a R100 refund; cost $30 at 18 = R540 less R60; no website campaign.
    assert [(r["channel"], r["net_minor"], r["cost_minor"], r["margin_minor"], r["spend_minor"],
             r["contribution_minor"]) for r in result.rows()] == [
        ("instagram", 100000, 31000, 19000, 20000, -1000), ("website", 80000, 48000, 32000, 0, 32000),
        ("email", 0, 0, 0, 15000, -15000), ("facebook", 0, 0, 0, 18000, -18000)]
    totals = result.totals
    assert (totals.net_minor, totals.costed_net_minor, totals.cost_minor, totals.margin_minor, totals.spend_minor,
            totals.contribution_minor, totals.uncosted_lines, totals.uncosted_net_minor) == (
        180000, 130000, 79000, 51000, 53000, -2000, 1, 50000)
    assert result.spend_split is True
    assert result.notes == [
        "All revenue, cost and spend figures are in ZAR, the workspace's base currency.",
        "Converted to ZAR with the rate in force on each day: 50.00 USD.",
        "Left out for want of a rate (add a currency_rate row valid on or before those days): 10.00 EUR in 1 line.",
        "Spend converted to ZAR with the rate in force on each day: 10.00 USD.",
        "Spend left out for want of a rate (add a currency_rate row valid on or before those days): "
        "50.00 EUR in 1 spend row.",
        "Gross margin 510.00 ZAR = 1,300.00 ZAR of revenue on lines with a unit cost − their cost 790.00 ZAR "
        "(unit cost at the time of sale); contribution -20.00 ZAR = gross margin − marketing spend 530.00 ZAR.",
        "1 line (500.00 ZAR of net revenue) has no unit cost and is left out of the margin, not counted as free.",
    ]


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_months_and_a_split_spend_cannot_follow(warehouse_of, kind):
    by_offer = get_review("income").run(warehouse_of(kind), IncomeQuery(by="offer", **PERIOD))

    assert [(m.month, m.net_minor, m.cost_minor, m.margin_minor, m.spend_minor, m.contribution_minor)
            for m in by_offer.months] == [(date(2024, 1, 1), 170000, 72000, 48000, 38000, 10000),
                                          (date(2024, 2, 1), 10000, 7000, 3000, 15000, -12000)]
    assert by_offer.spend_split is False
    assert all(r["spend_minor"] is None and r["contribution_minor"] is None for r in by_offer.rows())
    assert by_offer.notes[-1] == (
        "Marketing spend belongs to campaigns, which have a channel and a persona but no offer: it can be split by "
        "channel, persona or month only, so here it is a total for the period.")
    chart = by_offer.charts()[0]
    assert chart["data"]["values"][:3] == [{"month": "2024-01-01", "measure": "gross margin", "amount": 480.0},
                                           {"month": "2024-01-01", "measure": "marketing spend", "amount": 380.0},
                                           {"month": "2024-01-01", "measure": "contribution", "amount": 100.0}]


def test_no_costs_at_all_and_an_empty_period(tmp_path):
    tables = business()
    lines = tables["order_line"]
    tables["order_line"] = lines.set_column(lines.schema.get_field_index("unit_cost_minor"), "unit_cost_minor",
                                            pa.nulls(len(LINES), pa.int64()))
    warehouse = warehouse_with("duckdb", tables, tmp_path)

    uncosted = get_review("income").run(warehouse, IncomeQuery(by="channel", **PERIOD))
    empty = get_review("income").run(warehouse, IncomeQuery(from_on=date(2030, 1, 1)))

    assert [(r["channel"], r["margin_minor"], r["margin_rate"], r["uncosted_lines"]) for r in uncosted.rows()] == [
        ("instagram", 0, None, 3), ("website", 0, None, 2), ("email", 0, None, 0), ("facebook", 0, None, 0)]
    assert uncosted.notes[-2:] == [
        "No sales line in the period has a unit cost, so there is no gross margin to measure: record unit costs on "
        "order lines (or import them, or set the importer's cost_ratio) to see it.",
        "Marketing spend in the period: 530.00 ZAR."]
    assert (empty.rows(), empty.charts()) == ([], [])
    assert empty.notes == ["No orders and no marketing spend on or after 2030-01-01.",
                           "All revenue, cost and spend figures are in ZAR, the workspace's base currency."]
