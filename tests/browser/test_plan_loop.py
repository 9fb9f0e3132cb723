"""In Chromium, on the demo business: marketing declares a persona, sets a goal, plans a campaign for both,
then closes a review cycle and finds what was learned recorded and the next cycle opened with it as its agenda."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accord.campaigns.models import Campaign
from accord.demo.models import DemoRun
from accord.personas.models import Persona
from accord.planning.models import Goal, ReviewCycle
from web.conftest import PASSWORD, ROLE_EMAILS, LiveApp
from web.test_reviews_pages import served_demo

pytestmark = pytest.mark.browser

LEARNED = "LinkedIn brought the office orders; Instagram brought questions, not buyers."
CHANGES = "Move R2,000 a month from Instagram to LinkedIn before the year-end functions."


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[LiveApp]:
    with served_demo(tmp_path_factory, "plan-browser") as live:
        yield live


def test_persona_goal_and_campaign_then_a_closed_cycle_opens_the_next(browser, demo, screenshot_dir):
    with demo.store.transaction() as session:
        anchor: date = session.scalar(select(DemoRun.anchor_on))
    month_end = anchor.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{demo.url}/login?next=/personas")
    page.get_by_label("Email").fill(ROLE_EMAILS["marketing"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # A declared persona: companies in Sandton or Rosebank that found the business on LinkedIn.
    page.locator('input[name="name"]').fill("Office planner")
    page.locator('input[name="description"]').fill("Office managers who book catering for their company")
    page.get_by_label("Attribute of condition 1").select_option("first_channel")
    page.get_by_label("Test of condition 1").select_option("in")
    page.get_by_label("Values of condition 1").fill("linkedin")
    page.get_by_role("button", name="Declare persona").click()
    expect(page).to_have_url(re.compile(r"/personas/\d+$"))
    expect(page.locator("h1")).to_contain_text("Office planner")

    # A goal and a campaign for that persona and goal, on the plan page.
    page.goto(f"{demo.url}/plan")
    goal_form = page.locator("#goal-form")
    goal_form.locator('input[name="name"]').fill("Office revenue this month")
    goal_form.locator('select[name="metric"]').select_option("revenue")
    goal_form.locator('input[name="target"]').fill("250000")
    goal_form.locator('input[name="currency"]').fill("ZAR")
    goal_form.locator('input[name="period_start"]').fill(month_start.isoformat())
    goal_form.locator('input[name="period_end"]').fill((month_end + timedelta(days=1)).isoformat())
    goal_form.get_by_role("button", name="Add goal").click()
    expect(page.locator("#goals")).to_contain_text("Office revenue this month")
    with demo.store.transaction() as session:
        goal_id = session.scalar(select(Goal.id).where(Goal.name == "Office revenue this month"))

    campaign_form = page.locator("#campaign-form")
    campaign_form.locator('input[name="name"]').fill("LinkedIn office lunches")
    campaign_form.locator('select[name="channel"]').select_option("linkedin")
    campaign_form.locator('input[name="starts_on"]').fill(month_start.isoformat())
    campaign_form.locator('input[name="ends_on"]').fill(month_end.isoformat())
    campaign_form.locator('input[name="budget"]').fill("8000.00")
    campaign_form.locator('input[name="currency"]').fill("ZAR")
    campaign_form.locator('select[name="persona_id"]').select_option(label="Office planner")
    campaign_form.locator('select[name="goal_id"]').select_option(str(goal_id))
    campaign_form.locator('textarea[name="ideas"]').fill("A free tasting platter for the first ten offices")
    campaign_form.get_by_role("button", name="Add campaign").click()
    page.goto(f"{demo.url}/plan")
    expect(page.locator("#campaigns")).to_contain_text("LinkedIn office lunches")

    with demo.store.transaction() as session:
        persona = session.scalars(select(Persona).where(Persona.name == "Office planner")).one()
        goal = session.scalars(select(Goal).where(Goal.name == "Office revenue this month")).one()
        campaign = session.scalars(select(Campaign).where(Campaign.name == "LinkedIn office lunches")).one()
        assert (persona.kind, goal.metric, goal.target, goal.currency) == ("declared", "revenue", 25_000_000, "ZAR")
        assert (campaign.persona_id, campaign.goal_id, campaign.budget_minor, campaign.currency, campaign.channel) == \
            (persona.id, goal.id, 800_000, "ZAR", "linkedin")

    # A review cycle over that month: open it, then close it with what was learned and what changes.
    cycle_form = page.locator("#cycle-form")
    cycle_form.locator('input[name="starts_on"]').fill(month_start.isoformat())
    cycle_form.locator('input[name="ends_on"]').fill(month_end.isoformat())
    cycle_form.get_by_role("button", name="Open review cycle").click()
    close_form = page.locator("#close-cycle-form").first
    expect(close_form).to_be_visible()
    close_form.locator('textarea[name="learned"]').fill(LEARNED)
    close_form.locator('textarea[name="changes"]').fill(CHANGES)
    close_form.get_by_role("button", name="Close cycle").click()

    expect(page).to_have_url(re.compile(r"/plan/cycles/\d+$"))
    expect(page.locator("#cycle-status")).to_have_text("closed")
    expect(page.locator("#learned")).to_have_text(LEARNED)
    expect(page.locator("#changes")).to_have_text(CHANGES)
    expect(page.locator("#snapshot-goals")).to_contain_text("Office revenue this month")
    expect(page.locator(f'#snapshot-campaigns tr[data-campaign-id="{campaign.id}"]')).to_contain_text("R8 000,00")
    page.screenshot(path=screenshot_dir / "plan-cycle-closed.png", full_page=True)

    page.locator("#next-cycle").click()
    expect(page.locator("#cycle-status")).to_have_text("open")
    expect(page.locator("#agenda")).to_have_text(CHANGES)
    page.screenshot(path=screenshot_dir / "plan-next-cycle.png", full_page=True)

    with demo.store.transaction() as session:
        closed, following = session.scalars(select(ReviewCycle).order_by(ReviewCycle.id)).all()[-2:]
    assert (closed.status, closed.learned, closed.changes, closed.starts_on, closed.ends_on) == \
        ("closed", LEARNED, CHANGES, month_start, month_end)
    assert (following.status, following.previous_cycle_id, following.starts_on) == \
        ("open", closed.id, month_end + timedelta(days=1))
