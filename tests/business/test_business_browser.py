"""In Chromium, on the demo business: read its review and spent vs received, rework it, see what changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from accord.business.demo import DEMO_REVIEW
from accord.kernel.money import Money
from accord.reviews.roi import RoiQuery
from web.conftest import PASSWORD, ROLE_EMAILS, LiveApp
from web.test_reviews_pages import run_directly, served_demo

pytestmark = pytest.mark.browser
JOHANNESBURG = ZoneInfo("Africa/Johannesburg")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[LiveApp]:
    with served_demo(tmp_path_factory, "business-browser") as live:
        yield live


def test_marketing_reworks_the_review_sees_the_figures_and_what_changed(browser, demo, screenshot_dir):
    tomorrow = datetime.now(JOHANNESBURG).date() + timedelta(days=1)
    roi = run_directly(demo.store, "roi", RoiQuery(from_on=tomorrow.replace(year=tomorrow.year - 1), to_on=tomorrow))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{demo.url}/login?next=/business")
    page.get_by_label("Email").fill(ROLE_EMAILS["marketing"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#version-line")).to_contain_text("Version 1, saved")
    expect(page.locator("#kind-need li")).to_have_text(DEMO_REVIEW.entries["need"])
    # The figures arrive after the page, from the ROI review.
    expect(page.locator("#energy-roi .card").first).to_have_text(
        re.compile(r"Spend\s*" + re.escape(Money(roi.spend_minor, "ZAR").format())))
    page.screenshot(path=screenshot_dir / "business-demo.png", full_page=True)

    page.get_by_text("Edit and save a new version").click()
    needs = page.locator('textarea[name="need"]')
    expect(needs).to_have_value("\n".join(DEMO_REVIEW.entries["need"]))
    needs.fill("Vegetarian menu\n" + needs.input_value().replace("before lunch", "before 11:00"))
    page.get_by_label("Why this version").fill("after the March review")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator("#saved")).to_have_text("Version 2 saved.")
    page.get_by_role("link", name="What changed since version 1").click()
    expect(page.locator("#diff-need li.added")).to_have_text(["+Vegetarian menu"])
    expect(page.locator("#diff-need li.changed")).to_have_text(
        ["Delivery before lunch in Sandton and Rosebank → Delivery before 11:00 in Sandton and Rosebank"])
    expect(page.locator("#diff-opportunity")).to_contain_text("Kept (3)")
    page.screenshot(path=screenshot_dir / "business-diff.png", full_page=True)

    page.get_by_role("link", name="Business review").click()
    page.get_by_text("Watch another competitor").click()
    form = page.locator("#competitor-form form")
    form.get_by_label("Name").fill("Soweto Soul Food")
    form.get_by_label("Website").fill("sowetosoul.example.co.za")
    form.get_by_role("button", name="Add competitor").click()
    rival = page.locator("#competitors-local article", has_text="Soweto Soul Food")
    rival.get_by_text("Add what you saw").click()
    rival.get_by_label("What they did").fill("R99 lunch boxes")
    rival.get_by_role("button", name="Record").click()
    expect(page.locator("#competitors-local article", has_text="Soweto Soul Food").locator(".observations li")
           ).to_have_text([re.compile(r"\d\d \w{3} \d{4}R99 lunch boxes")])
    page.screenshot(path=screenshot_dir / "business-competitors.png", full_page=True)
