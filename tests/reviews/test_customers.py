"""The customers review: RFM scores and segments, cohort retention and lifetime value, on every warehouse kind."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from scipy.optimize import minimize
from scipy.special import beta as beta_fn, gamma as gamma_fn, gammaln, hyp2f1

from accord.errors import Invalid
from accord.reviews.base import get_review
from accord.reviews.customers import REVIEW, CustomersQuery
from warehouses import WAREHOUSE_PARAMS, warehouse_with

CONTACTS = {1: "Thandi Mokoena", 2: "Pieter Botha", 3: "Aiko Tanaka", 4: "Sipho Dlamini", 5: "Lerato Khumalo",
            6: "Johan van Wyk", 7: "Naledi Mahlangu", 8: "Fatima Patel", 9: "Grace Nkosi", 10: "Musa Zulu"}
RATES = [("USD", date(2024, 1, 1), "18.5"), ("USD", date(2024, 4, 1), "18.0")]
# order id, contact, day (workspace calendar), currency, lines as (quantity, unit price in minor units)
ORDERS = [
    *[(100 + i, 1, date(2024, m, d), "ZAR", [(2, 25000)])
      for i, (m, d) in enumerate([(1, 10), (2, 12), (3, 15), (4, 20), (5, 25), (6, 28)])],
    (200, 2, date(2024, 1, 5), "USD", [(1, 4000)]),
    (201, 2, date(2024, 1, 5), "USD", [(1, 1000)]),       # same day: one purchase with the order above
    (202, 2, date(2024, 3, 1), "USD", [(3, 1500)]),
    (203, 2, date(2024, 6, 20), "USD", [(1, 2000)]),      # the April rate
    (300, 3, date(2024, 6, 25), "ZAR", [(1, 12000)]),
    *[(400 + i, 4, date(2024, m, d), "ZAR", [(1, 30000)]) for i, (m, d) in enumerate([(1, 3), (1, 20), (2, 10), (2, 25)])],
    (500, 5, date(2024, 1, 8), "ZAR", [(1, 5000)]),
    (600, 6, date(2024, 2, 1), "ZAR", [(2, 20000)]),
    (601, 6, date(2024, 3, 10), "ZAR", [(-1, 20000)]),    # a refund: less net value, not a purchase
    (602, 6, date(2024, 5, 30), "ZAR", [(1, 15000)]),
    (700, 7, date(2024, 4, 2), "ZAR", [(1, 8000)]),
    (701, 7, date(2024, 5, 5), "ZAR", [(1, 0)]),          # a free sample still counts as a purchase
    (702, 7, date(2024, 6, 1), "ZAR", [(1, 9000)]),
    (800, 8, date(2024, 3, 3), "ZAR", [(1, 60000)]),
    (801, 8, date(2024, 4, 4), "EUR", [(1, 5000)]),       # no EUR rate: left out
    (900, 9, date(2023, 12, 20), "ZAR", [(1, 10000)]),    # before the period
    (901, 9, date(2024, 2, 14), "ZAR", [(1, 7000)]),
    (902, 9, date(2024, 7, 2), "ZAR", [(1, 10000)]),      # after the period
    *[(1000 + i, 10, date(2024, m, d), "ZAR", [(1, 10000)])
      for i, (m, d) in enumerate([(3, 20), (4, 10), (4, 22), (5, 18)])],
    (1100, None, date(2024, 2, 2), "ZAR", [(1, 9999)]),   # nobody's order
]
PERIOD = {"from_on": date(2024, 1, 1), "to_on": date(2024, 7, 1)}
AS_OF = date(2024, 6, 30)


def business(orders=ORDERS, contacts=CONTACTS, base="ZAR") -> dict[str, pa.Table]:
    """Warehouse tables with the store's names: orders at 10:00 UTC on their day."""
    lines = [(order_id, n, q, p) for order_id, _, _, _, items in orders for n, (q, p) in enumerate(items, 1)]
    return {
        "workspace": pa.table({"id": [1], "name": ["Kasi test"], "base_currency": [base],
                               "timezone": ["Africa/Johannesburg"]}),
        "contact": pa.table({"id": pa.array(list(contacts), pa.int64()), "display_name": list(contacts.values())}),
        "currency_rate": pa.table({"id": pa.array(range(1, len(RATES) + 1), pa.int64()),
                                   "currency": [r[0] for r in RATES], "valid_from": [r[1] for r in RATES],
                                   "rate": pa.array([Decimal(r[2]) for r in RATES], pa.decimal128(20, 10))}),
        "sales_order": pa.table({
            "id": pa.array([o[0] for o in orders], pa.int64()),
            "contact_id": pa.array([o[1] for o in orders], pa.int64()),
            "ordered_at": pa.array([datetime.combine(o[2], time(10), timezone.utc) for o in orders],
                                   pa.timestamp("us", tz="UTC")),
            "ordered_day": pa.array([o[2] for o in orders], pa.date32()),
            "channel": ["website"] * len(orders),
            "currency": [o[3] for o in orders],
        }),
        "order_line": pa.table({
            "id": pa.array(range(1, len(lines) + 1), pa.int64()),
            "order_id": pa.array([x[0] for x in lines], pa.int64()),
            "line_no": pa.array([x[1] for x in lines], pa.int32()),
            "quantity": pa.array([x[2] for x in lines], pa.int32()),
            "unit_price_minor": pa.array([x[3] for x in lines], pa.int64()),
        }),
    }


