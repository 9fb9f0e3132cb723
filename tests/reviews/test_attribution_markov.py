"""The Markov model alone, counted in the engine without paths: the same credits as the review's Markov, exactly."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import ibis
import numpy as np
import pyarrow as pa
import pytest

from accord.reviews.attribution import (
    MEASURES, AttributionQuery, attribute, attribute_markov, whole_seconds, whole_units,
)
from test_attribution import FAST_KINDS, HAND_WORKED_PATHS, MARCH, Business, credits, hand_worked
from test_markov import reference
from warehouses import WAREHOUSE_PARAMS, built_once

CHANNELS = ["email", "instagram", "website", "facebook", "whatsapp", "x"]


def awkward() -> Business:
    """A business with every journey rule at work, drawn at random (whole seconds, so engines round alike).

    Several orders a contact, two orders at one instant, events at an order's instant, refunds, orders in USD,
    orders without a touch, spam, anonymous visitors, campaigns, and events on both sides of the lookback.
    """
    rng = random.Random(5)
    b = Business()
    b.rate("USD", date(2023, 1, 1), "18.25")
    campaigns = [b.campaign(name, channel) for name, channel in [("Spring", "instagram"), ("Brunch", "email"),
                                                                 ("Launch", "facebook")]]

    def day() -> float:
        return rng.randint(-150 * 86_400, 40 * 86_400) / 86_400

    for contact in range(1, 61):
        moments = sorted(day() for _ in range(rng.randint(0, 9)))
        for at in moments:
            channel, campaign = rng.choice(CHANNELS), rng.choice([None, *campaigns])
            if rng.random() < 0.3:
                b.engage(contact, channel, at, campaign, spam=rng.random() < 0.1)
            else:
                b.touch(contact, channel, at, campaign)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            # Half the orders land on an event's instant, where the event belongs to the next journey.
            at = rng.choice(moments) if moments and rng.random() < 0.5 else day()
            currency = "USD" if rng.random() < 0.2 else "ZAR"
            b.order(contact, at, (rng.randint(1, 3), rng.randint(500, 90_000), None), currency=currency)
            if rng.random() < 0.15:
                b.order(contact, at, (1, rng.randint(500, 9_000), None))  # a second order at the same instant
            if rng.random() < 0.1:
                b.order(contact, at + 1, (-1, 500, None))  # a refund is no conversion
    b.touch(None, "website", 3)
    # The lookback's edge: 90 days before the order exactly counts, a second more does not.
    b.touch(70, "x", 10 - 90)
    b.touch(70, "email", 10 - 90 - 1 / 86_400)
    b.touch(70, "whatsapp", 5)
    b.order(70, 10, (1, 12_345, None))
    return b


QUERIES = [
    AttributionQuery(**MARCH),
    AttributionQuery(**MARCH, markov_order=2),
    AttributionQuery(**MARCH, markov_order=3, lookback_days=20),
    AttributionQuery(markov_order=2),
    AttributionQuery(from_on=date(2024, 2, 1)),
    AttributionQuery(to_on=date(2024, 3, 20), lookback_days=7),
    AttributionQuery(**MARCH, by="campaign", markov_order=2),
    AttributionQuery(**MARCH, include_engagements=False),
]


@pytest.fixture(scope="module")
def awkward_warehouse(tmp_path_factory):
    return built_once(lambda: awkward().tables(), tmp_path_factory)


def assert_same_markov(alone, result) -> None:
    """The Markov model alone gives exactly what the review's Markov gives."""
    assert alone.labels == tuple(c.label for c in result.credits)
    assert alone.journeys == result.journeys
    assert alone.totals.tolist() == [result.conversions, result.value_minor, result.new_customers]
    assert {label: round(float(e), 6) for label, e in zip(alone.labels, alone.removal_effects)} == (
        result.removal_effects or {label: 0.0 for label in alone.labels})
    assert round(alone.conversion_probability, 6) == result.conversion_probability
    for k, measure in enumerate(MEASURES):
        review = [getattr(c, measure)["markov"] for c in result.credits]
        mine = alone.credits[:, k].tolist()
        if measure == "value":
            mine = whole_units(alone.credits[:, k], result.value_minor)
        assert mine == review, measure


@pytest.mark.parametrize("kind", FAST_KINDS)
@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_markov_alone_equals_the_reviews_markov(awkward_warehouse, kind, query):
    warehouse = awkward_warehouse(kind)

    alone = attribute_markov(warehouse, query)

    result = attribute(warehouse, query)
    assert result.conversions > 0 and len(alone.labels) >= 3  # the business gives the chain something to learn
    assert_same_markov(alone, result)


