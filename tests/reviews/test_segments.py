"""Conversion by attribute: every row of a hand-worked warehouse, by first channel, a contact attribute, a deal
attribute and a deal attribute known only on won deals, the same on DuckDB, PostgreSQL and Spark."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pyarrow as pa
import pytest

from accord.errors import Invalid
from accord.reviews.base import get_review
from accord.reviews.segments import NOT_SET, SegmentsQuery, median_of_counts, run
from warehouses import WAREHOUSE_PARAMS, built_once, rate_table

TS = pa.timestamp("us", tz="UTC")
PERIOD = {"from_on": date(2025, 1, 1), "to_on": date(2025, 4, 1)}
D = date


def at(day: date | None) -> datetime | None:
    return datetime.combine(day, time(12), timezone.utc) if day else None


CONTACTS = [  # id, first seen, stage, first channel, merged into
    (1, D(2025, 1, 5), "customer", "website", None),
    (2, D(2025, 1, 10), "lead", "instagram", None),
    (3, D(2025, 2, 1), "customer", "instagram", None),
    (4, D(2025, 2, 15), "customer", "website", None),
    (5, D(2025, 3, 1), "engager", "instagram", None),      # not a lead
    (6, D(2024, 12, 20), "customer", "website", None),     # first seen before the period
    (7, D(2025, 3, 10), "customer", "email", 3),           # merged into 3; its origin counts for 3
    (8, D(2025, 3, 20), "customer", "email", None),        # won only after the period
    (9, D(2025, 1, 20), "customer", "website", None),      # won in USD
]
CONTACT_ATTRIBUTES = [  # contact, key, value
    (1, "origin", "ads"), (1, "interest", "coffee"), (1, "interest", "tea"), (2, "origin", "ads"),
    (3, "origin", "referral"), (5, "origin", "ads"), (6, "origin", "ads"), (7, "origin", "event"),
    (8, "origin", "referral"), (9, "origin", "ads"), (2, "segment", "retail"),
]
DEALS = [  # id, contact, stage, closed, currency, value (minor units)
    (1, 1, "won", D(2025, 1, 15), "ZAR", 100_000),
    (2, 1, "lost", D(2025, 1, 20), "ZAR", 5_000),
    (3, 3, "won", D(2025, 2, 11), "ZAR", 20_000),
    (4, 3, "won", D(2025, 3, 1), "ZAR", 30_000),
    (5, 4, "qualified", None, "ZAR", 7_000),
    (6, 8, "won", D(2025, 4, 10), "ZAR", 1_000),           # won after the period
    (7, 9, "won", D(2025, 2, 1), "USD", 1_000),            # 10 USD at 18 = 180 ZAR
    (8, 6, "won", D(2025, 1, 2), "ZAR", 500),
    (11, 4, "won", D(2025, 3, 15), "EUR", 2_000),          # no EUR rate
]
DEAL_ATTRIBUTES = [  # deal, key, value; "profile" is on won deals only, "segment" also on a lost and an open one
    (1, "segment", "pet"), (1, "profile", "cat"), (2, "segment", "toys"), (3, "segment", "pet"),
    (3, "profile", "eagle"), (4, "segment", "toys"), (5, "segment", "pet"), (6, "segment", "pet"),
    (6, "profile", "wolf"), (7, "profile", "cat"), (8, "segment", "pet"), (8, "profile", "cat"),
]
RATES = [("USD", D(2025, 1, 1), "18")]


def tables() -> dict[str, pa.Table]:
    rows = {
        "workspace": ([{"id": 1, "base_currency": "ZAR"}], {"id": pa.int64(), "base_currency": pa.string()}),
        "contact": ([{"id": i, "created_at": at(d), "created_day": d, "lifecycle_stage": s, "first_channel": c,
                      "merged_into_id": m} for i, d, s, c, m in CONTACTS],
                    {"id": pa.int64(), "created_at": TS, "created_day": pa.date32(), "lifecycle_stage": pa.string(),
                     "first_channel": pa.string(), "merged_into_id": pa.int64()}),
        "contact_attribute": ([{"contact_id": c, "key": k, "value": v} for c, k, v in CONTACT_ATTRIBUTES],
                              {"contact_id": pa.int64(), "key": pa.string(), "value": pa.string()}),
        "deal": ([{"id": i, "contact_id": c, "stage": s, "closed_at": at(d), "closed_day": d, "currency": cur,
                   "value_minor": v} for i, c, s, d, cur, v in DEALS],
                 {"id": pa.int64(), "contact_id": pa.int64(), "stage": pa.string(), "closed_at": TS,
                  "closed_day": pa.date32(), "currency": pa.string(), "value_minor": pa.int64()}),
        "deal_attribute": ([{"deal_id": d, "key": k, "value": v} for d, k, v in DEAL_ATTRIBUTES],
                           {"deal_id": pa.int64(), "key": pa.string(), "value": pa.string()}),
        "currency_rate": rate_table(RATES),
    }
    return {name: pa.Table.from_pylist(data, schema=pa.schema(schema)) for name, (data, schema) in rows.items()}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    return built_once(tables, tmp_path_factory)


@pytest.fixture(params=WAREHOUSE_PARAMS)
def warehouse(request, warehouses):
    return warehouses(request.param)


@pytest.fixture
def duckdb(warehouses):
    return warehouses("duckdb")


def row(value, leads, won, rate, days, deals, won_value):
    return {"value": value, "leads": leads, "won": won, "conversion_rate": rate, "median_days_to_won": days,
            "won_deals": deals, "won_value_minor": won_value, "currency": "ZAR"}


# The six leads of the period: 1, 2, 3, 4, 8 and 9. Won in it: 1 (10 days, 1,000.00), 3 (10 days; two deals,
# 500.00), 4 (28 days; its EUR deal has no rate) and 9 (12 days; 10 USD = 180.00 ZAR). Lead 8 won after it.
EXPECTED = {
    "first_channel": [
        row("website", 3, 3, 1.0, 12.0, 3, 118_000),
        row("instagram", 2, 1, 0.5, 10.0, 2, 50_000),
        row("email", 1, 0, 0.0, None, 0, 0),
    ],
    "origin": [  # lead 3 has referral and, from its merged duplicate 7, event
        row("ads", 3, 2, 0.6667, 11.0, 2, 118_000),
        row("referral", 2, 1, 0.5, 10.0, 2, 50_000),
        row("event", 1, 1, 1.0, 10.0, 2, 50_000),
        row(NOT_SET, 1, 1, 1.0, 28.0, 1, 0),
    ],
    "deal:segment": [  # lead 4's win carries no segment, so it counts under neither pet nor (not set)
        row("pet", 4, 2, 0.5, 10.0, 2, 120_000),
        row("toys", 2, 1, 0.5, 28.0, 1, 30_000),
        row(NOT_SET, 2, 1, 0.5, 12.0, 1, 18_000),
    ],
    "profile": [  # known only on won deals: each rate is a share of all six leads
        row("cat", 2, 2, 0.3333, 11.0, 2, 118_000),
        row("eagle", 1, 1, 0.1667, 10.0, 1, 20_000),
        row("wolf", 1, 0, 0.0, None, 0, 0),
        row(NOT_SET, 2, 1, 0.1667, 28.0, 1, 0),
    ],
}
OF = {"first_channel": "first_channel", "origin": "contact", "deal:segment": "deal", "profile": "deal"}


@pytest.mark.parametrize("attribute", list(EXPECTED))
def test_every_row_of_each_kind_of_attribute(warehouse, attribute):
    result = run(warehouse, SegmentsQuery(**PERIOD, by=attribute))

    assert result.rows() == EXPECTED[attribute]
    assert (result.attribute, result.attribute_of, result.known_only_on_won) == (
        attribute, OF[attribute], attribute == "profile")
    assert (result.leads, result.won, result.conversion_rate, result.median_days_to_won, result.won_value_minor,
            result.currency) == (6, 4, 0.6667, 11.0, 168_000, "ZAR")


def test_the_notes_say_what_is_counted_and_what_a_won_only_rate_means(duckdb):
    result = run(duckdb, SegmentsQuery(**PERIOD, by="profile"))

    assert result.notes == [
        "Leads: contacts first seen in the period whose lifecycle stage has reached lead (lead, opportunity, "
        "customer or ambassador), merged duplicates left out. Won: leads with a deal won before the period ends. "
        "Days to won: calendar days from the day the contact was first seen to the day of their first won deal "
        "(0 when the win is dated earlier; the median is over the leads that won). Won value: the value of those "
        "won deals.",
        "A lead counts under each value of the deal attribute profile that one of their deals carries; won, days "
        "and value there come from the won deals that carry it. (not set) marks leads none of whose deals carries "
        "it (their won deals count there). The figures above the table count each lead once.",
        "The deal attribute profile is known only on won deals: no open, lost or nurture deal carries it, so every "
        "lead with a value has won. Its conversion rate is therefore the value's share of all 6 leads, its "
        "contribution to the overall conversion (66.7%); with one value per lead the rates add up to it. The "
        "median days to won still compare how fast each kind of lead closed.",
        "All won values are in ZAR, the workspace's base currency.",
        "Converted to ZAR with the rate in force on each day: 10.00 USD.",
        "Left out for want of a rate (add a currency_rate row valid on or before those days): 20.00 EUR in 1 deal.",
    ]
    segment = run(duckdb, SegmentsQuery(**PERIOD, by="deal:segment"))
    assert not segment.known_only_on_won and not any("known only on won" in note for note in segment.notes)


def test_all_history_counts_every_lead_and_takes_the_mean_of_the_two_middle_days(duckdb):
    result = run(duckdb, SegmentsQuery())

    # Lead 6 joins (won after 13 days) and lead 8's win counts (21 days): 10, 10, 12, 13, 21, 28.
    assert result.rows() == [
        row("website", 4, 4, 1.0, 12.5, 4, 118_500),
        row("instagram", 2, 1, 0.5, 10.0, 2, 50_000),
        row("email", 1, 1, 1.0, 21.0, 1, 1_000),
    ]
    assert (result.leads, result.won, result.median_days_to_won) == (7, 6, 12.5)


def test_an_empty_period_explains_itself(duckdb):
    result = run(duckdb, SegmentsQuery(from_on=date(2030, 1, 1), by="origin"))

    assert (result.rows(), result.leads, result.won, result.conversion_rate, result.charts()) == ([], 0, 0, None, [])
    assert result.notes[-2:] == ["No lead was first seen in this period, so there is nothing to split.",
                                 "All won values are in ZAR, the workspace's base currency."]


def test_an_unknown_or_ambiguous_attribute_is_refused_with_the_ones_there_are(duckdb):
    with pytest.raises(Invalid) as unknown:
        run(duckdb, SegmentsQuery(by="colour"))
    with pytest.raises(Invalid) as ambiguous:
        run(duckdb, SegmentsQuery(by="segment"))
    with pytest.raises(Invalid) as wrong_side:
        run(duckdb, SegmentsQuery(by="deal:origin"))
    with pytest.raises(Invalid) as empty:
        SegmentsQuery(by="  ")

    assert (unknown.value.field, unknown.value.reason) == (
        "by", "'colour' is not an attribute. There are first_channel; contact attributes: interest, origin, "
                     "segment; deal attributes: profile, segment")
    assert ambiguous.value.reason == "'segment' is both a contact and a deal attribute; write contact:segment or " \
                                     "deal:segment"
    assert wrong_side.value.reason.startswith("'deal:origin' is not an attribute. There are first_channel;")
    assert (empty.value.field, empty.value.reason) == (
        "by", "empty; name a contact or deal attribute key, or first_channel")


def test_a_contact_prefix_picks_the_contact_attribute(duckdb):
    result = run(duckdb, SegmentsQuery(**PERIOD, by="contact:segment"))

    assert result.rows() == [row("retail", 1, 0, 0.0, None, 0, 0), row(NOT_SET, 5, 4, 0.8, 11.0, 5, 168_000)]


def test_the_charts_show_rates_and_days_by_value(duckdb):
    charts = run(duckdb, SegmentsQuery(**PERIOD, by="origin")).charts()

    assert [c["title"] for c in charts] == ["Conversion by origin",
                                            "Days from first contact to won, by origin (median)"]
    assert [c["width"] for c in charts] == ["container", "container"]
    assert [(v["value"], v["conversion_rate"], v["won_value"]) for v in charts[0]["data"]["values"]] == [
        ("ads", 0.6667, 1180.0), ("referral", 0.5, 500.0), ("(not set)", 1.0, 0.0), ("event", 1.0, 500.0)]
    assert charts[1]["transform"] == [{"filter": "isValid(datum.median_days_to_won)"}]


def test_it_is_registered_as_a_review():
    review = get_review("segments")
    assert (review.title, review.query_type, review.run) == ("Conversion by attribute", SegmentsQuery, run)


@pytest.mark.parametrize(("counted", "middle"), [
    ([(5, 1)], 5.0), ([(3, 1), (1, 1)], 2.0), ([(10, 2), (12, 1), (28, 1)], 11.0), ([(1, 3), (9, 1)], 1.0),
    ([(4, 2), (2, 2)], 3.0),
])
def test_the_median_of_counted_numbers(counted, middle):
    assert median_of_counts(counted) == middle
