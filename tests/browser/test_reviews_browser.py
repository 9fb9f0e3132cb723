"""A person opens the revenue review in Chromium, changes the period, sees chart and table follow, downloads the CSV."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accord.kernel.store import Store
from accord.reviews.base import all_reviews
from web.conftest import PASSWORD, ROLE_EMAILS
from web.test_reviews_pages import plain_text, run_directly, served_demo

pytestmark = pytest.mark.browser
# A review runs on a machine other test runs share: give each change time to come back.
WAIT = 20_000
REVIEWS = all_reviews()
# Screenshots for a person to look at; outside the repository on purpose.
SHOTS = Path(tempfile.gettempdir()) / "accord-review-pages"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[tuple[str, Store]]:
    with served_demo(tmp_path_factory, "reviews-browser") as live:
        yield live.url, live.store


def log_in(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"{url}/login?next=/reviews")
    page.get_by_label("Email").fill(ROLE_EMAILS["owner"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}/reviews", timeout=WAIT)
    return page


def test_revenue_follows_the_period_and_downloads_its_csv(browser, app, tmp_path):
    url, store = app
    default = run_directly(store, "revenue", REVIEWS["revenue"].query_type())
    spring = REVIEWS["revenue"].query_type(from_on=date(2025, 3, 1), to_on=date(2025, 6, 1), by="month")
    narrowed = run_directly(store, "revenue", spring)
    assert (len(default.rows()), len(narrowed.rows())) == (16, 3)
    errors: list[str] = []

    page = log_in(browser, url)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.get_by_role("link", name=re.compile(r"^Revenue")).click()
    expect(page).to_have_url(f"{url}/reviews/revenue", timeout=WAIT)
    expect(page.locator("#review-table tbody tr")).to_have_count(len(default.rows()), timeout=WAIT)
    expect(page.locator(".chart svg")).to_have_count(len(default.charts()), timeout=WAIT)
    expect(page.locator("#review-notes li")).to_have_text(default.notes, timeout=WAIT)

    page.select_option("select[name=by]", "month")
    page.fill("input[name=from_on]", "2025-03-01")
    page.fill("input[name=to_on]", "2025-06-01")
    expect(page).to_have_url(re.compile(r"/reviews/revenue\?from_on=2025-03-01&to_on=2025-06-01&by=month"),
                             timeout=WAIT)
    expect(page.locator("#review-table tbody tr")).to_have_count(3, timeout=WAIT)
    expect(page.locator("#review-table tbody tr td:first-child")).to_have_text(
        [row["month"].isoformat() for row in narrowed.rows()], timeout=WAIT)
    expect(page.locator(".chart svg")).to_have_count(len(narrowed.charts()), timeout=WAIT)
    expect(page.locator("#review-notes li")).to_have_text(narrowed.notes, timeout=WAIT)
    # The monthly chart now draws three months of points: one per month and measure.
    expect(page.locator("#review-chart-2 svg path[aria-roledescription='point']")).to_have_count(9, timeout=WAIT)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "revenue.csv"
    download.value.save_as(saved)
    rows = narrowed.rows()
    columns = list(rows[0])
    with saved.open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [columns] + [[plain_text(r[c]) for c in columns] for r in rows]

    page.fill("input[name=to_on]", "2025-02-01")
    expect(page.locator("#review-error")).to_have_text(re.compile(r"To \(not included\): 2025-02-01 is not after"),
                                                       timeout=WAIT)
    assert errors == []
    page.close()


def test_every_review_page_draws_its_charts(browser, app):
    url, _ = app
    SHOTS.mkdir(exist_ok=True)
    page = log_in(browser, url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for name in REVIEWS:
        page.goto(f"{url}/reviews/{name}")
        charts = page.locator(".chart")
        expect(page.locator(".chart svg")).to_have_count(charts.count(), timeout=WAIT)
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    assert errors == []
    page.close()

