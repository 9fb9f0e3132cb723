"""Goals, plans, campaigns and review cycles through their services, on SQLite and PostgreSQL.

Bad input is refused naming the field and stores nothing; spend is summed in the base currency row by row with
the rate of each day; a cycle closes once, keeps its snapshot read-only, and opens the next from what it recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from accord.accounts.models import User
from accord.business.models import BusinessVersion
from accord.campaigns import service as campaigns
from accord.campaigns.models import Campaign, Spend
from accord.campaigns.queries import list_campaigns, spend_in_base
from accord.campaigns.schemas import CampaignIn, SpendEntryIn
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.audit import Actor
from accord.kernel.models import CurrencyRate
from accord.kernel.rates import load_rates
from accord.kernel.workspace import ensure_workspace
from accord.planning import service
from accord.planning.metrics import target_as_text, target_from_text, value_text
from accord.planning.models import Goal, Plan, ReviewCycle
from accord.planning.progress import BEHIND, MET, MISSED, NO_FIGURE, NOT_STARTED, ON_COURSE, judge
from accord.planning.queries import plan_view
from accord.planning.schemas import CycleCloseIn, CycleEditIn, CycleIn, GoalIn, PlanIn

ACTOR = Actor("test")


@pytest.fixture
def ws(session):
    """A workspace in rand."""
    return ensure_workspace(session, name="Test Kitchen", base_currency="ZAR")


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def campaign_in(**changes) -> CampaignIn:
    values = {"name": "Winter Warmers", "channel": "instagram", "starts_on": date(2026, 5, 1),
              "ends_on": date(2026, 7, 31), "budget_minor": 1_500_000, "currency": "ZAR",
              "ideas": "Reels of curries and stews."}
    return CampaignIn(**(values | changes))


def goal_in(**changes) -> GoalIn:
    values = {"metric": "revenue", "target": 50_000_000, "period_start": date(2026, 1, 1),
              "period_end": date(2026, 6, 30)}
    return GoalIn(**(values | changes))


# --- goals ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"period_start": None, "period_end": None}, "period",
     "a goal needs a period: period_start and period_end missing; give its first and last day, e.g. 2026-01-01 "
     "and 2026-03-31"),
    ({"period_end": None}, "period",
     "a goal needs a period: period_end missing; give its first and last day, e.g. 2026-01-01 and 2026-03-31"),
    ({"period_end": date(2026, 1, 1)}, "period", "period_end 2026-01-01 is not after period_start 2026-01-01"),
    ({"period_end": date(2025, 12, 1)}, "period", "period_end 2025-12-01 is not after period_start 2026-01-01"),
    ({"metric": "happiness"}, "metric",
     "'happiness' is not a goal metric; use one of revenue, new_customers, conversion_rate, response_time, "
     "engaged_contacts"),
    ({"currency": "XYZ"}, "currency", "'XYZ' is not an ISO 4217 currency code"),
    ({"currency": "USD"}, "currency",
     "revenue is reviewed in ZAR, the workspace's base currency, so a revenue goal is set in ZAR, not USD"),
    ({"metric": "new_customers", "target": 40, "currency": "ZAR"}, "currency",
     "only revenue goals have a currency; new_customers is counted in count"),
    ({"target": -1}, "target", "-1 is not a whole number from 0 to 1,000,000,000,000,000 (minor_units)"),
    ({"metric": "conversion_rate", "target": 10_001}, "target", "10001 basis points is more than 100%"),
    ({"metric": "response_time", "target": 0}, "target",
     "a response time of 0 seconds cannot be met; give the most time an answer may take"),
    ({"direction": "roughly"}, "direction", "'roughly' is not one of at_least, at_most"),
    ({"plan_id": 999_999}, "plan_id", "there is no plan 999999"),
])
def test_a_bad_goal_is_refused_naming_the_field_and_nothing_is_stored(session, ws, changes, field, reason):
    with pytest.raises(Invalid) as refused:
        service.create_goal(session, goal_in(**changes), actor=ACTOR)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert count(session, Goal) == 0


def test_a_goal_takes_its_unit_from_the_metric_and_its_defaults(session, ws):
    revenue = service.create_goal(session, goal_in(), actor=ACTOR)
    response = service.create_goal(session, goal_in(metric="response_time", target=4 * 3600), actor=ACTOR)
    conversion = service.create_goal(session, goal_in(metric="conversion_rate", target=1250, name=" Convert "),
                                     actor=ACTOR)
    assert [(g.name, g.metric, g.unit, g.target, g.currency, g.direction) for g in (revenue, response, conversion)] == [
        ("Revenue, 01 Jan 2026 to 30 Jun 2026", "revenue", "minor_units", 50_000_000, "ZAR", "at_least"),
        ("Response time, 01 Jan 2026 to 30 Jun 2026", "response_time", "seconds", 14_400, None, "at_most"),
        ("Convert", "conversion_rate", "basis_points", 1250, None, "at_least"),
    ]


def test_a_goal_is_changed_and_removed_and_a_campaign_serving_it_stays(session, ws):
    goal = service.create_goal(session, goal_in(), actor=ACTOR)
    served = campaigns.create_campaign(session, campaign_in(goal_id=goal.id), actor=ACTOR)
    changed = service.update_goal(session, goal.id, goal_in(target=60_000_000, direction="at_most", name="Cap"),
                                  actor=ACTOR)
    assert (changed.id, changed.name, changed.target, changed.direction) == (goal.id, "Cap", 60_000_000, "at_most")
    with pytest.raises(Invalid, match="^period: "):
        service.update_goal(session, goal.id, goal_in(period_start=None), actor=ACTOR)
    service.delete_goal(session, goal.id, actor=ACTOR)
    session.expire_all()
    assert session.get(Goal, goal.id) is None
    assert session.get(Campaign, served.id).goal_id is None
    with pytest.raises(NotFound, match=f"^no goal {goal.id}$"):
        service.delete_goal(session, goal.id, actor=ACTOR)


@pytest.mark.parametrize(("metric", "text", "target", "back"), [
    ("revenue", "250000.50", 25_000_050, "250000.50"),
    ("revenue", "1,234.00", 123_400, "1234.00"),
    ("new_customers", "120", 120, "120"),
    ("conversion_rate", "12.5", 1250, "12.5"),
    ("response_time", "2.5", 9000, "2.5"),
    ("engaged_contacts", "900", 900, "900"),
])
def test_a_target_typed_by_a_person_is_read_in_the_metric_unit_and_written_back(metric, text, target, back):
    assert target_from_text(metric, text, "ZAR") == target
    assert target_as_text(metric, target, "ZAR") == back


@pytest.mark.parametrize(("metric", "text", "message"), [
    ("revenue", "12,50", "target: '12,50' has a comma that does not separate thousands; write e.g. 1,234.50"),
    ("revenue", "12.505", "target: '12.505' has more than 2 decimal places for ZAR"),
    ("new_customers", "12.5", "target: '12.5' is not a whole number; give a count, e.g. 120"),
    ("conversion_rate", "12.555", "target: '12.555' has more than two decimal places; give a percentage, e.g. 12.5"),
    ("response_time", "soon", "target: 'soon' is not a number; give business hours, e.g. 2.5"),
    ("engaged_contacts", " ", "target: is empty; give a count, e.g. 900"),
])
def test_a_target_that_cannot_be_read_is_refused_with_the_hint(metric, text, message):
    with pytest.raises(Invalid) as refused:
        target_from_text(metric, text, "ZAR")
    assert refused.value.message == message


def test_values_read_in_the_goal_unit():
    assert [value_text("minor_units", 25_000_050, "ZAR"), value_text("count", 1514),
            value_text("basis_points", 1322.48), value_text("seconds", 4896), value_text("count", None)] == [
        "R250\xa0000,50", "1,514", "13.22%", "1.36 business hours", "–"]


# --- on course -----------------------------------------------------------------------------------------------------


def _goal(metric: str, target: int, direction: str = "at_least") -> SimpleNamespace:
    # 1 April to 30 April: 30 days, so each day is a thirtieth of the target.
    return SimpleNamespace(metric=metric, target=target, direction=direction, period_start=date(2026, 4, 1),
                           period_end=date(2026, 4, 30))


@pytest.mark.parametrize(("goal", "actual", "today", "status", "expected"), [
    (_goal("revenue", 3000), 0, date(2026, 3, 31), NOT_STARTED, None),
    (_goal("revenue", 3000), 1000, date(2026, 4, 10), ON_COURSE, 1000.0),  # 10 of 30 days: 1000 due
    (_goal("revenue", 3000), 999, date(2026, 4, 10), BEHIND, 1000.0),
    (_goal("engaged_contacts", 300), 300, date(2026, 4, 30), ON_COURSE, 300.0),
    (_goal("new_customers", 30), 29, date(2026, 5, 1), MISSED, 30.0),
    (_goal("new_customers", 30), 30, date(2026, 5, 1), MET, 30.0),
    (_goal("conversion_rate", 1200), 1100, date(2026, 4, 2), BEHIND, 1200.0),  # a rate is not prorated
    (_goal("conversion_rate", 1200), 1200, date(2026, 4, 2), ON_COURSE, 1200.0),
    (_goal("response_time", 7200, "at_most"), 7200, date(2026, 4, 15), ON_COURSE, 7200.0),
    (_goal("response_time", 7200, "at_most"), 7201, date(2026, 4, 15), BEHIND, 7200.0),
    (_goal("response_time", 7200, "at_most"), 7201, date(2026, 5, 2), MISSED, 7200.0),
    (_goal("revenue", 3000, "at_most"), 2000, date(2026, 4, 2), ON_COURSE, 3000.0),  # under the cap is on course
    (_goal("revenue", 3000), None, date(2026, 4, 10), NO_FIGURE, None),
])
def test_on_course_prorates_what_adds_up_and_compares_rates_with_the_target(goal, actual, today, status, expected):
    assert judge(goal, actual, today) == (status, expected)


# --- plans ---------------------------------------------------------------------------------------------------------


def test_a_plan_needs_a_title_and_a_period(session, ws):
    with pytest.raises(Invalid) as untitled:
        service.create_plan(session, PlanIn(title="  ", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)),
                            actor=ACTOR)
    with pytest.raises(Invalid) as undated:
        service.create_plan(session, PlanIn(title="Plan 2026"), actor=ACTOR)
    assert untitled.value.message == "title: is empty; give the plan a title, e.g. 'Plan 2027'"
    assert undated.value.message == ("period: a plan needs a period: period_start and period_end missing; give its "
                                     "first and last day, e.g. 2026-01-01 and 2026-03-31")
    assert count(session, Plan) == 0


def test_a_plan_holds_its_own_goals_and_campaigns_and_unassigned_ones_in_its_period(session, ws):
    plan = service.create_plan(session, PlanIn(title="Plan H1", vision="Lunch for every office",
                                               period_start=date(2026, 1, 1), period_end=date(2026, 6, 30)),
                               actor=ACTOR)
    other = service.create_plan(session, PlanIn(title="Other", period_start=date(2026, 1, 1),
                                                period_end=date(2026, 12, 31)), actor=ACTOR)
    mine = service.create_goal(session, goal_in(plan_id=plan.id, period_start=date(2027, 1, 1),
                                                period_end=date(2027, 3, 31)), actor=ACTOR)
    loose = service.create_goal(session, goal_in(), actor=ACTOR)
    service.create_goal(session, goal_in(plan_id=other.id), actor=ACTOR)
    service.create_goal(session, goal_in(period_start=date(2026, 7, 1), period_end=date(2026, 9, 30)), actor=ACTOR)
    campaigns.create_campaign(session, campaign_in(name="Autumn", starts_on=date(2026, 3, 1),
                                                   ends_on=date(2026, 4, 15), budget_minor=90_000), actor=ACTOR)
    campaigns.create_campaign(session, campaign_in(name="Spring", starts_on=date(2026, 9, 1),
                                                   ends_on=date(2026, 10, 31), plan_id=plan.id,
                                                   budget_minor=10_000), actor=ACTOR)
    campaigns.create_campaign(session, campaign_in(name="Elsewhere", plan_id=other.id), actor=ACTOR)
    view = plan_view(session, plan.id)
    assert [g.id for g in view.goals] == [loose.id, mine.id]
    assert [c.name for c in view.campaigns] == ["Autumn", "Spring"]
    assert (view.vision, view.vision_source) == ("Lunch for every office", "the plan")
    assert (view.budget.budget_base_minor, view.budget.spent_base_minor, view.budget.by_currency) == (
        100_000, 0, {"ZAR": 100_000})
    assert view.calendar.months == [date(2026, m, 1) for m in range(1, 7)]
    assert [(r.campaign.name, r.runs) for r in view.calendar.rows] == [
        ("Autumn", [False, False, True, True, False, False]),
        ("Spring", [False] * 6),
    ]


def test_a_plan_without_a_vision_shows_the_latest_business_review_vision(session, ws):
    plan = service.create_plan(session, PlanIn(title="Plan 2026", period_start=date(2026, 1, 1),
                                               period_end=date(2026, 12, 31)), actor=ACTOR)
    assert (plan_view(session, plan.id).vision, plan_view(session, plan.id).vision_source) == ("", "")
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    session.add_all([BusinessVersion(number=1, vision="Cook for the neighbourhood.", created_at=moment),
                     BusinessVersion(number=2, vision="Feed every office in Joburg.", created_at=moment)])
    session.flush()
    view = plan_view(session, plan.id)
    assert (view.vision, view.vision_source) == ("Feed every office in Joburg.", "business review version 2")
    service.update_plan(session, plan.id, PlanIn(title="Plan 2026", vision="Our own words.",
                                                 period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)),
                        actor=ACTOR)
    assert (plan_view(session, plan.id).vision, plan_view(session, plan.id).vision_source) == (
        "Our own words.", "the plan")


# --- campaigns -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"currency": "XYZ"}, "currency: 'XYZ' is not an ISO 4217 currency code"),
    ({"budget_minor": -100}, "budget_minor: -1.00 ZAR is negative; it must be zero or more"),
    ({"ends_on": date(2026, 4, 30)}, "ends_on: 2026-04-30 is before starts_on 2026-05-01"),
    ({"channel": "billboard"}, "channel: 'billboard' is not a channel; use one of instagram, facebook, linkedin, x, "
                               "tiktok, youtube, website, email, phone, whatsapp, in_person, referral, marketplace, "
                               "other"),
    ({"status": "paused"}, "status: 'paused' is not a status; use one of planned, running, done, cancelled"),
    ({"name": " "}, "name: is empty; give the campaign a name people will recognise, e.g. 'Winter Warmers 2026'"),
    ({"persona_id": 424242}, "persona_id: there is no persona 424242"),
    ({"goal_id": 424242}, "goal_id: there is no goal 424242"),
])
def test_a_bad_campaign_is_refused_naming_the_field_and_nothing_is_stored(session, ws, changes, message):
    with pytest.raises(Invalid) as refused:
        campaigns.create_campaign(session, campaign_in(**changes), actor=ACTOR)
    assert refused.value.message == message
    assert count(session, Campaign) == 0


def test_campaign_names_and_utm_values_are_unique(session, ws):
    first = campaigns.create_campaign(session, campaign_in(utm_campaign="winter"), actor=ACTOR)
    with pytest.raises(Conflict, match="^a campaign named 'Winter Warmers' already exists$"):
        campaigns.create_campaign(session, campaign_in(), actor=ACTOR)
    with pytest.raises(Conflict, match="^another campaign already uses utm_campaign 'winter'$"):
        campaigns.create_campaign(session, campaign_in(name="Other", utm_campaign="winter"), actor=ACTOR)
    kept = campaigns.update_campaign(session, first.id, campaign_in(status="running", utm_campaign="winter"),
                                     actor=ACTOR)
    assert (kept.id, kept.status, kept.utm_campaign) == (first.id, "running", "winter")


def test_spend_is_summed_in_the_base_currency_row_by_row_with_the_rate_of_its_day(session, ws):
    session.add_all([CurrencyRate(currency="USD", valid_from=date(2026, 1, 1), rate=Decimal("18.3333333333")),
                     CurrencyRate(currency="USD", valid_from=date(2026, 6, 1), rate=Decimal("17.5")),
                     CurrencyRate(currency="JPY", valid_from=date(2026, 1, 1), rate=Decimal("0.1234567891"))])
    campaign = campaigns.create_campaign(session, campaign_in(currency="USD", budget_minor=100_000,
                                                              starts_on=date(2026, 5, 20)), actor=ACTOR)
    for day, amount, currency in [(date(2026, 5, 20), 1001, "ZAR"), (date(2026, 5, 31), 333, "USD"),
                                  (date(2026, 6, 1), 101, "USD"), (date(2026, 6, 1), 101, "USD"),
                                  (date(2026, 6, 2), 1000, "JPY"), (date(2026, 6, 3), 500, "EUR")]:
        campaigns.add_spend(session, campaign.id, SpendEntryIn(spent_on=day, amount_minor=amount, currency=currency),
                            actor=ACTOR)
    # $3.33 × 18.3333333333 = R61.0499999999 → 6105 cents. Each $1.01 of 1 June is R17.675 → 1768 (half-even of
    # 1767.5), 3536 for the two, where converting their sum would give R35.35. ¥1000 × 0.1234567891 =
    # R123.4567891 → 12346. The euro row has no rate.
    spent = spend_in_base(session, load_rates(session))[campaign.id]
    assert (spent.minor, spent.rows, spent.unconverted) == (1001 + 6105 + 1768 + 1768 + 12346, 6, {"EUR": 500})
    in_may = spend_in_base(session, load_rates(session), to_on=date(2026, 6, 1))[campaign.id]
    assert (in_may.minor, in_may.rows, in_may.unconverted) == (1001 + 6105, 2, {})
    row = list_campaigns(session)[0]
    # The budget at the rate of the first day: $1000 × 18.3333333333 = R18 333,33.
    assert (row.budget_base_minor, row.spent_base_minor, row.unconverted, row.over_budget) == (
        1_833_333, 22_988, {"EUR": 500}, False)


def test_spend_entered_by_a_person_is_checked(session, ws):
    campaign = campaigns.create_campaign(session, campaign_in(), actor=ACTOR)
    with pytest.raises(Invalid, match=r"^currency: 'RR' is not an ISO 4217 currency code$"):
        campaigns.add_spend(session, campaign.id, SpendEntryIn(spent_on=date(2026, 5, 2), amount_minor=5,
                                                               currency="RR"), actor=ACTOR)
    with pytest.raises(Invalid, match=r"^amount_minor: -0.05 ZAR is negative; it must be zero or more$"):
        campaigns.add_spend(session, campaign.id, SpendEntryIn(spent_on=date(2026, 5, 2), amount_minor=-5,
                                                               currency="ZAR"), actor=ACTOR)
    with pytest.raises(NotFound, match="^no campaign 424242$"):
        campaigns.add_spend(session, 424242, SpendEntryIn(spent_on=date(2026, 5, 2), amount_minor=5,
                                                          currency="ZAR"), actor=ACTOR)
    assert count(session, Spend) == 0


# --- review cycles -------------------------------------------------------------------------------------------------


@pytest.fixture
def owner(session) -> User:
    row = User(email="thandi@kitchen.example", name="Thandi", role="owner", password_hash="-", active=True,
               created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    session.add(row)
    session.flush()
    return row


@pytest.mark.parametrize(("starts_on", "ends_on", "following"), [
    (date(2026, 10, 1), date(2026, 10, 31), (date(2026, 11, 1), date(2026, 11, 30))),
    (date(2026, 1, 1), date(2026, 3, 31), (date(2026, 4, 1), date(2026, 6, 30))),  # a quarter follows a quarter
    (date(2026, 12, 1), date(2027, 1, 31), (date(2027, 2, 1), date(2027, 3, 31))),
    (date(2026, 10, 5), date(2026, 10, 18), (date(2026, 10, 19), date(2026, 11, 1))),  # two weeks, two weeks
])
def test_the_next_cycle_is_as_long_as_the_last(starts_on, ends_on, following):
    assert service.next_period(starts_on, ends_on) == following


def test_a_cycle_closes_once_with_its_snapshot_and_opens_the_next_from_its_changes(session, ws, owner):
    plan = service.create_plan(session, PlanIn(title="Plan 2026", period_start=date(2026, 1, 1),
                                               period_end=date(2026, 12, 31)), actor=ACTOR)
    campaign = campaigns.create_campaign(session, campaign_in(starts_on=date(2026, 9, 20), ends_on=date(2026, 10, 19),
                                                              budget_minor=300_000), actor=ACTOR)
    for day, amount in [(date(2026, 9, 30), 9_999), (date(2026, 10, 1), 10_001), (date(2026, 10, 19), 12_345),
                        (date(2026, 11, 1), 500)]:
        campaigns.add_spend(session, campaign.id, SpendEntryIn(spent_on=day, amount_minor=amount, currency="ZAR"),
                            actor=ACTOR)
    with pytest.raises(Invalid, match="^starts_on: the first review cycle needs its first day$"):
        service.open_cycle(session, CycleIn(ends_on=date(2026, 10, 31), plan_id=plan.id), actor=ACTOR)
    cycle = service.open_cycle(session, CycleIn(starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31),
                                                plan_id=plan.id), actor=ACTOR)
    with pytest.raises(Conflict, match=f"^review cycle {cycle.id} \\(2026-10-01 to 2026-10-31\\) is still open; "
                                       "close it, and the next one opens from what it recorded$"):
        service.open_cycle(session, CycleIn(ends_on=date(2026, 11, 30), plan_id=plan.id), actor=ACTOR)
    service.update_cycle(session, cycle.id, CycleEditIn(learned="drafting"), actor=ACTOR)
    with pytest.raises(Invalid, match="^learned: is empty; write down what this cycle taught you before closing it$"):
        service.close_cycle(session, cycle.id, CycleCloseIn(learned=" "), measures=None, actor=ACTOR)

    closed, following = service.close_cycle(
        session, cycle.id, CycleCloseIn(learned="Reels beat stories.", changes="Move the stories budget to reels."),
        measures=None, actor=Actor.user(owner))
    # 30 campaign days, 19 of them in October: R3 000,00 × 19 / 30 = R1 900,00 planned; spent the rows of October.
    assert closed.snapshot["campaigns"] == [{
        "campaign_id": campaign.id, "name": "Winter Warmers", "channel": "instagram", "status": "planned",
        "starts_on": "2026-09-20", "ends_on": "2026-10-19", "budget_minor": 300_000, "currency": "ZAR",
        "budget_base_minor": 300_000, "planned_minor": 190_000, "spent_minor": 22_346,
        "spent_to_date_minor": 32_345, "variance_minor": 22_346 - 190_000, "unconverted": {},
        "attributed_revenue_minor": None, "roi": None, "roas": None,
    }]
    assert closed.snapshot["totals"] == {"planned_minor": 190_000, "spent_minor": 22_346,
                                         "variance_minor": 22_346 - 190_000, "attributed_revenue_minor": 0}
    assert (closed.status, closed.learned, closed.changes, closed.closed_by_user_id) == (
        "closed", "Reels beat stories.", "Move the stories budget to reels.", owner.id)
    assert closed.closed_at is not None
    assert (following.status, following.starts_on, following.ends_on, following.previous_cycle_id,
            following.plan_id) == ("open", date(2026, 11, 1), date(2026, 11, 30), cycle.id, plan.id)

    with pytest.raises(Conflict) as twice:
        service.close_cycle(session, cycle.id, CycleCloseIn(learned="again"), measures=None, actor=ACTOR)
    assert twice.value.message == f"review cycle {cycle.id} is already closed"
    with pytest.raises(Conflict) as edited:
        service.update_cycle(session, cycle.id, CycleEditIn(changes="rewrite history"), actor=ACTOR)
    assert edited.value.message == f"review cycle {cycle.id} is closed; a closed cycle is read-only"
    session.expire_all()
    kept = session.get(ReviewCycle, cycle.id)
    assert (kept.learned, kept.changes, kept.snapshot == closed.snapshot) == (
        "Reels beat stories.", "Move the stories budget to reels.", True)
    view = plan_view(session, plan.id)
    assert (view.open_cycle.id, view.next_cycle_starts_on) == (following.id, date(2026, 12, 1))


def test_an_open_cycle_takes_notes_and_a_new_last_day(session, ws):
    cycle = service.open_cycle(session, CycleIn(starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31)), actor=ACTOR)
    changed = service.update_cycle(session, cycle.id, CycleEditIn(ends_on=date(2026, 11, 7), learned="so far",
                                                                  changes="maybe"), actor=ACTOR)
    assert (changed.ends_on, changed.learned, changed.changes, changed.status) == (
        date(2026, 11, 7), "so far", "maybe", "open")
    with pytest.raises(Invalid, match="^ends_on: 2026-10-01 is not after starts_on 2026-10-01$"):
        service.update_cycle(session, cycle.id, CycleEditIn(ends_on=date(2026, 10, 1)), actor=ACTOR)
    with pytest.raises(NotFound, match="^no review cycle 424242$"):
        service.update_cycle(session, 424242, CycleEditIn(learned="x"), actor=ACTOR)


def test_each_plan_has_its_own_chain_of_cycles(session, ws):
    plan = service.create_plan(session, PlanIn(title="Plan 2026", period_start=date(2026, 1, 1),
                                               period_end=date(2026, 12, 31)), actor=ACTOR)
    loose = service.open_cycle(session, CycleIn(starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31)), actor=ACTOR)
    planned = service.open_cycle(session, CycleIn(starts_on=date(2026, 10, 6), ends_on=date(2026, 10, 19),
                                                  plan_id=plan.id), actor=ACTOR)
    assert [(c.plan_id, c.previous_cycle_id) for c in (loose, planned)] == [(None, None), (plan.id, None)]
    assert (service.latest_cycle(session, None).id, service.latest_cycle(session, plan.id).id) == (loose.id, planned.id)
    with pytest.raises(Invalid, match="^plan_id: there is no plan 424242$"):
        service.open_cycle(session, CycleIn(starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31), plan_id=424242),
                           actor=ACTOR)
