"""The plan's API and pages over real HTTP, on SQLite and PostgreSQL: who may do what, bad input named exactly,
spend in the base currency, and review cycles that close once."""

from __future__ import annotations

import re
import threading
from datetime import date
from decimal import Decimal
from html import unescape

import pytest

from accord.errors import Conflict
from accord.kernel.audit import Actor
from accord.kernel.models import CurrencyRate
from accord.planning import service
from accord.planning.models import ReviewCycle
from accord.planning.schemas import CycleCloseIn, CycleIn
from accord.reviews.report import NOT_SYNCED
from web.conftest import csrf_of

GOAL = {"metric": "new_customers", "target": 40, "period_start": "2026-01-01", "period_end": "2026-03-31"}
CAMPAIGN = {"name": "Heritage Day Braai", "channel": "whatsapp", "starts_on": "2026-09-01", "ends_on": "2026-09-24",
            "budget_minor": 600_000, "currency": "ZAR", "ideas": "Broadcast the braai pack menu."}


def problem(answer) -> tuple[int, str | None, str]:
    body = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    return answer.status_code, body.get("field"), body["detail"]


@pytest.mark.parametrize("role", ["sales", "viewer"])
def test_sales_and_viewers_read_the_plan_but_do_not_write_it(live, headers, role):
    with live.client() as api:
        for path, body in [("/api/v1/goals", GOAL), ("/api/v1/campaigns", CAMPAIGN),
                           ("/api/v1/plans", {"title": "Mine", "period_start": "2026-01-01",
                                              "period_end": "2026-12-31"}),
                           ("/api/v1/review-cycles", {"starts_on": "2026-01-01", "ends_on": "2026-01-31"})]:
            refused = api.post(path, headers=headers[role], json=body)
            assert problem(refused) == (403, None, f"the token's user has role {role}, which cannot do this")
        for path in ("/api/v1/goals", "/api/v1/campaigns", "/api/v1/plans", "/api/v1/review-cycles"):
            assert api.get(path, headers=headers[role]).status_code == 200
    with live.login(role) as client:
        page = client.get("/plan")
        refused = client.post("/plan/goals", data={**GOAL, "target": "40", "csrf_token": csrf_of(page)})
    assert page.status_code == 200
    assert 'id="goal-form"' not in page.text and 'id="campaign-form"' not in page.text
    assert refused.status_code == 403
    assert f"your role ({role}) cannot do this; ask an owner" in refused.text


@pytest.mark.parametrize(("body", "field", "detail"), [
    ({k: v for k, v in GOAL.items() if not k.startswith("period")}, "period",
     "period: a goal needs a period: period_start and period_end missing; give its first and last day, "
     "e.g. 2026-01-01 and 2026-03-31"),
    ({**GOAL, "period_end": "2025-12-31"}, "period",
     "period: period_end 2025-12-31 is not after period_start 2026-01-01"),
    ({**GOAL, "metric": "revenue", "target": 100, "currency": "RAND"}, "currency",
     "currency: 'RAND' is not an ISO 4217 currency code"),
])
def test_a_bad_goal_is_a_422_naming_the_field(live, headers, body, field, detail):
    with live.client() as api:
        answer = api.post("/api/v1/goals", headers=headers["marketing"], json=body)
        after = api.get("/api/v1/goals", headers=headers["marketing"]).json()
    assert problem(answer) == (422, field, detail)
    assert all(goal["goal"]["target"] != body["target"] or goal["goal"]["metric"] != body["metric"] for goal in after)


@pytest.mark.parametrize(("changes", "field", "detail"), [
    ({"currency": "XYZ"}, "currency", "currency: 'XYZ' is not an ISO 4217 currency code"),
    ({"budget_minor": -1}, "budget_minor", "budget_minor: -0.01 ZAR is negative; it must be zero or more"),
    ({"ends_on": "2026-08-31"}, "ends_on", "ends_on: 2026-08-31 is before starts_on 2026-09-01"),
])
def test_a_bad_campaign_is_a_422_naming_the_field(live, headers, changes, field, detail):
    with live.client() as api:
        answer = api.post("/api/v1/campaigns", headers=headers["owner"], json={**CAMPAIGN, **changes,
                                                                               "name": f"Bad {field}"})
        names = [c["name"] for c in api.get("/api/v1/campaigns", headers=headers["owner"]).json()]
    assert problem(answer) == (422, field, detail)
    assert f"Bad {field}" not in names


def test_goals_say_why_there_is_no_progress_before_the_warehouse_is_filled(live, headers):
    with live.client() as api:
        created = api.post("/api/v1/goals", headers=headers["marketing"], json={**GOAL, "name": "Unsynced"})
        assert created.status_code == 201, created.text
        answer = api.get(f"/api/v1/goals/{created.json()['id']}", headers=headers["viewer"])
    body = answer.json()
    assert body["goal"] == {**created.json()}
    assert (body["actual"], body["expected_so_far"], body["status"], body["note"]) == (
        None, None, "unavailable", NOT_SYNCED)


