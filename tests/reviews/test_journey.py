"""Journey: the funnel, step times, time to close, paths and drop-offs of a hand-written cohort, and the filters."""

from __future__ import annotations

import json
import statistics
from datetime import date

import pandas as pd
import pytest

from accord.errors import Invalid
from accord.reviews.journey import STEPS, JourneyQuery, run
from stores import require_shared_data
from test_attribution import FAST_KINDS, MARCH, T0, Business
from warehouses import WAREHOUSE_PARAMS


@pytest.fixture(scope="module", params=FAST_KINDS)
def warehouse(request, tmp_path_factory):
    """The cohort's warehouse, built once per kind: the tests only read it."""
    return cohort().warehouse(request.param, tmp_path_factory.mktemp(request.param))


def cohort() -> Business:
    """Five contacts first touched in March 2024 (days after T0) and one first touched in February."""
    b = Business()
    autumn = b.campaign("Autumn", "facebook")
    home_cook, caterer = b.persona("Home cook"), b.persona("Caterer")
    # c1: instagram touch, an answered comment, then qualified → proof → won.
    b.touch(1, "instagram", 0)
    b.engage(1, "instagram", 1, answered=1.5)
    b.deal(1, ("new", 2), ("qualified", 3), ("proof", 5), ("won", 10))
    b.touch(1, "email", 11)  # after the win: not on the path to it
    # c2: facebook touch from the campaign, an unanswered comment, an outbound message, qualified, then lost.
    b.touch(2, "facebook", 2, autumn)
    b.engage(2, "facebook", 4)
    b.message(2, 6)
    b.message(2, 5, direction="inbound")
    b.deal(2, ("new", 6), ("qualified", 8), ("lost", 12))
    # c3: first seen through an engagement (so engaged at once), answered a day later; then a website touch.
    b.engage(3, "email", 3, answered=4)
    b.touch(3, "website", 5)
    # c4: three touches, no engagement, a deal won straight away on day 20 (every step reached then).
    b.touch(4, "instagram", 4, autumn)
    b.touch(4, "email", 5)
    b.touch(4, "instagram", 6)
    b.deal(4, ("won", 20))
    # c5: first touched in February, engaged in March.
    b.touch(5, "facebook", -10)
    b.engage(5, "facebook", 2)
    # c6: a touch and only a spam comment.
    b.touch(6, "facebook", 1)
    b.engage(6, "facebook", 2, spam=True, answered=3)
    b.fit(home_cook, 1, 0.9)
    b.fit(caterer, 1, 0.2)
    b.fit(caterer, 2, 0.8)
    b.fit(home_cook, 2, 0.3)
    return b


def p90(values: list[float]) -> float:
    """Linear interpolation between order statistics, as percentile_cont does."""
    ordered = sorted(values)
    position = 0.9 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_the_funnel_of_the_hand_written_cohort(warehouse):
    result = run(warehouse, JourneyQuery(**MARCH))

    # Step times per contact (days after T0): c1 0, 1, 1.5, 3, 5, 10; c2 2, 4, 6, 8; c3 3, 3, 4; c4 4, then 20
    # for every later step; c6 1.
    waits = {
        "engaged": [1, 2, 0, 16], "contacted": [0.5, 2, 1, 0], "qualified": [1.5, 2, 0], "proof": [2, 0],
        "won": [5, 0],
    }
    counts = {"first_touch": 5, "engaged": 4, "contacted": 4, "qualified": 3, "proof": 2, "won": 2}
    expected_rows = []
    previous = None
    stopped = {"first_touch": 1, "engaged": 0, "contacted": 1, "qualified": 1, "proof": 0, "won": 2}
    for step in STEPS:
        expected_rows.append({
            "step": step, "contacts": counts[step],
            "conversion": round(counts[step] / previous, 4) if previous else None,
            "median_days": round(statistics.median(waits[step]), 2) if step in waits else None,
            "stopped_here": stopped[step],
        })
        previous = counts[step]
    assert result.rows() == expected_rows
    assert (result.contacts, result.won) == (5, 2)
    assert result.time_to_close_median_days == statistics.median([10, 16])
    assert result.time_to_close_p90_days == round(p90([10, 16]), 2)
    assert [(d.step, d.contacts, d.share) for d in result.drop_offs] == [
        (s, stopped[s], round(stopped[s] / 5, 4)) for s in STEPS]
    assert [(p.path, p.contacts, p.won, p.conversion) for p in result.top_paths] == [
        ("facebook", 2, 0, 0.0), ("email > website", 1, 0, 0.0), ("instagram", 1, 1, 1.0),
        ("instagram > email > instagram", 1, 1, 1.0)]
    json.dumps({"rows": result.rows(), "charts": result.charts()}, allow_nan=False)