# A review on Spark costs seconds per query; Spark runs the hand-made business, and must give exactly DuckDB's
# result on a synthetic one. The other tests run on the two SQL engines.
SQL_PARAMS = [p for p in WAREHOUSE_PARAMS if p.values[0] != "spark"]


@pytest.fixture(params=WAREHOUSE_PARAMS)
def kind(request) -> str:
    return request.param


@pytest.fixture(params=SQL_PARAMS)
def sql_kind(request) -> str:
    return request.param


def run(warehouse, **query):
    return REVIEW.run(warehouse, CustomersQuery(**query))


# contact: first, last, purchases, net (ZAR cents), R, F, M, segment — worked out by hand from ORDERS:
# R ranks the last purchase day, F the purchases, M the net value; ties take the lowest rank (0-based) and
# score = 1 + floor(5 × rank / 10).
EXPECTED = {
    1: (date(2024, 1, 10), date(2024, 6, 28), 6, 300000, 5, 5, 5, "Champions"),
    2: (date(2024, 1, 5), date(2024, 6, 20), 3, 74000 + 18500 + 83250 + 36000, 4, 3, 5, "Promising"),
    3: (date(2024, 6, 25), date(2024, 6, 25), 1, 12000, 5, 1, 2, "New"),
    4: (date(2024, 1, 3), date(2024, 2, 25), 4, 120000, 2, 4, 4, "At risk"),
    5: (date(2024, 1, 8), date(2024, 1, 8), 1, 5000, 1, 1, 1, "Hibernating"),
    6: (date(2024, 2, 1), date(2024, 5, 30), 2, 40000 - 20000 + 15000, 3, 3, 3, "Need attention"),
    7: (date(2024, 4, 2), date(2024, 6, 1), 3, 17000, 4, 3, 2, "Promising"),
    8: (date(2024, 3, 3), date(2024, 3, 3), 1, 60000, 2, 1, 4, "Hibernating"),
    9: (date(2024, 2, 14), date(2024, 2, 14), 1, 7000, 1, 1, 1, "Hibernating"),
    10: (date(2024, 3, 20), date(2024, 5, 18), 4, 40000, 3, 4, 3, "Loyal"),
}
# cohort month: customers, then how many bought 0, 1, 2, ... months after their first month, up to June 2024
COHORTS = {
    date(2024, 1, 1): (4, [4, 2, 2, 1, 1, 2]),
    date(2024, 2, 1): (2, [2, 0, 0, 1, 0]),
    date(2024, 3, 1): (2, [2, 1, 1, 0]),
    date(2024, 4, 1): (1, [1, 1, 1]),
    date(2024, 6, 1): (1, [1]),
}


