"""A person logs in with Chromium and sees the dashboard's real numbers, then finds a contact."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

import factories
from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.kernel.audit import SYSTEM
from accord.kernel.clock import month_bounds, utcnow, zone
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from stores import settings_for
from web.conftest import serve

pytestmark = pytest.mark.browser
PASSWORD = "a long browser password"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[tuple[str, Store]]:
    """A served app over a SQLite store with an owner and a little business."""
    store = Store.open(settings_for("sqlite", tmp_path_factory.mktemp("browser")), upgrade=True)
    now = utcnow()
    start, _ = month_bounds(now, zone("Africa/Johannesburg"))
    with store.transaction() as session:
        ensure_workspace(session, name="Browser Bakery")
        accounts.create_user(session, UserIn(email="owner@bakery.example", name="Ayanda", role="owner",
                                             password=PASSWORD), actor=SYSTEM)
        lerato = factories.contact(session, name="Lerato Dlamini", stage="lead", email="lerato@example.com")
        sipho = factories.contact(session, name="Sipho Nkosi", stage="customer")
        factories.deal(session, lerato, stage="proof", value=320_000)
        factories.order(session, sipho, at=start + timedelta(minutes=30), lines=[(4, 8_500)])
        factories.engagement(session, lerato, at=now - timedelta(hours=1), text="Can you cater for 40 people?")
    server = serve(store)
    yield next(server), store
    server.close()
    store.close()


def test_login_and_dashboard_numbers(browser, app_url, screenshot_dir):
    url, store = app_url
    with store.engine.connect() as conn:
        contacts = conn.scalar(text("SELECT count(*) FROM contact"))
        waiting = conn.scalar(text("SELECT count(*) FROM engagement WHERE answered_at IS NULL AND NOT is_spam"))
        open_value = conn.scalar(text("SELECT sum(value_minor) FROM deal WHERE stage NOT IN ('won','lost','nurture')"))
    assert (contacts, waiting, open_value) == (2, 1, 320_000)

    page = browser.new_page()
    page.goto(f"{url}/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.get_by_label("Email").fill("owner@bakery.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}/")
    expect(page.get_by_role("heading", name="Browser Bakery")).to_be_visible()
    expect(page.locator("#waiting-engagements")).to_have_text(str(waiting))
    expect(page.locator("#open-deal-count")).to_have_text("1")
    expect(page.locator("#open-deal-value")).to_have_text("worth R3\u00a0200,00")
    expect(page.locator("#month-revenue")).to_have_text("R340,00")
    expect(page.locator('td[data-stage="lead"]')).to_have_text("1")
    expect(page.locator('td[data-stage="customer"]')).to_have_text("1")
    page.screenshot(path=screenshot_dir / "dashboard.png", full_page=True)

    page.get_by_role("link", name="Waiting for a reply").click()
    expect(page.get_by_role("heading", name=re.compile("Inbox"))).to_be_visible()
    expect(page.get_by_text("Can you cater for 40 people?")).to_be_visible()

    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_label("Search").fill("lerato@")
    expect(page.locator("#contact-table tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Lerato Dlamini").click()
    expect(page.get_by_role("heading", name=re.compile("Lerato Dlamini"))).to_be_visible()
    expect(page.get_by_text("lerato@example.com")).to_be_visible()
    page.close()
