"""Persona synergy: contacts, customers, conversion, revenue and lifetime value per persona, equal to a computation in
plain Python over the same rows, on every warehouse kind."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
import pyarrow as pa
import pytest

from accord.reviews import customers
from accord.reviews.base import get_review
from accord.reviews.personas import PersonasQuery, run
from warehouses import WAREHOUSE_PARAMS, built_once, rate_table, reference_in_base

TS = pa.timestamp("us", tz="UTC")
FROM, TO = date(2024, 1, 1), date(2026, 1, 1)
PERSONAS = [(1, "Office planners", "declared"), (2, "Weekend hosts", "declared"), (3, "Corporate · LinkedIn",
                                                                                    "discovered"),
            (4, "Instagram · Sandton", "discovered")]
RATES = [("USD", date(2023, 6, 1), "18.25"), ("USD", date(2025, 1, 1), "18.5")]


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), timezone.utc)


CONTACTS = 150


def business() -> dict[str, list]:
    """Contacts with fits, and two years of orders bought the way the lifetime model assumes: each customer buys at
    their own rate and, after each purchase, may stop; plus refunds, dollars and euros without a rate."""
    rng = np.random.default_rng(11)
    contacts, fits, orders = [], [], []
    for cid in range(1, CONTACTS + 1):
        created = FROM - timedelta(days=30) + timedelta(days=int(rng.integers(0, 600)))
        if cid == CONTACTS:
            created = TO + timedelta(days=3)  # first seen after the period
        contacts.append({"id": cid, "display_name": f"Person {cid}", "created_at": at(created),
                         "created_day": created, "merged_into_id": 1 if cid == CONTACTS - 1 else None})
        for pid in (1, 2, 3, 4):
            if rng.random() < 0.55:
                fits.append((pid, cid, float(rng.choice([0.25, 0.5, 0.6, 0.75, 1.0]))))
    fits = [f for f in fits if f[1] not in (7, 8)] + [(1, 7, 0.8), (2, 7, 0.8), (3, 8, 0.9), (4, 8, 0.9)]  # ties
    order_id = 0
    for cid in range(1, CONTACTS - 1):
        if rng.random() < 0.4:
            continue
        weekly, stop, spend = rng.gamma(2.0, 0.05), rng.beta(1.0, 4.0), rng.gamma(4.0, 6_000)
        day = FROM + timedelta(days=int(rng.integers(0, 400)))
        while day < TO + timedelta(days=60):
            order_id += 1
            currency = "USD" if rng.random() < 0.08 else "ZAR"
            price = int(rng.gamma(8.0, spend / 8.0)) // 100 * 100 + 100
            orders.append((order_id, cid, day, currency, [(int(rng.integers(1, 3)), price)]))
            if rng.random() < stop:
                break
            day += timedelta(days=1 + int(rng.exponential(7 / weekly)))
    orders += [
        (9000, 3, date(2024, 5, 2), "ZAR", [(-1, 7000)]),                 # a refund
        (9001, 5, date(2025, 3, 3), "EUR", [(1, 4000)]),                  # no EUR rate
        (9002, 6, date(2023, 12, 1), "ZAR", [(2, 9000)]),                 # before the period
        (9003, None, date(2024, 6, 1), "ZAR", [(1, 500)]),                # no contact
        (9004, 9, date(2024, 9, 9), "ZAR", [(-1, 3000)]),                 # only a refund
        (9005, 10, date(2025, 2, 2), "USD", [(3, 333), (1, 1001)]),       # two lines in dollars
    ]
    return {"contacts": contacts, "fits": fits, "orders": orders}


BUSINESS = business()


def tables(personas: bool = True) -> dict[str, pa.Table]:
    orders = BUSINESS["orders"]
    lines = [{"id": 10 * o + n, "order_id": o, "line_no": n, "offer_id": None, "quantity": q, "unit_price_minor": p,
              "unit_cost_minor": None} for o, _, _, _, items in orders for n, (q, p) in enumerate(items, 1)]
    rows = {
        "workspace": ([{"id": 1, "base_currency": "ZAR"}], {"id": pa.int64(), "base_currency": pa.string()}),
        "contact": (BUSINESS["contacts"], {"id": pa.int64(), "display_name": pa.string(), "created_at": TS,
                                           "created_day": pa.date32(), "merged_into_id": pa.int64()}),
        "persona": ([{"id": i, "name": n, "kind": k} for i, n, k in PERSONAS if personas],
                    {"id": pa.int64(), "name": pa.string(), "kind": pa.string()}),
        "persona_fit": ([{"persona_id": p, "contact_id": c, "score": s} for p, c, s in BUSINESS["fits"] if personas],
                        {"persona_id": pa.int64(), "contact_id": pa.int64(), "score": pa.float64()}),
        "sales_order": ([{"id": o, "contact_id": c, "ordered_at": at(d), "ordered_day": d, "currency": cur,
                          "channel": "website", "location": "Sandton", "country": "ZA"} for o, c, d, cur, _ in orders],
                        {"id": pa.int64(), "contact_id": pa.int64(), "ordered_at": TS, "ordered_day": pa.date32(),
                         "currency": pa.string(), "channel": pa.string(), "location": pa.string(),
                         "country": pa.string()}),
        "order_line": (lines, {"id": pa.int64(), "order_id": pa.int64(), "line_no": pa.int64(),
                               "offer_id": pa.int64(), "quantity": pa.int64(), "unit_price_minor": pa.int64(),
                               "unit_cost_minor": pa.int64()}),
        "currency_rate": rate_table(RATES),
    }
    return {name: pa.Table.from_pylist(data, schema=pa.schema(schema)) for name, (data, schema) in rows.items()}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    return built_once(tables, tmp_path_factory)


@pytest.fixture(scope="module")
def bare_warehouses(tmp_path_factory):
    return built_once(lambda: tables(personas=False), tmp_path_factory)


@pytest.fixture(params=WAREHOUSE_PARAMS)
def warehouse(request, warehouses):
    return warehouses(request.param)


def expected(query: PersonasQuery, lifetime: dict[int, int] | None, kinds=("declared", "discovered")) -> list[dict]:
    """The rows worked out in plain Python from BUSINESS."""
    kind_of = {pid: kind for pid, _, kind in PERSONAS}
    names = {pid: name for pid, name, _ in PERSONAS}
    live = [c["id"] for c in BUSINESS["contacts"]
            if c["merged_into_id"] is None and (query.to_on is None or c["created_day"] < query.to_on)]
    inside = [o for o in BUSINESS["orders"] if o[1] is not None
              and (query.from_on is None or o[2] >= query.from_on) and (query.to_on is None or o[2] < query.to_on)]
    bought, revenue = set(), defaultdict(int)
    for _, cid, day, currency, items in inside:
        value = sum(q * p for q, p in items)
        if value > 0:
            bought.add(cid)
        converted = reference_in_base(value, currency, day, RATES)
        if converted is not None:
            revenue[cid] += converted
    groups: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for cid in live:
        for kind in kinds:
            mine = [(-s, p) for p, c, s in BUSINESS["fits"] if c == cid and kind_of[p] == kind and s >= query.min_fit]
            groups[(kind, min(mine)[1] if mine else None)].append(cid)
    rows = []
    for (kind, pid), members in groups.items():
        buyers = [c for c in members if c in bought]
        valued = [lifetime[c] for c in buyers if lifetime and c in lifetime]
        total = sum(revenue[c] for c in members)
        rows.append({
            "persona_id": pid, "kind": kind,
            "persona": names[pid] if pid else "everyone (no personas yet)" if kind == "none"
            else f"(no {kind} persona)",
            "contacts": len(members), "customers": len(buyers), "conversion_rate": round(len(buyers) / len(members), 4),
            "revenue_minor": total, "revenue_per_contact_minor": round(total / len(members)),
            "clv_minor": sum(valued) if lifetime is not None else None,
            "clv_per_customer_minor": round(sum(valued) / len(valued)) if valued else None, "currency": "ZAR",
        })
    return sorted(rows, key=lambda r: (r["kind"] != "declared", r["persona_id"] is None, -r["revenue_minor"],
                                       r["persona"]))


@pytest.mark.parametrize("query", [
    PersonasQuery(from_on=FROM, to_on=TO),
    PersonasQuery(from_on=FROM, to_on=TO, min_fit=0.75, horizon_months=6),
    PersonasQuery(),
], ids=["two-years", "strict-fit", "all-history"])
def test_synergy_matches_an_independent_computation(warehouse, query):
    result = run(warehouse, query)
    clv = customers.run(warehouse, customers.CustomersQuery(from_on=query.from_on, to_on=query.to_on,
                                                            horizon_months=query.horizon_months))
    lifetime = {c.contact_id: c.clv_minor for c in clv.customers} if clv.purchase_model else None
    assert lifetime is not None, clv.notes  # the business is large enough for the model to fit
    rows = expected(query, lifetime)
    assert result.rows() == rows
    declared = [r for r in rows if r["kind"] == "declared"]
    assert (result.contacts, result.customers, result.revenue_minor) == (
        sum(r["contacts"] for r in declared), sum(r["customers"] for r in declared),
        sum(r["revenue_minor"] for r in declared))
    assert result.conversion_rate == round(result.customers / result.contacts, 4)
    assert result.notes[1] == "Converted to ZAR with the rate in force on each day: " + \
        ", ".join(f"{v:,.2f} USD" for v in [sum(q * p for o in BUSINESS["orders"] if o[3] == "USD"
                                                and (query.from_on is None or o[2] >= query.from_on)
                                                and (query.to_on is None or o[2] < query.to_on)
                                                for q, p in o[4]) / 100]) + "."
    assert any(note.startswith("Left out for want of a rate") and "40.00 EUR in 1 order" in note
               for note in result.notes)
    assert [c["title"]["text"] if isinstance(c["title"], dict) else c["title"] for c in result.charts()] == [
        "Conversion rate by persona", "Revenue by persona (ZAR)"]


@pytest.mark.parametrize("kind", WAREHOUSE_PARAMS)
def test_before_any_persona_one_row_holds_everyone(bare_warehouses, kind):
    warehouse = bare_warehouses(kind)
    query = PersonasQuery(from_on=FROM, to_on=TO)
    clv = customers.run(warehouse, customers.CustomersQuery(from_on=FROM, to_on=TO))
    rows = expected(query, {c.contact_id: c.clv_minor for c in clv.customers}, kinds=("none",))
    result = run(warehouse, query)
    assert result.rows() == rows
    assert [r["persona"] for r in rows] == ["everyone (no personas yet)"]
    assert result.notes[4] == ("There are no personas yet, so one row holds everyone: declare personas, or discover "
                               "them from the data, on the Personas page.")
    assert len(result.charts()) == 2


def test_without_enough_history_lifetime_value_says_why(warehouse):
    result = run(warehouse, PersonasQuery(from_on=date(2025, 12, 20), to_on=TO))
    assert all(r["clv_minor"] is None and r["clv_per_customer_minor"] is None for r in result.rows())
    assert any(note.startswith("Lifetime value is not estimated: ") for note in result.notes)


def test_the_review_is_registered_with_its_query():
    review = get_review("personas")
    assert (review.title, review.query_type, review.run) == ("Persona synergy", PersonasQuery, run)
