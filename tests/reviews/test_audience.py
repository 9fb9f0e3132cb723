"""Audience matrix: exact cells, totals and conversion notes on a hand-made warehouse, on every warehouse kind."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timezone

import pyarrow as pa
import pytest

from accord.errors import Invalid
from accord.reviews.audience import AudienceQuery, run
from accord.reviews.base import get_review
from warehouses import WAREHOUSE_PARAMS, rate_table, reference_in_base, warehouse_with

TS = pa.timestamp("us", tz="UTC")
PERIOD = {"from_on": date(2025, 1, 1), "to_on": date(2025, 4, 1)}


@pytest.fixture(params=WAREHOUSE_PARAMS)
def kind(request) -> str:
    return request.param


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), timezone.utc)


def contact(id, day, channel, city=None, region=None, org=None, merged=None):
    return {"id": id, "created_at": at(day), "created_day": day, "first_channel": channel, "city": city,
            "region": region, "country": "ZA", "organisation_id": org, "merged_into_id": merged,
            "lifecycle_stage": "engager"}


CONTACTS = [
    contact(1, date(2024, 6, 1), "instagram", "Johannesburg", "Gauteng"),
    contact(2, date(2025, 1, 10), "facebook", org=1),                  # location from the organisation
    contact(3, date(2024, 3, 1), "website", "Durban", "KwaZulu-Natal", org=2),
    contact(4, date(2025, 2, 1), "instagram"),                         # nothing known
    contact(5, date(2025, 2, 1), "instagram", "Durban", merged=1),     # a merged duplicate
    contact(6, date(2025, 4, 1), "instagram", "Durban"),               # first seen after the period
    contact(7, date(2025, 1, 5), "whatsapp", "Johannesburg", "Gauteng", org=1),
    contact(8, date(2024, 12, 31), "instagram", "Cape Town", "Western Cape"),
]
ORGANISATIONS = [
    {"id": 1, "name": "Acme", "industry": "catering", "city": "Cape Town", "region": "Western Cape", "country": "ZA"},
    {"id": 2, "name": "Beta", "industry": None, "city": None, "region": "KwaZulu-Natal", "country": "ZA"},
]
PERSONAS = [{"id": 1, "name": "Family host"}, {"id": 2, "name": "Office manager"},
            {"id": 3, "name": "Busy professional"}]
FITS = [(1, 1, 0.8), (2, 1, 0.6), (2, 2, 0.7), (3, 2, 0.7), (1, 3, 0.3), (2, 7, 0.5)]  # persona, contact, score
ENGAGEMENTS = [  # contact, day, spam
    (1, date(2025, 2, 1), False), (2, date(2025, 2, 2), True), (3, date(2024, 12, 31), False),
    (7, date(2025, 3, 31), False), (8, date(2025, 1, 1), False), (8, date(2025, 1, 2), False),
]
ORDERS = [  # id, contact, day, currency, lines of (quantity, unit price)
    (1, 1, date(2025, 2, 10), "ZAR", [(2, 10000), (1, 5000)]),
    (2, 1, date(2025, 2, 20), "ZAR", [(-1, 5000)]),            # a refund
    (3, 7, date(2025, 2, 15), "USD", [(1, 1000)]),
    (4, 7, date(2025, 3, 10), "USD", [(3, 333)]),
    (5, 8, date(2025, 2, 1), "EUR", [(1, 2000)]),              # no EUR rate
    (6, 3, date(2024, 12, 1), "ZAR", [(1, 7000)]),             # before the period
    (7, None, date(2025, 3, 1), "ZAR", [(1, 900)]),            # no contact
    (8, 2, date(2025, 3, 2), "ZAR", [(-1, 3000)]),             # only a refund
]
RATES = [("USD", date(2025, 1, 1), "18"), ("USD", date(2025, 3, 1), "18.5")]


def tables() -> dict[str, pa.Table]:
    lines = [{"id": 10 * o + n, "order_id": o, "line_no": n, "quantity": q, "unit_price_minor": p}
             for o, _, _, _, items in ORDERS for n, (q, p) in enumerate(items, 1)]
    rows = {
        "workspace": ([{"id": 1, "base_currency": "ZAR"}], {"id": pa.int64(), "base_currency": pa.string()}),
        "contact": (CONTACTS, {"id": pa.int64(), "created_at": TS, "created_day": pa.date32(),
                               "first_channel": pa.string(), "city": pa.string(), "region": pa.string(),
                               "country": pa.string(), "organisation_id": pa.int64(), "merged_into_id": pa.int64(),
                               "lifecycle_stage": pa.string()}),
        "organisation": (ORGANISATIONS, {"id": pa.int64(), "name": pa.string(), "industry": pa.string(),
                                         "city": pa.string(), "region": pa.string(), "country": pa.string()}),
        "persona": (PERSONAS, {"id": pa.int64(), "name": pa.string()}),
        "persona_fit": ([{"persona_id": p, "contact_id": c, "score": s} for p, c, s in FITS],
                        {"persona_id": pa.int64(), "contact_id": pa.int64(), "score": pa.float64()}),
        "engagement": ([{"id": i, "contact_id": c, "is_spam": s, "occurred_at": at(d), "occurred_day": d}
                        for i, (c, d, s) in enumerate(ENGAGEMENTS, 1)],
                       {"id": pa.int64(), "contact_id": pa.int64(), "is_spam": pa.bool_(), "occurred_at": TS,
                        "occurred_day": pa.date32()}),
        "sales_order": ([{"id": o, "contact_id": c, "ordered_at": at(d), "ordered_day": d, "currency": cur}
                         for o, c, d, cur, _ in ORDERS],
                        {"id": pa.int64(), "contact_id": pa.int64(), "ordered_at": TS, "ordered_day": pa.date32(),
                         "currency": pa.string()}),
        "order_line": (lines, {"id": pa.int64(), "order_id": pa.int64(), "line_no": pa.int64(),
                               "quantity": pa.int64(), "unit_price_minor": pa.int64()}),
        "currency_rate": rate_table(RATES),
    }
    return {name: pa.Table.from_pylist(data, schema=pa.schema(schema)) for name, (data, schema) in rows.items()}


def expected_people(level: str, min_fit: float) -> dict[int, dict]:
    """Each contact in the audience with its dimensions, flags and revenue, worked out in plain Python."""
    orgs = {o["id"]: o for o in ORGANISATIONS}
    names = {p["id"]: p["name"] for p in PERSONAS}
    people = {}
    for c in CONTACTS:
        if c["merged_into_id"] or c["created_day"] >= PERIOD["to_on"]:
            continue
        org = orgs.get(c["organisation_id"], {})
        fits = [(s, names[p]) for p, who, s in FITS if who == c["id"] and s >= min_fit]
        best = max(s for s, _ in fits) if fits else None
        in_period = [o for o in ORDERS if o[1] == c["id"] and PERIOD["from_on"] <= o[2] < PERIOD["to_on"]]
        values = [(sum(q * p for q, p in o[4]), o[3], o[2]) for o in in_period]
        people[c["id"]] = {
            "location": c[level] or org.get(level) or "(unknown)",
            "industry": org.get("industry") or "(none)",
            "persona": min(n for s, n in fits if s == best) if fits else "(none)",
            "channel": c["first_channel"],
            "engaged": any(who == c["id"] and not spam and PERIOD["from_on"] <= d < PERIOD["to_on"]
                           for who, d, spam in ENGAGEMENTS),
            "customer": any(v > 0 for v, _, _ in values),
            "revenue": sum(z for v, cur, d in values if (z := reference_in_base(v, cur, d, RATES)) is not None),
        }
    return people


def expected_cells(dims: tuple[str, ...], level: str = "city", min_fit: float = 0.5) -> list[dict]:
    cells: dict[tuple, dict] = defaultdict(lambda: {"contacts": 0, "engaged": 0, "customers": 0, "revenue": 0})
    for person in expected_people(level, min_fit).values():
        cell = cells[tuple(person[d] for d in dims)]
        cell["contacts"] += 1
        cell["engaged"] += person["engaged"]
        cell["customers"] += person["customer"]
        cell["revenue"] += person["revenue"]
    rows = [{**dict(zip(dims, key)), "contacts": v["contacts"], "engaged": v["engaged"], "customers": v["customers"],
             "conversion_rate": round(v["customers"] / v["contacts"], 4), "revenue_minor": v["revenue"],
             "currency": "ZAR"} for key, v in cells.items()]
    return sorted(rows, key=lambda r: (-r["revenue_minor"], -r["contacts"], *[r[d] for d in dims]))


def test_four_dimensions_cells_totals_and_notes(kind, tmp_path):
    result = run(warehouse_with(kind, tables(), tmp_path), AudienceQuery(**PERIOD))

    assert result.rows() == [
        {"location": "Johannesburg", "industry": "catering", "persona": "Office manager", "channel": "whatsapp",
         "contacts": 1, "engaged": 1, "customers": 1, "conversion_rate": 1.0, "revenue_minor": 36482,
         "currency": "ZAR"},
        {"location": "Johannesburg", "industry": "(none)", "persona": "Family host", "channel": "instagram",
         "contacts": 1, "engaged": 1, "customers": 1, "conversion_rate": 1.0, "revenue_minor": 20000,
         "currency": "ZAR"},
        {"location": "(unknown)", "industry": "(none)", "persona": "(none)", "channel": "instagram",
         "contacts": 1, "engaged": 0, "customers": 0, "conversion_rate": 0.0, "revenue_minor": 0, "currency": "ZAR"},
        {"location": "Cape Town", "industry": "(none)", "persona": "(none)", "channel": "instagram",
         "contacts": 1, "engaged": 1, "customers": 1, "conversion_rate": 1.0, "revenue_minor": 0, "currency": "ZAR"},
        {"location": "Durban", "industry": "(none)", "persona": "(none)", "channel": "website",
         "contacts": 1, "engaged": 0, "customers": 0, "conversion_rate": 0.0, "revenue_minor": 0, "currency": "ZAR"},
        {"location": "Cape Town", "industry": "catering", "persona": "Busy professional", "channel": "facebook",
         "contacts": 1, "engaged": 0, "customers": 0, "conversion_rate": 0.0, "revenue_minor": -3000,
         "currency": "ZAR"},
    ]
    assert result.rows() == expected_cells(("location", "industry", "persona", "channel"))
    assert (result.contacts, result.engaged, result.customers, result.conversion_rate, result.revenue_minor,
            result.currency) == (6, 3, 3, 0.5, 20000 + 18000 + 18482 - 3000, "ZAR")
    assert result.notes[:3] == [
        "All revenue figures are in ZAR, the workspace's base currency.",
        "Converted to ZAR with the rate in force on each day: 19.99 USD.",
        "Left out for want of a rate (add a currency_rate row valid on or before those days): 20.00 EUR in 1 row.",
    ]
    assert result.notes[-1] == "1 order in the period without a contact is not in the matrix."
    charts = result.charts()
    assert [c["mark"]["type"] if isinstance(c["mark"], dict) else c["mark"] for c in charts] == ["bar", "rect"]
    assert [v["revenue"] for v in charts[0]["data"]["values"]] == [364.82, 200.0, 0.0, 0.0, 0.0, -30.0]


@pytest.mark.parametrize(
    ("dims", "level", "min_fit"),
    [(("location",), "city", 0.5), (("location", "channel"), "region", 0.5), (("persona",), "city", 0.7),
     (("industry", "persona"), "country", 0.0)],
)
def test_fewer_dimensions_other_location_levels_and_fit_thresholds(tmp_path, dims, level, min_fit):
    query = AudienceQuery(**PERIOD, dimensions=dims, location=level, persona_min_fit=min_fit)
    result = run(warehouse_with("duckdb", tables(), tmp_path), query)

    assert result.rows() == expected_cells(dims, level, min_fit)
    assert result.dimensions == list(dims)


def test_by_location_alone_groups_contacts(tmp_path):
    result = run(warehouse_with("duckdb", tables(), tmp_path), AudienceQuery(**PERIOD, dimensions=("location",)))

    assert [(r["location"], r["contacts"], r["engaged"], r["customers"], r["conversion_rate"], r["revenue_minor"])
            for r in result.rows()] == [
        ("Johannesburg", 2, 2, 2, 1.0, 56482), ("(unknown)", 1, 0, 0, 0.0, 0), ("Durban", 1, 0, 0, 0.0, 0),
        ("Cape Town", 2, 1, 1, 0.5, -3000),
    ]
    assert len(result.charts()) == 1


def test_a_period_before_anyone_was_seen_is_empty_with_a_note(kind, tmp_path):
    result = run(warehouse_with(kind, tables(), tmp_path), AudienceQuery(to_on=date(2024, 1, 1)))

    assert (result.rows(), result.contacts, result.conversion_rate, result.revenue_minor, result.charts()) == (
        [], 0, None, 0, [])
    assert "There are no contacts yet at the end of this period." in result.notes


def test_bad_dimensions_name_the_field():
    review = get_review("audience")
    with pytest.raises(Invalid, match="dimensions: choose at least one"):
        review.query_type(dimensions=())
    with pytest.raises(ValueError, match="dimensions"):
        review.query_type(dimensions=("planet",))
    assert review.query_type(dimensions=("channel", "channel")).dimensions == ("channel",)
