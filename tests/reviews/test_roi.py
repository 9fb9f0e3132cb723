"""Marketing ROI: spend in base currency against attributed revenue and customers, worked out by hand."""

from __future__ import annotations

import json
from datetime import date

import pytest

from accord.reviews.base import get_review
from accord.reviews.forms import query_fields
from accord.reviews.roi import RoiQuery, run
from test_attribution import FAST_KINDS, MARCH, Business
from warehouses import WAREHOUSE_PARAMS

DAYS_A_MONTH = 365.25 / 12


def business() -> Business:
    """Three campaigns' March 2024 spend and four customers' journeys (days after 1 March)."""
    b = Business()
    b.rate("USD", date(2024, 1, 1), "18.5")
    spring, brunch = b.campaign("Spring menu", "instagram"), b.campaign("Brunch club", "email")
    billboard = b.campaign("Billboard", "other")
    b.spend(spring, date(2024, 3, 2), 50000)
    b.spend(spring, date(2024, 3, 3), 1000, "USD")        # 10.00 USD × 18.5 = R185.00
    b.spend(spring, date(2024, 2, 28), 99999)             # before the period
    b.spend(brunch, date(2024, 3, 4), 20000)
    b.spend(brunch, date(2024, 3, 5), 500, "EUR")         # no EUR rate: left out, with a note
    b.spend(billboard, date(2024, 3, 6), 10000)
    b.touch(1, "instagram", 1, spring)
    b.touch(1, "email", 2, brunch)
    b.order(1, 3, (1, 100000, 60000))                     # first order: margin 40000
    b.touch(2, "instagram", 4, spring)
    b.order(2, 5, (2, 30000, 10000))                      # first order: margin 40000
    b.order(3, -40, (1, 10000, 5000))                     # c3 was already a customer
    b.touch(3, "email", 6, brunch)
    b.order(3, 7, (1, 50000, None))                       # no unit cost: no margin counted
    b.engage(4, "facebook", 8)
    b.order(4, 9, (1, 20000, 15000))                      # first order: margin 5000
    return b


@pytest.fixture(scope="module", params=FAST_KINDS)
def warehouse(request, tmp_path_factory):
    """The business's warehouse, built once per kind: the tests only read it."""
    return business().warehouse(request.param, tmp_path_factory.mktemp(request.param))


def expected_line(name, spend, revenue, new, monthly_margin):
    cac = round(spend / new) if spend and new else None
    return {
        "name": name, "spend_minor": spend, "revenue_minor": revenue, "new_customers": pytest.approx(new, abs=1e-9),
        "roi": round((revenue - spend) / spend, 4) if spend else None,
        "roas": round(revenue / spend, 4) if spend else None,
        "cac_minor": cac, "payback_months": round(cac / monthly_margin, 2) if cac else None,
    }


MONTHLY_MARGIN = round((40000 + 40000 + 0 + 5000) / 4 / (31 / DAYS_A_MONTH))


def test_roi_per_campaign_with_the_linear_model(warehouse):
    result = run(warehouse, RoiQuery(**MARCH))

    # Linear: c1's R1000 splits between Spring and Brunch; c2's R600 is Spring's; c3's R500 Brunch's; c4's R200
    # has no campaign. New customers: c1 (half each), c2 (Spring), c4 (none); c3 is a repeat.
    assert [line.model_dump() for line in result.lines] == [
        expected_line("(no campaign)", 0, 20000, 1, MONTHLY_MARGIN),
        expected_line("Billboard", 10000, 0, 0, MONTHLY_MARGIN),
        expected_line("Brunch club", 20000, 50000 + 50000, 0.5, MONTHLY_MARGIN),
        expected_line("Spring menu", 50000 + 18500, 50000 + 60000, 1.5, MONTHLY_MARGIN),
    ]
    # The headline counts revenue credited to campaigns with spend; "(no campaign)" stays out.
    assert (result.spend_minor, result.revenue_minor, result.customers) == (98500, 210000, 4)
    assert result.monthly_margin_minor == MONTHLY_MARGIN
    assert (result.roi, result.roas) == (round((210000 - 98500) / 98500, 4), round(210000 / 98500, 4))
    notes = " ".join(result.notes)
    assert "5.00 EUR in 1 row" in notes and "10.00 USD" in notes
    assert "1 order lines have no unit cost" in notes
    assert "Revenue without recorded spend (ROI left empty): (no campaign)." in notes
    json.dumps({"rows": result.rows(), "charts": result.charts()}, allow_nan=False)


def test_roi_per_channel_with_first_touch(warehouse):
    result = run(warehouse, RoiQuery(**MARCH, by="channel", model="first_touch"))

    # Spend follows the campaign's channel; revenue the channel of the journey's first event.
    assert [line.model_dump() for line in result.lines] == [
        expected_line("email", 20000, 50000, 0, MONTHLY_MARGIN),
        expected_line("facebook", 0, 20000, 1, MONTHLY_MARGIN),
        expected_line("instagram", 68500, 100000 + 60000, 2, MONTHLY_MARGIN),
        expected_line("other", 10000, 0, 0, MONTHLY_MARGIN),
    ]
    assert result.rows()[2] == {
        "channel": "instagram", "spend_minor": 68500, "revenue_minor": 160000, "roi": round(91500 / 68500, 4),
        "roas": round(160000 / 68500, 4), "new_customers": 2.0, "cac_minor": 34250,
        "payback_months": round(34250 / MONTHLY_MARGIN, 2), "currency": "ZAR"}


@pytest.mark.parametrize("kind", FAST_KINDS)
def test_zero_spend_and_no_customers(kind, tmp_path):
    b = Business()
    b.spend(b.campaign("Free posts", "instagram"), date(2024, 3, 2), 0)
    b.touch(1, "instagram", 1)

    result = run(b.warehouse(kind, tmp_path), RoiQuery(**MARCH))

    assert [line.model_dump() for line in result.lines] == [
        {"name": "Free posts", "spend_minor": 0, "revenue_minor": 0, "new_customers": 0.0, "roi": None,
         "roas": None, "cac_minor": None, "payback_months": None}]
    assert (result.roi, result.roas, result.monthly_margin_minor, result.customers) == (None, None, None, 0)
    notes = " ".join(result.notes)
    assert "No spend was recorded in the period" in notes
    assert "No paying customer in the period" in notes
    json.dumps({"rows": result.rows(), "charts": result.charts()}, allow_nan=False)


def test_the_model_is_a_choice_of_the_attribution_models():
    review = get_review("roi")
    fields = {f.name: f for f in query_fields(review.query_type)}

    assert fields["model"].choices == ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped",
                                       "time_decay", "markov", "shapley")
    assert fields["model"].default == "linear"


@pytest.mark.parametrize("other", WAREHOUSE_PARAMS)
def test_same_result_on_every_warehouse(other, tmp_path):
    query = RoiQuery(**MARCH, model="markov")
    expected = run(business().warehouse("duckdb", tmp_path), query)

    result = run(business().warehouse(other, tmp_path), query)

    assert result.rows() == expected.rows()
    assert result.notes == expected.notes