def test_rfm_segments_cohorts_and_notes_on_a_hand_made_business(kind, tmp_path):
    result = run(warehouse_with(kind, business(), tmp_path), **PERIOD, top=3)

    assert result.currency == "ZAR" and result.as_of == AS_OF
    assert [
        (c.contact_id, c.display_name, c.first_on, c.last_on, c.purchases, c.net_minor, c.days_since_last,
         c.r, c.f, c.m, c.segment) for c in result.customers
    ] == [
        (cid, CONTACTS[cid], first, last, n, net, (AS_OF - last).days, r, f, m, segment)
        for cid, (first, last, n, net, r, f, m, segment) in EXPECTED.items()
    ]
    assert [(s.segment, s.customers, s.share, s.net_minor) for s in result.segments] == [
        ("Champions", 1, 0.1, 300000), ("Loyal", 1, 0.1, 40000), ("New", 1, 0.1, 12000),
        ("Promising", 2, 0.2, 211750 + 17000), ("Need attention", 1, 0.1, 35000), ("At risk", 1, 0.1, 120000),
        ("Hibernating", 3, 0.3, 5000 + 60000 + 7000),
    ]
    assert [(c.cohort, c.months_since, c.customers, c.active, c.retention) for c in result.cohorts] == [
        (cohort, since, size, active, round(active / size, 4))
        for cohort, (size, actives) in COHORTS.items() for since, active in enumerate(actives)
    ]
    # Ten customers cannot pin the purchase model down: no lifetime value, and the notes say why.
    assert result.purchase_model is None and all(c.clv_minor is None and c.p_alive is None for c in result.customers)
    assert all(s.clv_minor is None for s in result.segments)
    assert [c.contact_id for c in result.top] == [1, 2, 4]  # by net value when there is no lifetime value
    assert result.notes[:5] == [
        "All order amounts are in ZAR, the workspace's base currency.",
        "Converted to ZAR with the rate in force on each day: 115.00 USD.",
        "Left out for want of a rate (add a currency_rate row valid on or before those days): 50.00 EUR in 1 row.",
        "1 order without a customer is left out.",
        "Recency and customer age are counted in days up to 2024-06-30. A purchase is a day with an order that "
        "is not a refund; refunds reduce net value only.",
    ]
    assert any(note.startswith("Lifetime value is not estimated: ") for note in result.notes)

    rows = result.rows()
    assert len(rows) == 10 and rows[1]["contact_id"] == 2 and rows[1]["currency"] == "ZAR"
    assert rows[1]["net_minor"] == 211750 and rows[1]["first_on"] == date(2024, 1, 5)
    charts = result.charts()
    assert [c["mark"]["type"] if isinstance(c["mark"], dict) else c["mark"] for c in charts] == ["bar", "rect"]
    assert [v["customers"] for v in charts[0]["data"]["values"]] == [1, 1, 1, 2, 1, 1, 3]
    assert len(charts[1]["data"]["values"]) == sum(len(a) for _, a in COHORTS.values())


def test_an_unfinished_month_and_the_default_period(sql_kind, tmp_path):
    warehouse = warehouse_with(sql_kind, business(), tmp_path)
    result = run(warehouse, from_on=date(2024, 1, 1), to_on=date(2024, 6, 16))
    assert result.as_of == date(2024, 6, 15)
    assert "The last cohort month, 2024-06, is not complete, so its retention is understated." in result.notes
    # Without a period every order counts and the last order day is the end: customer 9 has three purchases.
    everything = run(warehouse)
    assert everything.as_of == date(2024, 7, 2)
    nine = next(c for c in everything.customers if c.contact_id == 9)
    assert (nine.first_on, nine.last_on, nine.purchases, nine.net_minor) == (date(2023, 12, 20), date(2024, 7, 2), 3, 27000)


