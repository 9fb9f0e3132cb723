"""API: goals with live progress, plans and their written export, campaigns with budget vs spend, review cycles.

Owners and marketing write; everyone reads. Endpoints that measure goals read the store in a short transaction
of their own and run the reviews after it, so no store lock is held while the reviews work.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from accord.accounts.models import User
from accord.campaigns import service as campaigns
from accord.campaigns.queries import campaign_detail, list_campaigns
from accord.campaigns.schemas import CampaignIn, CampaignOut, CampaignSpendOut, SpendEntryIn, SpendOut
from accord.kernel.audit import Actor
from accord.kernel.workspace import workspace_today
from accord.planning import service as planning
from accord.planning.export import plan_markdown, plan_pdf, written_plan
from accord.planning.progress import goals_progress, measure_for_close, plan_progress
from accord.planning.queries import list_cycles, list_goals, list_plans
from accord.planning.schemas import (
    CycleClosedOut, CycleCloseIn, CycleEditIn, CycleIn, CycleOut, GoalIn, GoalOut, GoalProgressOut, PlanDocumentOut,
    PlanIn, PlanOut,
)
from accord.web.security import EVERYONE, PLANNERS, DbSession, api_user, store_of

router = APIRouter(tags=["plan"])


# --- goals ---------------------------------------------------------------------------------------------------------


@router.get("/goals", response_model=list[GoalProgressOut])
def goals(request: Request, user: User = api_user(*EVERYONE),
          plan_id: int | None = Query(default=None, description="only the goals this plan holds")):
    """Every goal (or a plan's) with its live progress from the reviews and whether it is on course."""
    store = store_of(request)
    with store.transaction() as session:
        plan = planning.get_plan(session, plan_id) if plan_id is not None else None
        found, today = list_goals(session, plan), workspace_today(session)
    return [GoalProgressOut.of(p) for p in goals_progress(store.settings, found, today=today)]


@router.get("/goals/{goal_id}", response_model=GoalProgressOut)
def goal(request: Request, goal_id: int, user: User = api_user(*EVERYONE)):
    """One goal with its live progress."""
    store = store_of(request)
    with store.transaction() as session:
        found, today = planning.get_goal(session, goal_id), workspace_today(session)
    return GoalProgressOut.of(goals_progress(store.settings, [found], today=today)[0])


@router.post("/goals", response_model=GoalOut, status_code=201)
def create_goal(data: GoalIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Set a goal; the target is in the metric's unit (see the schema)."""
    return planning.create_goal(session, data, actor=Actor.user(user))


@router.put("/goals/{goal_id}", response_model=GoalOut)
def update_goal(goal_id: int, data: GoalIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Replace a goal's fields."""
    return planning.update_goal(session, goal_id, data, actor=Actor.user(user))


@router.delete("/goals/{goal_id}", status_code=204, response_class=Response)
def delete_goal(goal_id: int, session: DbSession, user: User = api_user(*PLANNERS)) -> Response:
    """Remove a goal."""
    planning.delete_goal(session, goal_id, actor=Actor.user(user))
    return Response(status_code=204)


# --- plans ---------------------------------------------------------------------------------------------------------


@router.get("/plans", response_model=list[PlanOut])
def plans(session: DbSession, user: User = api_user(*EVERYONE)):
    """Every plan, latest period first."""
    return list_plans(session)


@router.get("/plans/{plan_id}", response_model=PlanDocumentOut)
def plan(request: Request, plan_id: int, user: User = api_user(*EVERYONE)):
    """A plan with its vision, personas, goals and their progress, campaigns, budget and calendar."""
    return PlanDocumentOut.of(*plan_progress(store_of(request), plan_id))


@router.post("/plans", response_model=PlanOut, status_code=201)
def create_plan(data: PlanIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Write a plan down."""
    return planning.create_plan(session, data, actor=Actor.user(user))


@router.put("/plans/{plan_id}", response_model=PlanOut)
def update_plan(plan_id: int, data: PlanIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Rewrite a plan's title, vision and period."""
    return planning.update_plan(session, plan_id, data, actor=Actor.user(user))


def _written(request: Request, plan_id: int):
    return written_plan(*plan_progress(store_of(request), plan_id))


@router.get("/plans/{plan_id}/plan.md", response_class=Response,
            responses={200: {"content": {"text/markdown": {}}}})
def plan_markdown_file(request: Request, plan_id: int, user: User = api_user(*EVERYONE)) -> Response:
    """The written plan as Markdown."""
    return Response(plan_markdown(_written(request, plan_id)), media_type="text/markdown; charset=utf-8")


@router.get("/plans/{plan_id}/plan.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def plan_pdf_file(request: Request, plan_id: int, user: User = api_user(*EVERYONE)) -> Response:
    """The written plan as PDF."""
    return Response(plan_pdf(_written(request, plan_id)), media_type="application/pdf")


# --- campaigns -----------------------------------------------------------------------------------------------------


@router.get("/campaigns", response_model=list[CampaignSpendOut])
def campaign_list(session: DbSession, user: User = api_user(*EVERYONE)):
    """Every campaign with its budget and spend to date in the base currency."""
    return list_campaigns(session)


@router.get("/campaigns/{campaign_id}", response_model=CampaignSpendOut)
def campaign(session: DbSession, campaign_id: int, user: User = api_user(*EVERYONE)):
    """One campaign with its budget and spend to date in the base currency."""
    return campaign_detail(session, campaign_id).campaign


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(data: CampaignIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Plan a campaign: budget in minor units with an ISO 4217 currency."""
    return campaigns.create_campaign(session, data, actor=Actor.user(user))


@router.put("/campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(campaign_id: int, data: CampaignIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Replace a campaign's fields."""
    return campaigns.update_campaign(session, campaign_id, data, actor=Actor.user(user))


@router.post("/campaigns/{campaign_id}/spend", response_model=SpendOut, status_code=201)
def add_spend(campaign_id: int, data: SpendEntryIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Record what a campaign cost on one day."""
    return campaigns.add_spend(session, campaign_id, data, actor=Actor.user(user))


# --- review cycles -------------------------------------------------------------------------------------------------


@router.get("/review-cycles", response_model=list[CycleOut])
def cycles(session: DbSession, user: User = api_user(*EVERYONE)):
    """Every review cycle, latest first; closed ones carry their snapshot."""
    return list_cycles(session)


@router.get("/review-cycles/{cycle_id}", response_model=CycleOut)
def cycle(session: DbSession, cycle_id: int, user: User = api_user(*EVERYONE)):
    """One review cycle."""
    return planning.get_cycle(session, cycle_id)


@router.post("/review-cycles", response_model=CycleOut, status_code=201)
def open_cycle(data: CycleIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Open a plan's first review cycle, or the next one (it starts the day after the last one ends)."""
    return planning.open_cycle(session, data, actor=Actor.user(user))


@router.patch("/review-cycles/{cycle_id}", response_model=CycleOut)
def update_cycle(cycle_id: int, data: CycleEditIn, session: DbSession, user: User = api_user(*PLANNERS)):
    """Change an open cycle's last day or draft notes; 409 once it is closed."""
    return planning.update_cycle(session, cycle_id, data, actor=Actor.user(user))


@router.post("/review-cycles/{cycle_id}/close", response_model=CycleClosedOut)
def close_cycle(request: Request, cycle_id: int, data: CycleCloseIn, session: DbSession,
                user: User = api_user(*PLANNERS)):
    """Close with a snapshot, what was learned and what changes; opens the next cycle. 409 if already closed."""
    measures = measure_for_close(store_of(request), cycle_id)
    closed, following = planning.close_cycle(session, cycle_id, data, measures=measures, actor=Actor.user(user))
    return CycleClosedOut(closed=CycleOut.model_validate(closed), next=CycleOut.model_validate(following))