def test_spend_is_reported_in_the_base_currency_with_each_day_rate(live, headers):
    with live.store.transaction() as session:
        session.add(CurrencyRate(currency="USD", valid_from=date(2026, 1, 1), rate=Decimal("17.5")))
    with live.client() as api:
        created = api.post("/api/v1/campaigns", headers=headers["marketing"],
                           json={**CAMPAIGN, "name": "Dollar ads", "currency": "USD", "budget_minor": 20_000})
        assert created.status_code == 201, created.text
        campaign = created.json()["id"]
        for amount, currency in [(101, "USD"), (101, "USD"), (5_000, "ZAR"), (700, "EUR")]:
            spent = api.post(f"/api/v1/campaigns/{campaign}/spend", headers=headers["marketing"],
                             json={"spent_on": "2026-09-02", "amount_minor": amount, "currency": currency})
            assert spent.status_code == 201, spent.text
        answer = api.get(f"/api/v1/campaigns/{campaign}", headers=headers["viewer"]).json()
    # $1.01 at R17.5 is R17.675, 1768 cents half-even, on each row; $200 budget is R3 500,00.
    assert {k: answer[k] for k in ("currency", "base_currency", "budget_minor", "budget_base_minor",
                                   "spent_base_minor", "unconverted")} == {
        "currency": "USD", "base_currency": "ZAR", "budget_minor": 20_000, "budget_base_minor": 350_000,
        "spent_base_minor": 1768 + 1768 + 5_000, "unconverted": {"EUR": 700}}


def test_a_cycle_opened_and_closed_over_the_api_closes_once(live, headers):
    marketing = headers["marketing"]
    with live.client() as api:
        plan = api.post("/api/v1/plans", headers=marketing, json={"title": "API plan", "period_start": "2027-01-01",
                                                                    "period_end": "2027-12-31"}).json()
        opened = api.post("/api/v1/review-cycles", headers=marketing, json={
            "starts_on": "2027-01-01", "ends_on": "2027-03-31", "plan_id": plan["id"]})
        assert opened.status_code == 201, opened.text
        cycle = opened.json()
        noted = api.patch(f"/api/v1/review-cycles/{cycle['id']}", headers=marketing, json={"learned": "draft"})
        closed = api.post(f"/api/v1/review-cycles/{cycle['id']}/close", headers=marketing,
                          json={"learned": "Quarter one taught us patience.", "changes": "Start earlier."})
        again = api.post(f"/api/v1/review-cycles/{cycle['id']}/close", headers=marketing, json={"learned": "x"})
        edit = api.patch(f"/api/v1/review-cycles/{cycle['id']}", headers=marketing, json={"ends_on": "2027-04-30"})
        listed = api.get("/api/v1/review-cycles", headers=headers["viewer"]).json()
    assert noted.json()["learned"] == "draft"
    assert closed.status_code == 200, closed.text
    done, following = closed.json()["closed"], closed.json()["next"]
    assert (done["status"], done["learned"], done["changes"]) == ("closed", "Quarter one taught us patience.",
                                                                 "Start earlier.")
    assert done["snapshot"]["goals"] == [] and done["snapshot"]["notes"][-1] == NOT_SYNCED
    assert (following["starts_on"], following["ends_on"], following["previous_cycle_id"], following["plan_id"]) == (
        "2027-04-01", "2027-06-30", cycle["id"], plan["id"])
    assert problem(again) == (409, None, f"review cycle {cycle['id']} is already closed")
    assert problem(edit) == (409, None, f"review cycle {cycle['id']} is closed; a closed cycle is read-only")
    assert [c["id"] for c in listed][:2] == [following["id"], cycle["id"]]