def test_no_orders_a_single_order_and_only_first_purchases(sql_kind, tmp_path):
    warehouse = warehouse_with(sql_kind, business(), tmp_path)

    empty = run(warehouse, from_on=date(2023, 1, 1), to_on=date(2023, 6, 1))
    assert empty.customers == [] and empty.segments == [] and empty.cohorts == [] and empty.charts() == []
    assert empty.notes == ["No customer bought anything in this period, so there is nothing to segment or value."]

    single = run(warehouse, from_on=date(2024, 6, 25), to_on=date(2024, 6, 26))
    assert [(c.contact_id, c.purchases, c.net_minor, c.r, c.f, c.m, c.segment) for c in single.customers] == [
        (3, 1, 12000, 1, 1, 1, "Hibernating")]
    assert [(c.cohort, c.months_since, c.active, c.retention) for c in single.cohorts] == [(date(2024, 6, 1), 0, 1, 1.0)]
    assert single.purchase_model is None and single.spend_model is None

    # Four customers, each with one purchase day in the period: neither model can be fitted, and no crash.
    firsts = run(warehouse, from_on=date(2024, 1, 1), to_on=date(2024, 1, 11))
    assert [(c.contact_id, c.purchases) for c in firsts.customers] == [(1, 1), (2, 1), (4, 1), (5, 1)]
    assert firsts.purchase_model is None and firsts.spend_model is None
    assert firsts.notes[-2:] == [
        "Spend per purchase is each customer's own average: no customer has bought a second time; the Gamma-Gamma "
        "spend model needs repeat purchases from several customers.",
        "Lifetime value is not estimated: no customer has bought a second time, so purchase rates cannot be told "
        "apart from drop-out: the BG/NBD model is not identifiable.",
    ]


def test_the_review_is_registered_under_its_name():
    assert get_review("customers") is REVIEW


def test_bad_queries_name_the_field():
    for field, value in [("horizon_months", 0), ("monthly_discount", 1.5), ("margin", 0.0), ("top", 0)]:
        with pytest.raises(Invalid) as caught:
            CustomersQuery(**{field: value})
        assert caught.value.field == field
    with pytest.raises(Invalid) as caught:
        CustomersQuery(from_on=date(2024, 2, 1), to_on=date(2024, 1, 1))
    assert caught.value.field == "to_on"


# A synthetic business drawn from the two models, large enough for them to be fitted.
TRUE = {"r": 0.9, "alpha": 7.0, "a": 0.8, "b": 3.0, "p": 4.0, "q": 3.5, "gamma": 900.0}
START = date(2023, 1, 1)
END = date(2024, 1, 1)


def synthetic_orders(n: int = 400, seed: int = 21, same_drop: float | None = None) -> list[tuple]:
    """Customers arrive in the first half of 2023, buy on Poisson days, may stop after each repeat purchase (each
    with their own chance, or all with `same_drop`); each purchase's value is Gamma(p, nu) cents with
    nu ~ Gamma(q, gamma) per customer."""
    rng = np.random.default_rng(seed)
    orders, order_id = [], 1
    for customer in range(1, n + 1):
        rate, drop = rng.gamma(TRUE["r"], 1 / TRUE["alpha"]), rng.beta(TRUE["a"], TRUE["b"])
        drop = drop if same_drop is None else same_drop
        nu = rng.gamma(TRUE["q"], 1 / TRUE["gamma"])
        day = float(rng.integers(0, 181))
        first = True
        while day < (END - START).days:
            cents = max(1, int(round(rng.gamma(TRUE["p"], 1 / nu))))
            orders.append((order_id, customer, START + timedelta(days=int(day)), "ZAR", [(1, cents)]))
            order_id += 1
            if not first and rng.random() < drop:
                break
            first = False
            day += rng.exponential(7 / rate)  # the rate is per week
    return orders


def reference_summary(orders) -> dict[int, tuple[float, float, float, float]]:
    """Per customer (x, t_x, T in weeks, mean repeat spend in cents), straight from the orders."""
    days: dict[int, dict[date, int]] = {}
    for _, customer, day, _, items in orders:
        if START <= day < END:
            days.setdefault(customer, {}).setdefault(day, 0)
            days[customer][day] += sum(q * p for q, p in items)
    as_of = END - timedelta(days=1)
    out = {}
    for customer, spent in days.items():
        ordered = sorted(spent)
        repeats = [spent[d] for d in ordered[1:]]
        out[customer] = (len(ordered) - 1, (ordered[-1] - ordered[0]).days / 7, (as_of - ordered[0]).days / 7,
                         sum(repeats) / len(repeats) if repeats else 0.0)
    return out


