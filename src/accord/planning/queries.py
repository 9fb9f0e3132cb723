"""Read models for the plan: goals, plans and review cycles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.planning.models import Goal, Plan, ReviewCycle


@dataclass(frozen=True)
class PlanOverview:
    """Everything on the plan page."""

    plans: list[Plan]
    goals: list[Goal]
    cycles: list[ReviewCycle]


def plan_overview(session: Session) -> PlanOverview:
    """Plans, goals and review cycles, newest first."""
    return PlanOverview(
        plans=list(session.scalars(select(Plan).order_by(Plan.period_start.desc(), Plan.id.desc()))),
        goals=list(session.scalars(select(Goal).order_by(Goal.period_start.desc(), Goal.id.desc()))),
        cycles=list(session.scalars(select(ReviewCycle).order_by(ReviewCycle.starts_on.desc()))),
    )
