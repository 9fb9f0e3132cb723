"""Read models for the plan: what a plan holds (vision, personas, goals, campaigns, budget, calendar) and cycles.

A plan holds the goals and campaigns linked to it, and those linked to no plan whose dates overlap its period,
so work planned before the plan was written down still shows in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.business.queries import latest_version
from accord.campaigns.models import Campaign
from accord.campaigns.queries import CampaignRow, list_campaigns
from accord.kernel.clock import months_after
from accord.kernel.workspace import get_workspace, workspace_today
from accord.personas.models import Persona
from accord.planning.cycles import cycle_campaigns, cycle_goals, overlaps
from accord.planning.models import Goal, Plan, ReviewCycle
from accord.planning.service import get_cycle, get_plan, latest_cycle


@dataclass(frozen=True)
class PersonaRow:
    """A persona as the plan lists it."""

    id: int
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class Budget:
    """The plan's campaigns' budgets and spend to date, in the base currency, with budgets per own currency."""

    base_currency: str
    budget_base_minor: int
    spent_base_minor: int
    by_currency: dict[str, int]
    without_rate: list[str]


@dataclass(frozen=True)
class CalendarRow:
    """A campaign and, for each month of the calendar, whether it runs in that month."""

    campaign: CampaignRow
    runs: list[bool]


@dataclass(frozen=True)
class Calendar:
    """Campaigns by month across the plan's period."""

    months: list[date]
    rows: list[CalendarRow]


@dataclass(frozen=True)
class PlanView:
    """Everything the plan page and the written plan show, read from the store."""

    plan: Plan | None
    plans: list[Plan]
    vision: str
    vision_source: str
    personas: list[PersonaRow]
    goals: list[Goal]
    campaigns: list[CampaignRow]
    budget: Budget
    calendar: Calendar
    cycles: list[ReviewCycle]
    open_cycle: ReviewCycle | None
    next_cycle_starts_on: date | None
    base_currency: str
    business: str
    today: date


def in_plan(plan: Plan, first: Any, last: Any, linked: Any) -> ColumnElement[bool]:
    """Rows linked to the plan, or linked to none with days overlapping the plan's period."""
    return or_(linked == plan.id, and_(linked.is_(None), overlaps(first, last, plan.period_start, plan.period_end)))


def list_plans(session: Session) -> list[Plan]:
    """Every plan, latest period first."""
    return list(session.scalars(select(Plan).order_by(Plan.period_start.desc(), Plan.id.desc())))


def current_plan(plans: list[Plan], today: date) -> Plan | None:
    """The plan whose period holds today (the latest such), else the one that starts latest."""
    running = [p for p in plans if p.period_start <= today <= p.period_end]
    return (running or plans or [None])[0]


def list_personas(session: Session) -> list[PersonaRow]:
    """Every persona by name."""
    rows = session.scalars(select(Persona).order_by(Persona.name))
    return [PersonaRow(p.id, p.name, p.kind, p.description) for p in rows]


def list_goals(session: Session, plan: Plan | None = None) -> list[Goal]:
    """Goals (of a plan, or all), by period then id."""
    query = select(Goal).order_by(Goal.period_start, Goal.id)
    if plan is not None:
        query = query.where(in_plan(plan, Goal.period_start, Goal.period_end, Goal.plan_id))
    return list(session.scalars(query))


def list_cycles(session: Session) -> list[ReviewCycle]:
    """Every review cycle, latest first."""
    return list(session.scalars(select(ReviewCycle).order_by(ReviewCycle.starts_on.desc(), ReviewCycle.id.desc())))


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = months_after(month, 1)
    return months


def _calendar(plan: Plan | None, campaigns: list[CampaignRow]) -> Calendar:
    if plan is None or not campaigns:
        return Calendar([], [])
    months = _months(plan.period_start, plan.period_end)
    ordered = sorted(campaigns, key=lambda c: (c.starts_on, c.name))
    rows = [CalendarRow(c, [c.starts_on < months_after(m, 1) and c.ends_on >= m for m in months]) for c in ordered]
    return Calendar(months, rows)


def _budget(base: str, campaigns: list[CampaignRow]) -> Budget:
    by_currency: dict[str, int] = {}
    for c in campaigns:
        by_currency[c.currency] = by_currency.get(c.currency, 0) + c.budget_minor
    return Budget(
        base_currency=base,
        budget_base_minor=sum(c.budget_base_minor or 0 for c in campaigns),
        spent_base_minor=sum(c.spent_base_minor for c in campaigns),
        by_currency=dict(sorted(by_currency.items())),
        without_rate=[c.name for c in campaigns if c.budget_base_minor is None],
    )


def _vision(session: Session, plan: Plan | None) -> tuple[str, str]:
    """The plan's own vision, else the latest business review's."""
    if plan is not None and plan.vision.strip():
        return plan.vision, "the plan"
    latest = latest_version(session)
    if latest is not None and latest.vision.strip():
        return latest.vision, f"business review version {latest.number}"
    return "", ""


def plan_view(session: Session, plan_id: int | None = None) -> PlanView:
    """A plan (the given one, else the current one) with everything it holds; without any plan, everything."""
    workspace = get_workspace(session)
    today = workspace_today(session)
    plans = list_plans(session)
    plan = get_plan(session, plan_id) if plan_id is not None else current_plan(plans, today)
    where = in_plan(plan, Campaign.starts_on, Campaign.ends_on, Campaign.plan_id) if plan is not None else None
    campaigns = sorted(list_campaigns(session, where=where), key=lambda c: (c.starts_on, c.name))
    latest = latest_cycle(session, plan.id if plan is not None else None)
    open_cycle = latest if latest is not None and latest.status == "open" else None
    vision, source = _vision(session, plan)
    return PlanView(
        plan=plan, plans=plans, vision=vision, vision_source=source, personas=list_personas(session),
        goals=list_goals(session, plan), campaigns=campaigns, budget=_budget(workspace.base_currency, campaigns),
        calendar=_calendar(plan, campaigns), cycles=list_cycles(session), open_cycle=open_cycle,
        next_cycle_starts_on=latest.ends_on + timedelta(days=1) if latest is not None else None,
        base_currency=workspace.base_currency, business=workspace.name, today=today,
    )


@dataclass(frozen=True)
class CycleView:
    """One review cycle with what it covers: its goals and campaigns, the agenda it started from."""

    cycle: ReviewCycle
    plan: Plan | None
    previous: ReviewCycle | None
    following: ReviewCycle | None
    goals: list[Goal]
    campaigns: list[CampaignRow]
    closed_by: str | None
    base_currency: str
    today: date

    @property
    def agenda(self) -> str:
        """What the previous cycle decided to change: where this one starts."""
        return self.previous.changes if self.previous is not None else ""


def cycle_view(session: Session, cycle_id: int) -> CycleView:
    """A review cycle with its plan, neighbours, goals and campaigns."""
    cycle = get_cycle(session, cycle_id)
    previous = session.get(ReviewCycle, cycle.previous_cycle_id) if cycle.previous_cycle_id else None
    following = session.scalar(select(ReviewCycle).where(ReviewCycle.previous_cycle_id == cycle.id).limit(1))
    closer = session.get(User, cycle.closed_by_user_id) if cycle.closed_by_user_id else None
    return CycleView(
        cycle=cycle, plan=session.get(Plan, cycle.plan_id) if cycle.plan_id else None, previous=previous,
        following=following, goals=cycle_goals(session, cycle), campaigns=cycle_campaigns(session, cycle),
        closed_by=closer.name if closer else None, base_currency=get_workspace(session).base_currency,
        today=workspace_today(session),
    )
