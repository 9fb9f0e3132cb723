"""On the demo business: its first review and competitors, and spent vs received exactly as the reviews show it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sqlalchemy import select

from accord.business.demo import DEMO_REVIEW
from accord.demo.models import DemoRun
from accord.kernel.money import Money
from accord.reviews.income import IncomeQuery
from accord.reviews.roi import RoiQuery
from web.conftest import LiveApp
from web.test_reviews_pages import run_directly, served_demo

JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
CARD = re.compile(r'<div class="card"><span class="label">(.*?)</span><span class="figure">(.*?)</span></div>')


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[LiveApp]:
    """The demo business served over HTTP, its warehouse synced."""
    with served_demo(tmp_path_factory, "business-demo") as live:
        yield live


def cards(page: str, start: str, end: str | None = None) -> list[tuple[str, str]]:
    part = page.split(start, 1)[1]
    part = part.split(end, 1)[0] if end else part
    return [(html.unescape(label), html.unescape(figure)) for label, figure in CARD.findall(part)]


def last_twelve_months() -> tuple[date, date]:
    tomorrow = datetime.now(JOHANNESBURG).date() + timedelta(days=1)
    return tomorrow.replace(year=tomorrow.year - 1), tomorrow


def test_the_figures_are_the_roi_and_income_reviews_figures_for_the_same_period(demo):
    to_on = datetime.now(JOHANNESBURG).date() + timedelta(days=1)
    from_on = to_on - timedelta(days=180)
    period = f"from_on={from_on}&to_on={to_on}"
    roi = run_directly(demo.store, "roi", RoiQuery(from_on=from_on, to_on=to_on))
    income = run_directly(demo.store, "income", IncomeQuery(from_on=from_on, to_on=to_on))
    with demo.login("viewer") as client:
        fragment = client.get(f"/business/energy?{period}", headers={"HX-Request": "true"})
        roi_page = client.get(f"/reviews/roi?{period}")

    assert fragment.status_code == 200 and roi_page.status_code == 200
    assert roi.spend_minor > 0 and roi.revenue_minor > 0 and income.totals.net_minor > 0
    spent_and_returned = cards(fragment.text, 'id="energy-roi"', 'id="energy-sales"')
    assert spent_and_returned == [
        ("Spend", Money(roi.spend_minor, "ZAR").format()),
        ("Revenue credited to spend", Money(roi.revenue_minor, "ZAR").format()),
        ("ROI", f"{roi.roi:,}"),
        ("ROAS", f"{roi.roas:,}"),
    ]
    roi_figures = cards(roi_page.text, 'id="review-figures"')
    assert spent_and_returned == [figure for figure in roi_figures if figure[0] in dict(spent_and_returned)]
    assert income.totals.spend_minor == roi.spend_minor
    assert cards(fragment.text, 'id="energy-sales"') == [
        ("Net revenue, all sales", Money(income.totals.net_minor, "ZAR").format()),
        ("Gross margin", Money(income.totals.margin_minor, "ZAR").format()),
        ("Left after marketing spend", Money(income.totals.margin_minor - roi.spend_minor, "ZAR").format()),
    ]
    assert f'<a href="/reviews/roi?{period.replace("&", "&amp;")}" id="energy-roi-link">' in fragment.text
    assert f'<a href="/reviews/income?{period.replace("&", "&amp;")}" id="energy-income-link">' in fragment.text


def test_by_default_the_page_and_the_api_cover_the_last_twelve_months(demo):
    from_on, to_on = last_twelve_months()
    roi = run_directly(demo.store, "roi", RoiQuery(from_on=from_on, to_on=to_on))
    income = run_directly(demo.store, "income", IncomeQuery(from_on=from_on, to_on=to_on))
    token = demo.api_token("sales")
    with demo.login("sales") as client:
        page = client.get("/business")
        fragment = client.get("/business/energy", headers={"HX-Request": "true"})
    with demo.client() as api:
        answer = api.get("/api/v1/business/energy", headers={"Authorization": f"Bearer {token}"})

    assert f'hx-get="/business/energy?from_on={from_on}&amp;to_on={to_on}"' in page.text
    last_day = to_on - timedelta(days=1)
    assert (f'<p class="muted" id="energy-period">{from_on.day} {from_on:%B %Y} to {last_day.day} '
            f'{last_day:%B %Y}</p>') in fragment.text
    assert answer.json() == {
        "from_on": from_on.isoformat(), "to_on": to_on.isoformat(), "currency": "ZAR",
        "spend_minor": roi.spend_minor, "revenue_minor": roi.revenue_minor, "roi": roi.roi, "roas": roi.roas,
        "net_minor": income.totals.net_minor, "margin_minor": income.totals.margin_minor,
        "contribution_minor": income.totals.contribution_minor,
        "notes": [*roi.notes, *(note for note in income.notes if note not in roi.notes)],
    }
    assert cards(fragment.text, 'id="energy-roi"', 'id="energy-sales"')[0] == (
        "Spend", Money(roi.spend_minor, "ZAR").format())


def test_the_demo_business_has_its_first_review_and_competitors(demo):
    with demo.store.transaction() as session:
        anchor_on = session.scalar(select(DemoRun.anchor_on))
    token = demo.api_token("viewer")
    with demo.client() as api:
        review = api.get("/api/v1/business", headers={"Authorization": f"Bearer {token}"}).json()
        rivals = api.get("/api/v1/business/competitors", headers={"Authorization": f"Bearer {token}"}).json()

    saved_at = datetime.combine(anchor_on - timedelta(days=30), datetime.min.time().replace(hour=9),
                                tzinfo=JOHANNESBURG)
    assert review == {"number": 1, "vision": DEMO_REVIEW.vision, "note": "the first review, from what the team knows",
                      "created_at": saved_at.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z"),
                      "created_by": "Pieter van Dyk", "entries": DEMO_REVIEW.entries}
    assert [(r["name"], r["scope"], r["website"], [(o["observed_on"], o["text"]) for o in r["observations"]])
            for r in rivals] == [
        ("Braai Masters Catering", "local", "https://braaimasters.example.co.za",
         [(str(anchor_on - timedelta(days=23)), "Year-end function packages from R250 a head")]),
        ("Mama Thandeka's Kitchen", "local", None,
         [(str(anchor_on - timedelta(days=9)), "Free delivery on orders over R500"),
          (str(anchor_on - timedelta(days=41)), "Launched R99 lunch boxes for offices")]),
        ("FreshBox Meal Kits", "international", "https://freshbox.example.com",
         [(str(anchor_on - timedelta(days=60)), "Skip-a-week button on every subscription")]),
    ]