def test_the_plan_page_forms_create_a_plan_goal_campaign_and_close_a_cycle(live):
    with live.login("marketing") as client:
        page = client.get("/plan")
        token = csrf_of(page)
        created = client.post("/plan/plans", data={"title": "Page plan", "period_start": "2028-01-01",
                                                   "period_end": "2028-12-31", "vision": "Feed the city.",
                                                   "csrf_token": token})
        assert created.status_code == 303
        plan_id = int(re.search(r"plan=(\d+)", created.headers["location"]).group(1))
        goal = client.post("/plan/goals", data={"metric": "revenue", "target": "125000.50", "currency": "",
                                                "period_start": "2028-01-01", "period_end": "2028-06-30",
                                                "plan_id": str(plan_id), "csrf_token": token})
        assert (goal.status_code, goal.headers["location"]) == (303, f"/plan?plan={plan_id}#goals")
        campaign = client.post("/campaigns", data={"name": "Page campaign", "channel": "email", "budget": "1,250.00",
                                                   "currency": "ZAR", "starts_on": "2028-02-01",
                                                   "ends_on": "2028-02-29", "plan_id": str(plan_id), "back": "plan",
                                                   "csrf_token": token})
        assert (campaign.status_code, campaign.headers["location"]) == (303, f"/plan?plan={plan_id}#campaigns")
        cycle = client.post("/plan/cycles", data={"starts_on": "2028-01-01", "ends_on": "2028-01-31",
                                                  "plan_id": str(plan_id), "csrf_token": token})
        assert cycle.status_code == 303
        cycle_id = int(cycle.headers["location"].rsplit("/", 1)[1])
        shown = client.get(f"/plan?plan={plan_id}")
        closed = client.post(f"/plan/cycles/{cycle_id}/close", data={"learned": "Email opens were high.",
                                                                     "changes": "Send on Sundays.",
                                                                     "csrf_token": token})
        assert (closed.status_code, closed.headers["location"]) == (303, f"/plan/cycles/{cycle_id}")
        record = client.get(f"/plan/cycles/{cycle_id}")
        twice = client.post(f"/plan/cycles/{cycle_id}/close", data={"learned": "again", "csrf_token": token})
    text = unescape(shown.text)
    assert "<h1>Page plan <small>1 Jan 2028 – 31 Dec 2028</small></h1>" in text
    assert '<p class="vision">Feed the city.</p>' in text
    assert "Revenue, 01 Jan 2028 to 30 Jun 2028" in text and "R125\xa0000,50" in text
    assert re.search(r'<td class="num nowrap">R1\xa0250,00</td>', text)
    assert 'id="close-cycle-form"' in text and '<textarea name="learned"' in text
    assert '<p class="learned" id="learned">Email opens were high.</p>' in record.text
    following = re.search(r'<a href="/plan/cycles/(\d+)" id="next-cycle">', record.text)
    assert following is not None and 'id="close-cycle-form"' not in record.text
    assert twice.status_code == 409
    assert f"review cycle {cycle_id} is already closed" in twice.text


@pytest.mark.parametrize(("path", "data", "message"), [
    ("/plan/goals", {"metric": "engaged_contacts", "target": "900"},
     "period: a goal needs a period: period_start and period_end missing; give its first and last day, "
     "e.g. 2026-01-01 and 2026-03-31"),
    ("/campaigns", {"name": "Bad money", "channel": "email", "budget": "500", "currency": "XYZ",
                    "starts_on": "2028-02-01", "ends_on": "2028-02-29"},
     "currency: 'XYZ' is not an ISO 4217 currency code"),
    ("/campaigns", {"name": "Bad money", "channel": "email", "budget": "12,50", "currency": "ZAR",
                    "starts_on": "2028-02-01", "ends_on": "2028-02-29"},
     "budget: '12,50' has a comma that does not separate thousands; write e.g. 1,234.50"),
    ("/plan/goals", {"metric": "conversion_rate", "target": "twelve", "period_start": "2028-01-01",
                     "period_end": "2028-01-31"}, "target: 'twelve' is not a number; give a percentage, e.g. 12.5"),
])
def test_a_bad_form_shows_the_field_and_the_reason(live, path, data, message):
    with live.login("owner") as client:
        answer = client.post(path, data={**data, "csrf_token": csrf_of(client.get("/plan"))})
    assert answer.status_code == 422
    assert f"<p>{message}</p>" in unescape(answer.text)


def test_two_racing_closes_of_one_cycle_let_exactly_one_through(live, backend):
    """Both closes read the cycle as open; the conditional update lets one through and refuses the other."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE), so two closes cannot overlap there")
    with live.store.transaction() as session:
        cycle = service.open_cycle(session, CycleIn(starts_on=date(2029, 1, 1), ends_on=date(2029, 1, 31)),
                                   actor=Actor("test"))
        cycle_id = cycle.id
    first_read = threading.Event()
    outcome: dict[str, object] = {}

    def slow_close() -> None:
        with live.store.transaction() as session:
            session.get(ReviewCycle, cycle_id)  # read while still open, as a racing request would
            first_read.set()
            second_done.wait(timeout=30)
            try:
                service.close_cycle(session, cycle_id, CycleCloseIn(learned="slow"), measures=None,
                                    actor=Actor("slow"))
                outcome["slow"] = "closed"
            except Conflict as exc:
                outcome["slow"] = exc.message

    second_done = threading.Event()
    racer = threading.Thread(target=slow_close)
    racer.start()
    first_read.wait(timeout=30)
    with live.store.transaction() as session:
        service.close_cycle(session, cycle_id, CycleCloseIn(learned="fast"), measures=None, actor=Actor("fast"))
    second_done.set()
    racer.join(timeout=60)
    assert outcome == {"slow": f"review cycle {cycle_id} is already closed"}
    with live.store.transaction() as session:
        kept = session.get(ReviewCycle, cycle_id)
        following = service.latest_cycle(session, None)
        assert (kept.learned, following.previous_cycle_id, following.starts_on) == ("fast", cycle_id,
                                                                                    date(2029, 2, 1))