def naive_bgnbd_negative(log_params, x, tx, T) -> float:
    r, alpha, a, b = np.exp(log_params)
    head = gamma_fn(r + x) * alpha ** r / gamma_fn(r)
    likelihood = head * (beta_fn(a, b + x) / beta_fn(a, b) / (alpha + T) ** (r + x)
                         + (x > 0) * beta_fn(a + 1, np.maximum(b + x - 1, 1e-12)) / beta_fn(a, b) / (alpha + tx) ** (r + x))
    return -float(np.log(likelihood).sum())


def naive_gamma_gamma_negative(log_params, x, m) -> float:
    """Fader & Hardie (2013)'s density of the mean spend, in logs: m^(px) overflows for frequent buyers."""
    p, q, g = np.exp(log_params)
    log_density = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g) + (p * x - 1) * np.log(m)
                   + p * x * np.log(x) - (p * x + q) * np.log(g + x * m))
    return -float(log_density.sum())


def test_lifetime_value_on_a_synthetic_business_matches_an_independent_computation(sql_kind, tmp_path):
    orders = synthetic_orders()
    warehouse = warehouse_with(sql_kind, business(orders, {i: f"Customer {i}" for i in range(1, 401)}), tmp_path)
    result = run(warehouse, from_on=START, to_on=END, horizon_months=6, monthly_discount=0.02, margin=0.3, top=5)

    summary = reference_summary(orders)
    ids = sorted(summary)
    x, tx, T, m = (np.array([summary[i][k] for i in ids]) for k in range(4))
    fit = minimize(naive_bgnbd_negative, np.log([1.0, 5.0, 1.0, 1.0]), args=(x, tx, T), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 40000, "maxfev": 80000})
    r, alpha, a, b = np.exp(fit.x)
    model = result.purchase_model
    assert (model.r, model.alpha, model.a, model.b) == pytest.approx((r, alpha, a, b), rel=1e-4)
    assert model.log_likelihood == pytest.approx(-fit.fun, abs=1e-3) and model.customers == len(ids)

    repeat = x > 0
    spend_fit = minimize(naive_gamma_gamma_negative, np.log([1.0, 2.0, 300.0]), args=(x[repeat], m[repeat]),
                         method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 40000})
    p, q, g = np.exp(spend_fit.x)
    spend = result.spend_model
    assert (spend.p, spend.q, spend.gamma) == pytest.approx((p, q, g), rel=1e-4)
    assert spend.customers == int(repeat.sum()) and spend.mean_spend_minor == round(g * p / (q - 1))

    # Each customer's value from equation (10) as printed, Gamma-Gamma's posterior mean, 2% a month, margin 0.3.
    month = 365.25 / 12 / 7
    by_id = {c.contact_id: c for c in result.customers}
    for i, (xi, txi, Ti, mi) in zip(ids, zip(x, tx, T, m)):
        def expected(t):
            z = t / (alpha + Ti + t)
            alive = (a + b + xi - 1) / (a - 1) * (1 - ((alpha + Ti) / (alpha + Ti + t)) ** (r + xi)
                                                  * hyp2f1(r + xi, b + xi, a + b + xi - 1, z))
            return alive / (1 + (xi > 0) * a / (b + xi - 1) * ((alpha + Ti) / (alpha + txi)) ** (r + xi))

        cumulative = [0.0] + [expected(k * month) for k in range(1, 7)]
        per_purchase = p * (g + xi * mi) / (p * xi + q - 1)
        value = sum((cumulative[k] - cumulative[k - 1]) / 1.02 ** k for k in range(1, 7)) * per_purchase * 0.3
        customer = by_id[i]
        assert abs(customer.clv_minor - value) <= 0.5 + 1e-6 * value
        assert customer.expected_purchases == pytest.approx(cumulative[-1], abs=6e-5)
        assert abs(customer.expected_spend_minor - per_purchase) <= 0.5 + 1e-6 * per_purchase
        p_alive = 1 / (1 + (xi > 0) * a / (b + max(xi, 1) - 1) * ((alpha + Ti) / (alpha + txi)) ** (r + xi))
        assert customer.p_alive == pytest.approx(p_alive, abs=6e-5)
    ranked = sorted(result.customers, key=lambda c: (-c.clv_minor, c.contact_id))
    assert [c.contact_id for c in result.top] == [c.contact_id for c in ranked[:5]]
    assert [s.clv_minor for s in result.segments] == [
        sum(c.clv_minor for c in result.customers if c.segment == s.segment) for s in result.segments]
    assert len(result.charts()) == 3 and len(result.charts()[2]["data"]["values"]) == 5
    assert not any("edge" in note or "not estimated" in note for note in result.notes)


