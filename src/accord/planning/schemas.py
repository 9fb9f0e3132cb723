"""Planning shapes for services and the API: goals, plans and review cycles, in and out."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from accord.campaigns.schemas import CampaignSpendOut

if TYPE_CHECKING:
    from accord.planning.progress import GoalProgress
    from accord.planning.queries import PlanView


class GoalIn(BaseModel):
    """A target on a metric for a period; the service checks every field and names the one at fault."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="revenue, new_customers, conversion_rate, response_time or engaged_contacts")
    target: int = Field(description="in the metric's unit: revenue in minor units of `currency`, new customers "
                                    "and engaged contacts as a count, conversion in basis points (12.5% is 1250), "
                                    "response time in seconds of business hours")
    period_start: date | None = Field(default=None, description="first day of the period")
    period_end: date | None = Field(default=None, description="last day of the period (included)")
    name: str = Field(default="", description="default: the metric and the period")
    currency: str | None = Field(default=None, description="revenue goals only; default the base currency")
    direction: str | None = Field(default=None, description="at_least or at_most; response_time defaults to "
                                                            "at_most, the others to at_least")
    plan_id: int | None = None


class GoalOut(BaseModel):
    """A stored goal."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    metric: str
    unit: str
    target: int
    currency: str | None
    period_start: date
    period_end: date
    direction: str
    plan_id: int | None
    created_at: datetime


class GoalProgressOut(BaseModel):
    """A goal with its live progress, measured by the review named in `source`."""

    goal: GoalOut
    actual: float | None = Field(description="in the goal's unit; None when the review has no figure yet")
    expected_so_far: float | None = Field(description="the target prorated over the days elapsed, for "
                                                      "metrics that add up over a period")
    share_of_target: float | None
    status: str
    source: str
    note: str
    as_of: date

    @classmethod
    def of(cls, progress: GoalProgress) -> GoalProgressOut:
        """The API's view of a goal's progress."""
        return cls(goal=GoalOut.model_validate(progress.goal), actual=progress.actual,
                   expected_so_far=progress.expected_so_far, share_of_target=progress.share_of_target,
                   status=progress.status, source=progress.source, note=progress.note, as_of=progress.as_of)


class PlanIn(BaseModel):
    """The written plan for a period."""

    model_config = ConfigDict(extra="forbid")

    title: str
    vision: str = ""
    period_start: date | None = None
    period_end: date | None = None


class PlanOut(BaseModel):
    """A stored plan."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    vision: str
    period_start: date
    period_end: date
    created_at: datetime


class CycleIn(BaseModel):
    """Open a review cycle: the first of a plan, or the next, which starts the day after the last one ends."""

    model_config = ConfigDict(extra="forbid")

    ends_on: date = Field(description="last day of the cycle (included)")
    starts_on: date | None = Field(default=None, description="required for the first cycle; the next one starts "
                                                             "the day after the previous cycle ends")
    plan_id: int | None = None


class CycleEditIn(BaseModel):
    """Change an open cycle: its last day, and notes drafted while it runs."""

    model_config = ConfigDict(extra="forbid")

    ends_on: date | None = None
    learned: str | None = None
    changes: str | None = None


class CycleCloseIn(BaseModel):
    """What the cycle taught, and what changes in the next one."""

    model_config = ConfigDict(extra="forbid")

    learned: str
    changes: str = ""


class CycleOut(BaseModel):
    """A review cycle; a closed one carries its snapshot."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    plan_id: int | None
    previous_cycle_id: int | None
    starts_on: date
    ends_on: date
    status: str
    learned: str
    changes: str
    snapshot: dict[str, Any] | None
    closed_at: datetime | None
    closed_by_user_id: int | None


class CycleClosedOut(BaseModel):
    """The cycle just closed and the one it opened."""

    closed: CycleOut
    next: CycleOut


class PersonaOut(BaseModel):
    """A persona as the plan lists it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    description: str


class BudgetOut(BaseModel):
    """The plan's budget and spend to date in the base currency, and budgets per currency they were set in."""

    model_config = ConfigDict(from_attributes=True)

    base_currency: str
    budget_base_minor: int
    spent_base_minor: int
    by_currency: dict[str, int]
    without_rate: list[str] = Field(description="campaigns whose budget had no rate to the base currency")


class CalendarRowOut(BaseModel):
    """A campaign and whether it runs in each month of the calendar."""

    campaign_id: int
    name: str
    runs: list[bool]


class CalendarOut(BaseModel):
    """Campaigns by month across the plan's period."""

    months: list[date]
    rows: list[CalendarRowOut]


class PlanDocumentOut(BaseModel):
    """A plan with everything it holds: vision, personas, goals with progress, campaigns, budget, calendar."""

    plan: PlanOut | None
    vision: str
    vision_source: str
    personas: list[PersonaOut]
    goals: list[GoalProgressOut]
    campaigns: list[CampaignSpendOut]
    budget: BudgetOut
    calendar: CalendarOut
    open_cycle_id: int | None
    today: date

    @classmethod
    def of(cls, view: PlanView, progress: list[GoalProgress]) -> PlanDocumentOut:
        """The API's view of a plan."""
        return cls(
            plan=PlanOut.model_validate(view.plan) if view.plan is not None else None, vision=view.vision,
            vision_source=view.vision_source, personas=[PersonaOut.model_validate(p) for p in view.personas],
            goals=[GoalProgressOut.of(p) for p in progress],
            campaigns=[CampaignSpendOut.model_validate(c) for c in view.campaigns],
            budget=BudgetOut.model_validate(view.budget),
            calendar=CalendarOut(months=view.calendar.months, rows=[
                CalendarRowOut(campaign_id=r.campaign.id, name=r.campaign.name, runs=r.runs)
                for r in view.calendar.rows]),
            open_cycle_id=view.open_cycle.id if view.open_cycle is not None else None, today=view.today,
        )
