"""The dashboard's numbers equal an independent count of the store, on the page and through the API."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

import factories
from accord.kernel.clock import month_bounds, utcnow, zone
from accord.overview import dashboard


@pytest.fixture(scope="module")
def stocked(live):
    """Contacts in several stages, open and closed deals, this month's and last month's orders, engagements."""
    now = utcnow()
    start, _ = month_bounds(now, zone("Africa/Johannesburg"))
    with live.store.transaction() as session:
        people = [factories.contact(session, name=f"Person {i}", stage=stage)
                  for i, stage in enumerate(["engager"] * 3 + ["lead"] * 2 + ["customer", "ambassador"])]
        factories.deal(session, people[0], stage="qualified", value=250_000)
        factories.deal(session, people[1], stage="proposal", value=1_000_000)
        factories.deal(session, people[2], stage="won", value=999_999)
        factories.deal(session, people[3], stage="closing", value=10_000, currency="USD")
        factories.rate(session, "USD", date(2020, 1, 1), "18.25")
        factories.order(session, people[5], at=start + timedelta(hours=1), lines=[(2, 45_000), (1, 12_550)])
        factories.order(session, people[5], at=start + timedelta(hours=2), lines=[(-1, 12_550)])
        factories.order(session, people[6], at=start + timedelta(hours=3), lines=[(3, 1_000)], currency="USD")
        factories.order(session, people[6], at=start - timedelta(seconds=1), lines=[(5, 99_999)])
        factories.engagement(session, people[0], at=now - timedelta(hours=3))
        factories.engagement(session, people[1], at=now - timedelta(hours=2), answered=now)
        factories.engagement(session, people[2], at=now - timedelta(hours=1), spam=True)
        factories.engagement(session, people[3], at=now - timedelta(minutes=5))
    return now


def independent_numbers(store, now: datetime) -> dict:
    """The dashboard's figures, computed with plain SQL apart from the code under test."""
    start, end = month_bounds(now, zone("Africa/Johannesburg"))
    with store.engine.connect() as conn:
        stages = dict(conn.execute(text("SELECT lifecycle_stage, count(*) FROM contact GROUP BY 1")).all())
        deals = conn.execute(text(
            "SELECT currency, count(*), sum(value_minor) FROM deal "
            "WHERE stage IN ('new','qualified','proof','proposal','closing') GROUP BY currency")).all()
        revenue = dict(conn.execute(text(
            "SELECT o.currency, sum(l.quantity * l.unit_price_minor) FROM sales_order o "
            "JOIN order_line l ON l.order_id = o.id WHERE o.ordered_at >= :s AND o.ordered_at < :e GROUP BY 1"),
            {"s": start, "e": end}).all())
        waiting = conn.scalar(text("SELECT count(*) FROM engagement WHERE answered_at IS NULL AND NOT is_spam"))
    return {"stages": stages, "deals": deals, "revenue": revenue, "waiting": waiting}


def test_independent_figures_are_what_the_fixture_wrote(live, stocked):
    figures = independent_numbers(live.store, stocked)
    assert figures["stages"] == {"engager": 3, "lead": 2, "customer": 1, "ambassador": 1}
    assert sorted(figures["deals"]) == [("USD", 1, 10_000), ("ZAR", 2, 1_250_000)]
    assert figures["revenue"] == {"ZAR": 90_000, "USD": 3_000}
    assert figures["waiting"] == 2


def test_dashboard_read_model_matches_the_store(live, stocked):
    with live.store.transaction() as session:
        board = dashboard(session, now=stocked)
    assert board.contacts_by_stage == {"follower": 0, "engager": 3, "lead": 2, "opportunity": 0,
                                       "customer": 1, "ambassador": 1}
    assert board.open_deal_count == 3
    # 1 250 000 ZAR cents + 100.00 USD at 18.25 = 182 500 cents
    assert board.open_deal_value.total.minor == 1_432_500
    assert board.month_revenue.total.minor == 90_000 + 54_750
    assert board.month_revenue.note == f"USD converted to ZAR at rates of {stocked.astimezone(zone('Africa/Johannesburg')).date()}"
    assert board.waiting_engagements == 2


def test_dashboard_page_shows_the_numbers(live, stocked):
    with live.login("viewer") as client:
        page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'id="waiting-engagements">2<', html)
    assert re.search(r'id="open-deal-count">3<', html)
    assert "worth R14\u00a0325,00" in html
    assert "R1\u00a0447,50" in html
    for stage, count in {"engager": 3, "lead": 2, "customer": 1, "ambassador": 1, "follower": 0}.items():
        assert f'<td data-stage="{stage}"><a href="/contacts?stage={stage}">{count}</a></td>' in html


def test_dashboard_api_gives_the_same_numbers(live, stocked):
    with live.login("marketing") as client:
        created = client.get("/settings")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', created.text).group(1)
        token_page = client.post("/settings/tokens", data={"name": "dashboard probe", "csrf_token": csrf})
        secret = re.search(r'<code id="new-token">([^<]+)</code>', token_page.text).group(1)
    with live.client() as api:
        body = api.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {secret}"}).json()
    local = utcnow().astimezone(zone("Africa/Johannesburg"))
    assert body == {
        "workspace_name": "Test Kitchen",
        "contacts_by_stage": {"follower": 0, "engager": 3, "lead": 2, "opportunity": 0, "customer": 1,
                              "ambassador": 1},
        "open_deal_count": 3,
        "open_deal_value": {"minor": 1_432_500, "currency": "ZAR",
                            "note": f"USD converted to ZAR at rates of {local.date()}"},
        "month": local.strftime("%B %Y"),
        "month_revenue": {"minor": 144_750, "currency": "ZAR",
                          "note": f"USD converted to ZAR at rates of {local.date()}"},
        "waiting_engagements": 2,
    }


def test_a_currency_without_a_rate_is_reported_not_hidden(live, stocked):
    with live.store.transaction() as session:
        who = factories.contact(session, name="Visitor")
        factories.deal(session, who, stage="new", value=5_000, currency="EUR")
        board = dashboard(session, now=stocked)
        assert board.open_deal_value.total.minor == 1_432_500
        assert board.open_deal_value.unconverted == {"EUR": 5_000}
        assert board.open_deal_value.note.endswith("not included, no rate: 50.00 EUR")
        session.rollback()