def test_when_everyone_drops_out_alike_lifetime_value_uses_the_models_limit(sql_kind, tmp_path):
    orders = synthetic_orders(same_drop=0.3, seed=1)
    warehouse = warehouse_with(sql_kind, business(orders, {i: f"Customer {i}" for i in range(1, 401)}), tmp_path)
    result = run(warehouse, from_on=START, to_on=END, horizon_months=6, monthly_discount=0.02, top=5)

    model = result.purchase_model
    assert model is not None and min(model.a, model.b) >= 100 and max(model.a, model.b) >= 1000
    drop = model.a / (model.a + model.b)
    assert abs(drop - 0.3) < 0.01  # the one chance the business was generated with, recovered
    assert (f"Every customer drops out with the same chance: the purchase model's a and b grew together to the edge "
            f"of their range (a = {model.a:,.0f}, b = {model.b:,.0f}), so lifetime value uses the model's limit, "
            f"where each customer stops after a purchase with probability {drop:.1%}.") in result.notes
    assert not any("not estimated" in note for note in result.notes)

    # The limit of equation (10) as a, b grow with a/(a+b) = p: an alive customer of rate lambda buys
    # (1 - exp(-lambda p t)) / p, averaged over lambda ~ Gamma(r + x, alpha + T); the odds of having dropped are
    # p/(1-p) * ((alpha+T)/(alpha+t_x))^(r+x) after a repeat purchase.
    r, alpha, month = model.r, model.alpha, 365.25 / 12 / 7
    summary = reference_summary(orders)
    by_id = {c.contact_id: c for c in result.customers}
    spend = result.spend_model
    for i, (xi, txi, Ti, mi) in summary.items():
        alive = 1 / (1 + (xi > 0) * drop / (1 - drop) * ((alpha + Ti) / (alpha + txi)) ** (r + xi))

        def expected(t):
            return (1 - ((alpha + Ti) / (alpha + Ti + drop * t)) ** (r + xi)) / drop * alive

        cumulative = [expected(k * month) for k in range(7)]
        per_purchase = spend.p * (spend.gamma + xi * mi) / (spend.p * xi + spend.q - 1)
        value = sum((cumulative[k] - cumulative[k - 1]) / 1.02 ** k for k in range(1, 7)) * per_purchase
        customer = by_id[i]
        assert customer.p_alive == pytest.approx(alive, abs=1e-4)
        assert customer.expected_purchases == pytest.approx(cumulative[-1], rel=1e-3, abs=1e-4)
        assert abs(customer.clv_minor - value) <= 0.5 + 1e-3 * value


@pytest.mark.parametrize("other", [p for p in WAREHOUSE_PARAMS if p.values[0] != "duckdb"])
def test_the_same_result_on_every_warehouse(other, tmp_path):
    tables = business(synthetic_orders(150, seed=4), {i: f"Customer {i}" for i in range(1, 151)})
    query = {"from_on": START, "to_on": END}
    reference = run(warehouse_with("duckdb", tables, tmp_path), **query)
    assert reference.purchase_model is not None
    assert run(warehouse_with(other, tables, tmp_path), **query).model_dump() == reference.model_dump()
    assert math.isfinite(reference.purchase_model.log_likelihood)
