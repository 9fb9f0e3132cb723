"""The plan pages: the written plan with its goals, campaigns, budget and calendar; review cycles; campaigns.

Pages that show goal progress read the store in a short transaction of their own and run the reviews after it,
so no store lock is held while the reviews work.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.campaigns import service as campaigns
from accord.campaigns.models import CAMPAIGN_STATUSES
from accord.campaigns.queries import campaign_detail, list_campaigns
from accord.campaigns.schemas import CampaignIn, SpendEntryIn
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.money import Money
from accord.kernel.vocabulary import CHANNELS
from accord.kernel.workspace import get_workspace, workspace_today
from accord.planning import service as planning
from accord.planning.cycles import cycle_snapshot
from accord.planning.export import plan_markdown, plan_pdf, written_plan
from accord.planning.metrics import ENTRY_HINT, TITLE_OF, UNIT_OF, target_as_text, target_from_text, value_text
from accord.planning.models import GOAL_DIRECTIONS, GOAL_METRICS
from accord.planning.progress import goals_progress, measure_for_close, plan_progress
from accord.planning.queries import cycle_view, list_goals, list_personas, list_plans, plan_view
from accord.planning.schemas import CycleCloseIn, CycleEditIn, CycleIn, GoalIn, PlanIn
from accord.web.forms import optional_date, required_date
from accord.web.security import EVERYONE, PLANNERS, DbSession, page_user, store_of

router = APIRouter()
Text = Annotated[str, Form()]


def _render(request: Request, name: str, user: User, active: str, **context: Any) -> Response:
    context = {"user": user, "active": active, "can_plan": user.role in PLANNERS, "value_text": value_text,
               "title_of": TITLE_OF, **context}
    return request.app.state.templates.TemplateResponse(request, name, context)


def _id(text: str, field: str) -> int | None:
    """An optional id chosen in a select; empty is None."""
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise Invalid(field, f"'{text}' is not an id")
    return int(text)


def _plan_url(plan_id: int | None, anchor: str = "") -> str:
    return (f"/plan?plan={plan_id}" if plan_id else "/plan") + (f"#{anchor}" if anchor else "")


def _choices(session) -> dict[str, Any]:
    """What the goal and campaign forms offer to choose from."""
    return {"metrics": GOAL_METRICS, "directions": GOAL_DIRECTIONS, "channels": CHANNELS,
            "statuses": CAMPAIGN_STATUSES, "persona_choices": list_personas(session),
            "goal_choices": list_goals(session),
            "plan_choices": list_plans(session), "entry_hint": ENTRY_HINT, "unit_of": UNIT_OF}


# --- the plan ------------------------------------------------------------------------------------------------------


@router.get("/plan")
def plan_page(request: Request, user: User = page_user(*EVERYONE),
              plan: int | None = Query(default=None, ge=1)) -> Response:
    """The plan: vision, personas, goals with live progress, campaigns with budget vs spend, calendar, cycles."""
    store = store_of(request)
    with store.transaction() as session:
        view = plan_view(session, plan)
        preview = cycle_snapshot(session, view.open_cycle, None) if view.open_cycle is not None else None
        choices = _choices(session)
    progress = goals_progress(store.settings, view.goals, today=view.today)
    return _render(request, "plan/index.html", user, "/plan", view=view, progress=progress, preview=preview,
                   **choices)


def _plan_in(title: str, vision: str, period_start: str, period_end: str) -> PlanIn:
    return PlanIn(title=title, vision=vision, period_start=optional_date(period_start, "period_start"),
                  period_end=optional_date(period_end, "period_end"))


@router.post("/plan/plans")
def create_plan(session: DbSession, title: Text, period_start: Text = "", period_end: Text = "", vision: Text = "",
                user: User = page_user(*PLANNERS)) -> Response:
    """Write a new plan down."""
    created = planning.create_plan(session, _plan_in(title, vision, period_start, period_end), actor=Actor.user(user))
    return RedirectResponse(_plan_url(created.id), status_code=303)


@router.post("/plan/plans/{plan_id}")
def update_plan(session: DbSession, plan_id: int, title: Text, period_start: Text = "", period_end: Text = "",
                vision: Text = "", user: User = page_user(*PLANNERS)) -> Response:
    """Rewrite a plan's title, vision and period."""
    planning.update_plan(session, plan_id, _plan_in(title, vision, period_start, period_end), actor=Actor.user(user))
    return RedirectResponse(_plan_url(plan_id), status_code=303)


def _written(request: Request, plan_id: int):
    view, progress = plan_progress(store_of(request), plan_id)
    return view, written_plan(view, progress)


def _filename(view, suffix: str) -> str:
    return f"plan-{view.plan.id}-{view.plan.period_start.isoformat()}{suffix}"