@pytest.mark.parametrize(("filters", "counts"), [
    ({"channel": "facebook"}, [2, 1, 1, 1, 0, 0]),
    ({"persona": "Home cook"}, [1, 1, 1, 1, 1, 1]),
    ({"persona": "Caterer"}, [1, 1, 1, 1, 0, 0]),
    ({"campaign": "Autumn"}, [2, 2, 2, 2, 1, 1]),
    ({"channel": "instagram", "campaign": "Autumn"}, [1, 1, 1, 1, 1, 1]),
])
def test_filters(warehouse, filters, counts):
    result = run(warehouse, JourneyQuery(**MARCH, **filters))

    assert [s.contacts for s in result.steps] == counts


def test_top_paths_cut_ties_alphabetically(warehouse):
    result = run(warehouse, JourneyQuery(**MARCH, top=2))

    assert [(p.path, p.contacts) for p in result.top_paths] == [("facebook", 2), ("email > website", 1)]


def test_a_period_follows_its_cohort_only_to_its_end(warehouse):
    result = run(warehouse, JourneyQuery(from_on=date(2024, 2, 1), to_on=date(2024, 3, 1)))

    # Only c5 was first touched in February; its March comment is after the period.
    assert [s.contacts for s in result.steps] == [1, 0, 0, 0, 0, 0]
    assert [(p.path, p.contacts) for p in result.top_paths] == [("facebook", 1)]
    assert result.time_to_close_median_days is None
    assert any("No contact of this cohort has a won deal" in n for n in result.notes)


def test_an_empty_cohort_explains_itself(warehouse):
    result = run(warehouse, JourneyQuery(from_on=date(2025, 1, 1), to_on=date(2025, 2, 1)))

    assert result.contacts == 0 and result.top_paths == [] and result.drop_offs == [] and result.charts() == []
    assert [s.conversion for s in result.steps] == [None] * len(STEPS)
    assert any("Nobody was first touched" in n for n in result.notes)


def test_unknown_names_are_refused(warehouse):
    with pytest.raises(Invalid) as persona:
        run(warehouse, JourneyQuery(persona="Nobody"))
    with pytest.raises(Invalid) as campaign:
        run(warehouse, JourneyQuery(campaign="Winter"))
    with pytest.raises(Invalid) as channel:
        JourneyQuery(channel="myspace")

    assert (persona.value.field, campaign.value.field, channel.value.field) == ("persona", "campaign", "channel")
    assert "there are: Caterer, Home cook" in persona.value.reason


@pytest.mark.parametrize("other", WAREHOUSE_PARAMS)
def test_same_result_on_every_warehouse(other, tmp_path):
    query = JourneyQuery(**MARCH)
    expected = run(cohort().warehouse("duckdb", tmp_path), query)

    result = run(cohort().warehouse(other, tmp_path), query)

    assert result.model_dump() == expected.model_dump()


# Olist's lead origins as Accord channels (search and direct traffic land on the website).
OLIST_CHANNEL = {"organic_search": "website", "paid_search": "website", "direct_traffic": "website", "email": "email",
                 "referral": "referral"}


@pytest.mark.realdata
def test_time_to_close_of_the_olist_marketing_funnel(tmp_path):
    folder = require_shared_data("olist-marketing-funnel")
    leads = pd.read_csv(folder / "olist_marketing_qualified_leads_dataset.csv")
    deals = pd.read_csv(folder / "olist_closed_deals_dataset.csv")
    b = Business()
    contact_of = {}
    for number, lead in enumerate(leads.itertuples(), 1):
        contact_of[lead.mql_id] = number
        b.touch(number, OLIST_CHANNEL.get(lead.origin, "other"),
                (pd.Timestamp(lead.first_contact_date, tz="UTC") - pd.Timestamp(T0)).total_seconds() / 86_400)
    for deal in deals.itertuples():
        b.deal(contact_of[deal.mql_id],
               ("won", (pd.Timestamp(deal.won_date, tz="UTC") - pd.Timestamp(T0)).total_seconds() / 86_400))

    result = run(b.warehouse("duckdb", tmp_path), JourneyQuery(from_on=date(2017, 1, 1), to_on=date(2019, 1, 1)))

    # Independently, with pandas: days from first contact to the win (one deal was won a day before its lead's
    # first contact; a step never takes negative time, so it counts as 0).
    won = deals.merge(leads, on="mql_id")
    days = ((pd.to_datetime(won.won_date) - pd.to_datetime(won.first_contact_date)).dt.total_seconds() / 86_400).clip(0)
    assert (result.contacts, result.won) == (8000, 842)
    assert [s.contacts for s in result.steps] == [8000, 842, 842, 842, 842, 842]
    assert result.time_to_close_median_days == round(days.median(), 2)
    assert result.time_to_close_p90_days == round(days.quantile(0.9), 2)
    channels = leads.origin.map(OLIST_CHANNEL).fillna("other")
    won_by_channel = won.origin.map(OLIST_CHANNEL).fillna("other").value_counts()
    assert [(p.path, p.contacts, p.won) for p in result.top_paths] == [
        (channel, int(n), int(won_by_channel.get(channel, 0))) for channel, n in channels.value_counts().items()]