def test_the_awkward_business_is_awkward():
    # The cases the journeys' rules exist for really happen in it; otherwise the equality above proves less.
    rows = awkward().rows
    orders = rows["sales_order"]
    instants = [(o["contact_id"], o["ordered_at"]) for o in orders]
    events = {(e["contact_id"], e["occurred_at"]) for e in rows["touch"] + rows["engagement"]}
    assert len(instants) - len(set(instants)) >= 3  # two orders of a contact at one instant
    assert len(events & set(instants)) >= 10  # an event at its order's instant
    assert sum(line["quantity"] < 0 for line in rows["order_line"]) >= 3  # refunds
    assert sum(o["currency"] == "USD" for o in orders) >= 10
    assert sum(e["is_spam"] for e in rows["engagement"]) >= 3
    assert sum(e["campaign_id"] is not None for e in rows["touch"]) >= 50
    assert len({o["contact_id"] for o in orders if sum(p["contact_id"] == o["contact_id"] for p in orders) > 1}) >= 10


@pytest.mark.parametrize("kind", FAST_KINDS)
def test_the_lookback_edge_is_the_same_second_for_both(kind, tmp_path):
    b = Business()
    b.touch(1, "email", 10 - 90 - 1 / 86_400)  # 90 days and a second before the order: too early
    b.touch(1, "x", 10 - 90)  # exactly 90 days before: counts
    b.touch(1, "whatsapp", 5)
    b.order(1, 10, (1, 12_345, None))
    b.touch(2, "email", 1)
    warehouse = b.warehouse(kind, tmp_path)
    query = AttributionQuery(from_on=date(2024, 3, 1), to_on=date(2024, 4, 1))

    alone, result = attribute_markov(warehouse, query), attribute(warehouse, query)

    assert credits(result)["first_touch"] == {"email": 0.0, "whatsapp": 0.0, "x": 1.0}
    assert (alone.labels, alone.journeys, alone.totals.tolist()) == (("email", "whatsapp", "x"), 2, [1, 12_345, 1])
    assert_same_markov(alone, result)


@pytest.mark.parametrize("kind", FAST_KINDS)
@pytest.mark.parametrize("order", [1, 2])
def test_markov_alone_follows_the_exact_chain(kind, tmp_path, order):
    alone = attribute_markov(hand_worked().warehouse(kind, tmp_path), AttributionQuery(**MARCH, markov_order=order))

    full, effects = reference(HAND_WORKED_PATHS, order)
    labels = sorted(effects)
    assert alone.labels == tuple(labels)
    assert alone.conversion_probability == pytest.approx(float(full[0]), abs=1e-12)
    assert alone.removal_effects.tolist() == pytest.approx([float(effects[c][0]) for c in labels], abs=1e-12)
    totals = [sum(m[k] for _, _, m in HAND_WORKED_PATHS) for k in range(3)]
    assert alone.totals.tolist() == totals
    for k in range(3):
        shares = [float(effects[c][k] / sum(e[k] for e in effects.values())) for c in labels]
        assert alone.credits[:, k].tolist() == pytest.approx([totals[k] * s for s in shares], abs=1e-9)


@pytest.mark.parametrize("kind", FAST_KINDS)
def test_markov_alone_without_conversions_or_events(kind, tmp_path):
    b = Business()
    b.touch(1, "email", 1)
    b.engage(1, "instagram", 2)
    b.order(1, 3, (-1, 5000, 1000))
    b.order(2, 4, (1, 700, 100))  # an order without a touch

    refunded = attribute_markov(b.warehouse(kind, tmp_path), AttributionQuery(**MARCH))
    empty = attribute_markov(Business().warehouse(kind, tmp_path), AttributionQuery(**MARCH))

    assert (refunded.labels, refunded.journeys, refunded.totals.tolist()) == (("email", "instagram"), 1, [0, 0, 0])
    assert refunded.credits.tolist() == [[0.0] * 3] * 2 and refunded.conversion_probability == 0.0
    assert (empty.labels, empty.journeys, empty.totals.tolist(), empty.credits.shape) == ((), 0, [0, 0, 0], (0, 3))


@pytest.mark.parametrize("other", [p for p in WAREHOUSE_PARAMS if p.values[0] == "spark"])
def test_markov_alone_on_spark(awkward_warehouse, other):
    query = AttributionQuery(**MARCH, markov_order=2, lookback_days=30)

    alone = attribute_markov(awkward_warehouse(other), query)

    assert_same_markov(alone, attribute(awkward_warehouse("duckdb"), query))


def test_whole_seconds_on_duckdb_are_ibis_epoch_seconds():
    # DuckDB reads seconds straight from the instant; Ibis's own expression goes through a local timestamp.
    rng = random.Random(3)
    moments = [datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC), datetime(2024, 3, 31, 1, 0, 0, 500_000,
                                                                                   tzinfo=UTC)]
    moments += [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randint(-10 ** 15, 10 ** 15))
                for _ in range(2000)]
    moments += [m + timedelta(microseconds=d) for m in moments[:50] for d in (-1, 1, 499_999, 500_001)]
    con = ibis.duckdb.connect()
    table = con.create_table("moments", pa.table({"at": pa.array(moments, pa.timestamp("us", tz="UTC"))}))

    got = table.select(fast=whole_seconds(con, table.at), ibis=table.at.epoch_seconds().cast("int64")).to_pyarrow()

    assert got["fast"].to_pylist() == got["ibis"].to_pylist()
    assert np.unique(got["fast"].to_numpy()).size > 1900