@router.get("/plan/plans/{plan_id}/plan.md")
def plan_markdown_file(request: Request, plan_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """The written plan as Markdown."""
    view, written = _written(request, plan_id)
    return Response(plan_markdown(written), media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(view, ".md")}"'})


@router.get("/plan/plans/{plan_id}/plan.pdf")
def plan_pdf_file(request: Request, plan_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """The written plan as PDF."""
    view, written = _written(request, plan_id)
    return Response(plan_pdf(written), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(view, ".pdf")}"'})


# --- goals ---------------------------------------------------------------------------------------------------------


def _goal_in(session, metric: str, target: str, period_start: str, period_end: str, name: str, currency: str,
             direction: str, plan_id: str) -> GoalIn:
    """A goal from its form: the target as a person types it (amount, count, percentage or hours)."""
    money = UNIT_OF.get(metric) == "minor_units"
    chosen = (currency.strip() or get_workspace(session).base_currency) if money else None
    return GoalIn(metric=metric, target=target_from_text(metric, target, chosen), name=name,
                  period_start=optional_date(period_start, "period_start"),
                  period_end=optional_date(period_end, "period_end"),
                  currency=chosen, direction=direction or None, plan_id=_id(plan_id, "plan_id"))


@router.post("/plan/goals")
def create_goal(session: DbSession, metric: Text, target: Text, period_start: Text = "", period_end: Text = "",
                name: Text = "", currency: Text = "", direction: Text = "", plan_id: Text = "",
                user: User = page_user(*PLANNERS)) -> Response:
    """Set a goal."""
    goal = planning.create_goal(session, _goal_in(session, metric, target, period_start, period_end, name, currency,
                                                  direction, plan_id), actor=Actor.user(user))
    return RedirectResponse(_plan_url(goal.plan_id, "goals"), status_code=303)


@router.get("/plan/goals/{goal_id}")
def goal_page(request: Request, goal_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """One goal: its live progress, where the figure comes from, and its form."""
    store = store_of(request)
    with store.transaction() as session:
        goal = planning.get_goal(session, goal_id)
        today = workspace_today(session)
        choices = _choices(session)
    progress = goals_progress(store.settings, [goal], today=today)[0]
    return _render(request, "plan/goal.html", user, "/plan", goal=goal, progress=progress,
                   target_text=target_as_text(goal.metric, goal.target, goal.currency), **choices)


@router.post("/plan/goals/{goal_id}")
def update_goal(session: DbSession, goal_id: int, metric: Text, target: Text, period_start: Text = "",
                period_end: Text = "", name: Text = "", currency: Text = "", direction: Text = "",
                plan_id: Text = "", user: User = page_user(*PLANNERS)) -> Response:
    """Change a goal."""
    planning.update_goal(session, goal_id, _goal_in(session, metric, target, period_start, period_end, name,
                                                    currency, direction, plan_id), actor=Actor.user(user))
    return RedirectResponse(f"/plan/goals/{goal_id}", status_code=303)


@router.post("/plan/goals/{goal_id}/delete")
def delete_goal(session: DbSession, goal_id: int, user: User = page_user(*PLANNERS)) -> Response:
    """Remove a goal."""
    plan_id = planning.get_goal(session, goal_id).plan_id
    planning.delete_goal(session, goal_id, actor=Actor.user(user))
    return RedirectResponse(_plan_url(plan_id, "goals"), status_code=303)


# --- review cycles -------------------------------------------------------------------------------------------------


@router.post("/plan/cycles")
def open_cycle(session: DbSession, ends_on: Text, starts_on: Text = "", plan_id: Text = "",
               user: User = page_user(*PLANNERS)) -> Response:
    """Open the first review cycle, or the next one."""
    cycle = planning.open_cycle(session, CycleIn(starts_on=optional_date(starts_on, "starts_on"),
                                                 ends_on=required_date(ends_on, "ends_on"),
                                                 plan_id=_id(plan_id, "plan_id")), actor=Actor.user(user))
    return RedirectResponse(f"/plan/cycles/{cycle.id}", status_code=303)


@router.get("/plan/cycles/{cycle_id}")
def cycle_page(request: Request, cycle_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """A review cycle: its agenda, what it covers, and its snapshot once closed (the close form while open)."""
    with store_of(request).transaction() as session:
        view = cycle_view(session, cycle_id)
        # A closed cycle shows only what it recorded; an open one shows spend so far, straight from the store.
        shown = view.cycle.snapshot if view.cycle.status == "closed" else cycle_snapshot(session, view.cycle, None)
    return _render(request, "plan/cycle.html", user, "/plan", view=view, shown=shown)


@router.post("/plan/cycles/{cycle_id}")
def update_cycle(session: DbSession, cycle_id: int, ends_on: Text = "", learned: Text = "", changes: Text = "",
                 user: User = page_user(*PLANNERS)) -> Response:
    """Save an open cycle's last day and draft notes."""
    planning.update_cycle(session, cycle_id, CycleEditIn(ends_on=optional_date(ends_on, "ends_on"), learned=learned,
                                                         changes=changes), actor=Actor.user(user))
    return RedirectResponse(f"/plan/cycles/{cycle_id}", status_code=303)


@router.post("/plan/cycles/{cycle_id}/close")
def close_cycle(request: Request, session: DbSession, cycle_id: int, learned: Text = "", changes: Text = "",
                user: User = page_user(*PLANNERS)) -> Response:
    """Close the cycle with its snapshot and what was learned; the next cycle opens from it."""
    measures = measure_for_close(store_of(request), cycle_id)
    planning.close_cycle(session, cycle_id, CycleCloseIn(learned=learned, changes=changes), measures=measures,
                         actor=Actor.user(user))
    return RedirectResponse(f"/plan/cycles/{cycle_id}", status_code=303)


# --- campaigns -----------------------------------------------------------------------------------------------------


def _campaign_in(name: str, channel: str, starts_on: str, ends_on: str, budget: str, currency: str, status: str,
                 ideas: str, persona_id: str, goal_id: str, plan_id: str, utm_campaign: str) -> CampaignIn:
    """A campaign from its form: the budget as an amount in major units ('12500.00')."""
    money = Money.parse(budget.strip() or "0", currency.strip(), field="budget")
    return CampaignIn(name=name, channel=channel, starts_on=required_date(starts_on, "starts_on"),
                      ends_on=required_date(ends_on, "ends_on"), budget_minor=money.minor, currency=money.currency,
                      status=status, ideas=ideas, persona_id=_id(persona_id, "persona_id"),
                      goal_id=_id(goal_id, "goal_id"), plan_id=_id(plan_id, "plan_id"), utm_campaign=utm_campaign)


@router.get("/campaigns")
def campaigns_page(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """Campaigns with budget against spend in the base currency, and the form to plan one."""
    return _render(request, "campaigns/index.html", user, "/campaigns", campaigns=list_campaigns(session),
                   base_currency=get_workspace(session).base_currency, **_choices(session))


@router.post("/campaigns")
def create_campaign(session: DbSession, name: Text, channel: Text, starts_on: Text, ends_on: Text,
                    currency: Text, budget: Text = "", status: Text = "planned", ideas: Text = "",
                    persona_id: Text = "", goal_id: Text = "", plan_id: Text = "", utm_campaign: Text = "",
                    back: Text = "campaign", user: User = page_user(*PLANNERS)) -> Response:
    """Plan a campaign; back to the plan when planned there."""
    campaign = campaigns.create_campaign(session, _campaign_in(
        name, channel, starts_on, ends_on, budget, currency, status, ideas, persona_id, goal_id, plan_id,
        utm_campaign), actor=Actor.user(user))
    target = _plan_url(campaign.plan_id, "campaigns") if back == "plan" else f"/campaigns/{campaign.id}"
    return RedirectResponse(target, status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, session: DbSession, campaign_id: int,
                  user: User = page_user(*EVERYONE)) -> Response:
    """One campaign: budget against spend, its spend rows, and its form."""
    detail = campaign_detail(session, campaign_id)
    return _render(request, "campaigns/detail.html", user, "/campaigns", detail=detail, c=detail.campaign,
                   budget_text=str(Money(detail.campaign.budget_minor, detail.campaign.currency).decimal),
                   **_choices(session))


@router.post("/campaigns/{campaign_id}")
def update_campaign(session: DbSession, campaign_id: int, name: Text, channel: Text, starts_on: Text,
                    ends_on: Text, currency: Text, budget: Text = "", status: Text = "planned", ideas: Text = "",
                    persona_id: Text = "", goal_id: Text = "", plan_id: Text = "", utm_campaign: Text = "",
                    user: User = page_user(*PLANNERS)) -> Response:
    """Change a campaign's plan."""
    campaigns.update_campaign(session, campaign_id, _campaign_in(
        name, channel, starts_on, ends_on, budget, currency, status, ideas, persona_id, goal_id, plan_id,
        utm_campaign), actor=Actor.user(user))
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/spend")
def add_spend(session: DbSession, campaign_id: int, spent_on: Text, amount: Text, currency: Text, note: Text = "",
              user: User = page_user(*PLANNERS)) -> Response:
    """Record what the campaign cost on a day."""
    money = Money.parse(amount, currency.strip(), field="amount")
    campaigns.add_spend(session, campaign_id, SpendEntryIn(spent_on=required_date(spent_on, "spent_on"),
                                                           amount_minor=money.minor, currency=money.currency,
                                                           note=note), actor=Actor.user(user))
    return RedirectResponse(f"/campaigns/{campaign_id}#spend", status_code=303)
