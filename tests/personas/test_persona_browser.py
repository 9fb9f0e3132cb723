"""The personas page in Chromium: declare a persona with the rule builder (its tests follow the attribute), fix a
mistake, discover personas, open one, and see the best fit in the inbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from accord.kernel.store import Store
from persona_people import order, organisation, person
from stores import settings_for
from web.conftest import PASSWORD, ROLE_EMAILS, served

pytestmark = pytest.mark.browser
WAIT = 20_000


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Iterator[tuple[str, Store]]:
    """A served shop whose thirty contacts fall into three groups, all waiting in the inbox."""
    with served(settings_for("sqlite", tmp_path_factory.mktemp("persona-browser"))) as live:
        with live.store.transaction() as session:
            office = organisation(session, industry="legal", city="Cape Town")
            for n in range(10):
                buyer = person(session, f"Sandton {n}", channel="instagram", city="Sandton",
                               engaged=["instagram", "instagram", "tiktok"])
                person(session, f"Durban {n}", channel="facebook", city="Durban", engaged=["facebook", "whatsapp"])
                person(session, f"Office {n}", channel="linkedin", org=office,
                       engaged=["linkedin", "linkedin", "email"])
                if n < 3:
                    order(session, buyer, 65_000)
        yield live.url, live.store


def test_declare_fix_discover_and_see_the_fit(browser, shop, screenshot_dir):
    url, _ = shop
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/login")
    page.fill('input[name="email"]', ROLE_EMAILS["marketing"])
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.goto(f"{url}/personas")
    expect(page.locator("#declared .empty")).to_contain_text("No declared personas yet")

    form = page.locator("#declare form")
    form.locator('input[name="name"]').fill("Sandton buyers")
    first, second = form.locator("tr.condition").nth(0), form.locator("tr.condition").nth(1)
    first.locator('select[name="attribute"]').select_option("city")
    # Only the tests that apply to a place are offered for it.
    visible = first.locator('select[name="operator"] option:not([hidden])')
    expect(visible).to_have_text(["is one of", "is none of"])
    first.locator('input[name="values"]').fill("Sandton")
    second.locator('select[name="attribute"]').select_option("spend")
    expect(second.locator('select[name="operator"]')).to_have_value("at_least")
    second.locator('select[name="operator"]').select_option("between")
    second.locator('input[name="values"]').fill("500")
    form.locator("button").click()
    expect(page.locator("#persona-error")).to_have_text(
        "Condition 2, values: spend between needs [minimum, maximum], minimum not above maximum, in whole minor units "
        "of ZAR (12.50 is 1250), got [50000]")
    expect(page.locator('#declare input[name="name"]')).to_have_value("Sandton buyers")

    second = page.locator("#declare tr.condition").nth(1)
    second.locator('input[name="values"]').fill("500 and 1,000")
    page.locator("#declare button").click()
    expect(page.locator("h1")).to_contain_text("Sandton buyers")
    expect(page.locator("#persona-rules li")).to_have_text(["city is Sandton",
                                                            "spend between R500,00 and R1\xa0000,00"])
    expect(page.locator("#fitting")).to_have_text("10")  # three meet both conditions, seven one of two

    page.goto(f"{url}/personas")
    page.locator('#discover select[name="clusters"]').select_option("3")
    page.locator("#discover form").first.locator("button").click()
    discovered = page.locator("#personas-discovered tbody tr[data-persona]")
    expect(discovered).to_have_count(3, timeout=WAIT)
    page.screenshot(path=screenshot_dir / "personas.png", full_page=True)
    names = discovered.locator("strong").all_inner_texts()
    office = next(name for name in names if "LinkedIn" in name)
    page.locator("#personas-discovered").get_by_role("link", name=office).click()
    expect(page.locator("#persona-traits li")).to_have_count(3)
    expect(page.locator("#best-fitting tbody tr")).to_have_count(10)
    page.screenshot(path=screenshot_dir / "persona.png", full_page=True)

    page.goto(f"{url}/inbox")
    row = page.locator("tr", has=page.get_by_role("link", name="Sandton 1", exact=True))
    expect(row.locator("td.fit")).to_have_text(["Sandton buyers · 1.00"] * 3)  # each of the three engagements
    assert errors == []
    page.close()
