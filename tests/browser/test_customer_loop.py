"""One person, the whole loop, in Chromium: comment → reply → not now (education) → trial → deal and close
plan → won and an order → the 7-day check-in → a referral and the ambassador stage; the timeline shows it all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.contacts.identity import email_key, handle_key
from accord.contacts.models import Contact
from accord.engagement.service import EngagementRecord, record_engagement
from accord.kernel.audit import SYSTEM
from accord.kernel.clock import utcnow
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.pipeline.models import Offer, Order, OrderLine
from stores import settings_for
from web.conftest import serve

pytestmark = pytest.mark.browser
PASSWORD = "a long browser password"
COMMENT = "Do you cater for birthday parties in Soweto?"


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Iterator[tuple[str, Store, int, int]]:
    """A served shop with a salesperson, two offers and one Instagram comment waiting."""
    store = Store.open(settings_for("sqlite", tmp_path_factory.mktemp("loop")), upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="Loop Kitchen")
        accounts.create_user(session, UserIn(email="sales@loop.example", name="Themba", role="sales",
                                             password=PASSWORD), actor=SYSTEM)
        session.add_all([
            Offer(sku="TRIAL", name="Tasting box", kind="product", category="trial", price_minor=0,
                  unit_cost_minor=4_000, currency="ZAR", active=True),
            Offer(sku="PARTY-30", name="Party platter for 30", kind="product", category="catering",
                  price_minor=240_000, unit_cost_minor=130_000, currency="ZAR", active=True),
        ])
        comment = record_engagement(session, EngagementRecord(
            "instagram", "ig-c-1", "instagram", "comment", utcnow() - timedelta(hours=3),
            (handle_key("instagram", "@zanele.m", "ZA"),), "Zanele M", COMMENT), actor=SYSTEM)
        session.flush()
        contact_id = comment.contact_id
        friend = record_engagement(session, EngagementRecord(
            "website", "form-9", "website", "form_submit", utcnow() - timedelta(hours=1),
            (email_key("bongi@example.com"),), "Bongi Dube", "Saw Zanele's party!"), actor=SYSTEM)
        session.flush()
        friend_id = friend.contact_id
    server = serve(store)
    yield next(server), store, contact_id, friend_id
    server.close()
    store.close()


def test_one_person_walks_the_whole_loop(browser, shop, screenshot_dir):
    url, store, zanele, bongi = shop
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill("sales@loop.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # 1. Their comment is in the inbox.
    page.goto(f"{url}/inbox")
    expect(page.get_by_text(COMMENT)).to_be_visible()
    page.get_by_role("link", name="Zanele M").click()
    expect(page.get_by_role("heading", name=re.compile("Zanele M"))).to_be_visible()

    # 2. A personal reply, answering their comment; it leaves the inbox.
    write = page.locator("#write")
    expect(write.locator("select[name=answering_engagement_id]")).to_contain_text(COMMENT[:40])
    write.locator("textarea[name=body]").fill("Hi {{ first_name }}! Yes, we do parties in Soweto. For how many?")
    write.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("Wrote on instagram: Hi Zanele! Yes, we do parties")
    page.goto(f"{url}/inbox")
    expect(page.get_by_text(COMMENT)).to_have_count(0)

    # 3. Not now, with permission for education.
    page.goto(f"{url}/contacts/{zanele}")
    qualify = page.locator("#qualify")
    qualify.get_by_text("Not now: ask to stay in touch").click()
    qualify.get_by_label("education").check()
    qualify.get_by_label("Why not now").fill("party is only next year")
    qualify.get_by_role("button", name="Record").click()
    expect(page.locator("#permissions")).to_contain_text("education by email: given")

    # 4. Later, a trial (proof).
    qualify = page.locator("#qualify")
    qualify.get_by_text("Proof delivered").click()
    qualify.locator("select[name=kind]").last.select_option("trial")
    qualify.locator("select[name=offer_id]").last.select_option(label="Tasting box")
    qualify.get_by_label("What was delivered").fill("Free tasting box")
    qualify.get_by_role("button", name="Record proof").click()
    expect(page.locator("#timeline")).to_contain_text("Trial: Free tasting box")

    # 5. A deal with a close plan.
    qualify = page.locator("#qualify")
    qualify.get_by_text("Yes: open a deal").click()
    qualify.get_by_label("What for").fill("Birthday party for 30")
    qualify.locator("select[name=offer_id]").first.select_option(label="Party platter for 30 (R2\u00a0400,00)")
    close_on = (date.today() + timedelta(days=30)).isoformat()
    qualify.get_by_label("Expected to close").fill(close_on)
    qualify.get_by_role("button", name="Open the deal").click()
    expect(page.locator("#deal-stage")).to_have_text("qualified")
    deal_url = page.url

    # On the board, the deal is dragged from qualified to proposal.
    page.goto(f"{url}/pipeline")
    card = page.locator(".deal", has_text="Birthday party for 30")
    card.drag_to(page.locator('.cards-in-stage[data-stage="proposal"]'))
    expect(page.locator("#board-message")).to_have_text("Birthday party for 30 moved to proposal.")
    expect(page.locator('.cards-in-stage[data-stage="proposal"] .deal')).to_have_count(1)
    page.goto(deal_url)
    expect(page.locator("#deal-stage")).to_have_text("proposal")
    page.get_by_label("Where").fill("the shop in Soweto")
    page.get_by_label("How").fill("card")
    page.get_by_label("By", exact=True).fill(close_on)
    page.get_by_role("button", name="Save close plan").click()
    expect(page.locator("#close-plan")).to_contain_text("card at the shop in Soweto")

    # 6. Won, and an order at the price and cost of the moment.
    page.get_by_role("button", name="Won: make the order").click()
    expect(page.locator("#won")).to_contain_text("was made from its offers")
    with store.transaction() as session:
        lines = session.execute(select(OrderLine.quantity, OrderLine.unit_price_minor, OrderLine.unit_cost_minor)
                                .join(Order, Order.id == OrderLine.order_id).where(Order.contact_id == zanele)).all()
        assert [tuple(line) for line in lines] == [(1, 240_000, 130_000)]
        assert session.get(Contact, zanele).lifecycle_stage == "customer"

    # 7. The 7-day check-in is planned for the salesperson; the order is on her page.
    page.get_by_role("link", name="Zanele M").click()
    expect(page.locator("#orders")).to_contain_text("R2\u00a0400,00 on other, 1 line")
    check_in = (datetime.now(ZoneInfo("Africa/Johannesburg")) + timedelta(days=7)).strftime("%d %b %Y")
    expect(page.locator("#tasks")).to_contain_text(f"Check-in after purchase due {check_in}")
    expect(page.locator("#tasks")).to_contain_text("Care call")

    # 8. She brings a friend: a referral, and she becomes an ambassador.
    tasks = page.locator("#tasks")
    tasks.get_by_text("They brought someone").click()
    tasks.get_by_label("Contact number of the person they brought").fill(str(bongi))
    tasks.get_by_role("button", name="Record referral").click()
    expect(page.locator("#referrals")).to_contain_text("Brought Bongi Dube")
    expect(page.locator("h1 .stage")).to_have_text("ambassador")

    page.screenshot(path=screenshot_dir / "customer-loop.png", full_page=True)
    timeline = page.locator("#timeline")
    for step in ("comment on instagram", "Wrote on instagram", "Budget to buy now: no", "Gave permission for education",
                 "Trial: Free tasting box", "Deal 'Birthday party for 30' opened at qualified",
                 "qualified → proposal", "Close plan for", "proposal → won", "Order from deal", "Became customer", "Check-in after purchase",
                 "Became ambassador"):
        expect(timeline).to_contain_text(step)
    with store.transaction() as session:
        assert session.get(Contact, zanele).lifecycle_stage == "ambassador"
    page.close()
