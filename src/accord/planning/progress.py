"""Live progress of goals, measured by the same reviews the Reviews pages run, and whether each is on course.

Each metric is one number of one review, run over the goal's period [first day, last day + 1):

- revenue: the revenue review's net revenue (in the base currency);
- new_customers: the customers review, run over all history up to the period's end, counting the customers whose
  first purchase falls in the period;
- conversion_rate: the journey review's contacts first touched in the period who were won, as a share of them;
- response_time: the alignment scorecard's median first response to engagements, in business hours;
- engaged_contacts: the audience review's engaged contacts (an engagement in the period that is not spam).

On course: while the period runs, a goal on a metric that adds up over the period (revenue, new customers,
engaged contacts) is on course when the figure so far has reached the target prorated over the days elapsed
(today included): target × elapsed days ÷ days in the period. A rate (conversion, response time) is compared
with the target itself. An at_most goal is on course while the figure is at or under the target. Once the
period is over, the goal is met or missed on the whole period's figure; before it starts, it has not started.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from accord.errors import AccordError, Conflict
from accord.kernel.store import Store
from accord.kernel.workspace import workspace_today
from accord.planning.cycles import cycle_goals
from accord.planning.metrics import BASIS_POINTS, CUMULATIVE, SECONDS_AN_HOUR
from accord.planning.models import Goal
from accord.planning.queries import PlanView, plan_view
from accord.planning.service import get_cycle
from accord.reviews import alignment, audience, customers, journey, revenue, roi
from accord.reviews.base import Review, ReviewQuery, ReviewResult
from accord.reviews.report import NOT_SYNCED, is_synced, warehouse_for
from accord.settings import Settings

NOT_STARTED, ON_COURSE, BEHIND, MET, MISSED = "not started", "on course", "behind", "met", "missed"
NO_FIGURE, UNAVAILABLE = "no figure yet", "unavailable"
ROI_MODEL = "linear"


@dataclass(frozen=True)
class GoalProgress:
    """A goal's figure so far in its own unit, what was due by now, and its status, with the review it came from."""

    goal: Goal
    actual: float | None
    expected_so_far: float | None
    share_of_target: float | None
    status: str
    source: str
    note: str
    as_of: date


class Reviews:
    """Runs reviews over one warehouse, each distinct query once (several goals often share a period)."""

    def __init__(self, warehouse: Any) -> None:
        self.warehouse = warehouse
        self._done: dict[tuple[str, ReviewQuery], ReviewResult] = {}

    def run(self, review: Review, query: ReviewQuery) -> Any:
        """The review's result for the query."""
        key = (review.name, query)
        if key not in self._done:
            self._done[key] = review.run(self.warehouse, query)
        return self._done[key]


def _after(goal: Goal) -> date:
    return goal.period_end + timedelta(days=1)


def _revenue(reviews: Reviews, goal: Goal) -> tuple[float | None, str, str]:
    result = reviews.run(revenue.REVIEW, revenue.RevenueQuery(from_on=goal.period_start, to_on=_after(goal),
                                                              by="month"))
    note = "" if result.currency == goal.currency else (
        f"the revenue review counts in {result.currency}, the goal in {goal.currency}; set the goal again")
    return (result.net_minor if not note else None), f"Revenue review: net revenue in {result.currency}", note


def _new_customers(reviews: Reviews, goal: Goal) -> tuple[float | None, str, str]:
    result = reviews.run(customers.REVIEW, customers.CustomersQuery(to_on=_after(goal)))
    new = sum(1 for c in result.customers if c.first_on >= goal.period_start)
    return new, "Customers review: customers whose first purchase falls in the period", ""


def _conversion(reviews: Reviews, goal: Goal) -> tuple[float | None, str, str]:
    result = reviews.run(journey.REVIEW, journey.JourneyQuery(from_on=goal.period_start, to_on=_after(goal)))
    source = "Journey review: contacts first touched in the period who were won, of all first touched"
    if not result.contacts:
        return None, source, "nobody was first touched in the period yet"
    return result.won * BASIS_POINTS / result.contacts, source, f"{result.won:,} won of {result.contacts:,}"


def _response_time(reviews: Reviews, goal: Goal) -> tuple[float | None, str, str]:
    result = reviews.run(alignment.REVIEW, alignment.AlignmentQuery(from_on=goal.period_start, to_on=_after(goal)))
    median = next(m for m in result.measures if m.key == "engagement_response_median")
    source = "Alignment scorecard: median first response to engagements, in business hours"
    if median.value is None:
        return None, source, median.note
    return median.value * SECONDS_AN_HOUR, source, f"of {median.denominator:,} answered engagements"


def _engaged(reviews: Reviews, goal: Goal) -> tuple[float | None, str, str]:
    result = reviews.run(audience.REVIEW, audience.AudienceQuery(from_on=goal.period_start, to_on=_after(goal),
                                                                 dimensions=("channel",)))
    return result.engaged, "Audience review: contacts with an engagement in the period that is not spam", ""


MEASURE: dict[str, Callable[[Reviews, Goal], tuple[float | None, str, str]]] = {
    "revenue": _revenue,
    "new_customers": _new_customers,
    "conversion_rate": _conversion,
    "response_time": _response_time,
    "engaged_contacts": _engaged,
}


def _reached(goal: Goal, actual: float) -> bool:
    return actual <= goal.target if goal.direction == "at_most" else actual >= goal.target


def judge(goal: Goal, actual: float | None, today: date) -> tuple[str, float | None]:
    """The goal's status on `today` and what was due by then (the rule is in this module's docstring)."""
    if today < goal.period_start:
        return NOT_STARTED, None
    if actual is None:
        return NO_FIGURE, None
    if today > goal.period_end:
        return (MET if _reached(goal, actual) else MISSED), float(goal.target)
    if goal.metric in CUMULATIVE and goal.direction == "at_least":
        days = (goal.period_end - goal.period_start).days + 1
        elapsed = (today - goal.period_start).days + 1
        expected = goal.target * elapsed / days
        return (ON_COURSE if actual >= expected else BEHIND), expected
    return (ON_COURSE if _reached(goal, actual) else BEHIND), float(goal.target)


def progress_of(reviews: Reviews, goal: Goal, today: date) -> GoalProgress:
    """One goal's progress from the reviews."""
    try:
        actual, source, note = MEASURE[goal.metric](reviews, goal)
    except AccordError as exc:  # one review refusing must not hide the other goals
        return GoalProgress(goal, None, None, None, UNAVAILABLE, goal.metric, exc.message, today)
    status, expected = judge(goal, actual, today)
    share = round(actual / goal.target, 4) if actual is not None and goal.target else None
    return GoalProgress(goal, actual, expected, share, status, source, note, today)


def measure_goals(warehouse: Any, goals: Sequence[Goal], *, today: date) -> list[GoalProgress]:
    """Every goal's progress over a warehouse; when it was never synced, each says so."""
    if not goals:
        return []
    if not is_synced(warehouse):
        return [unavailable(goal, today) for goal in goals]
    reviews = Reviews(warehouse)
    return [progress_of(reviews, goal, today) for goal in goals]


def unavailable(goal: Goal, today: date, why: str = NOT_SYNCED) -> GoalProgress:
    """Progress that cannot be measured, with the reason."""
    return GoalProgress(goal, None, None, None, UNAVAILABLE, goal.metric, why, today)


def goals_progress(settings: Settings, goals: Sequence[Goal], *, today: date) -> list[GoalProgress]:
    """Every goal's progress, over the workspace's warehouse."""
    if not goals:
        return []
    with warehouse_for(settings) as warehouse:
        return measure_goals(warehouse, goals, today=today)


def plan_progress(store: Store, plan_id: int | None = None) -> tuple[PlanView, list[GoalProgress]]:
    """A plan (the given one, else the current one) and its goals' progress, measured after the store's transaction."""
    with store.transaction() as session:
        view = plan_view(session, plan_id)
    return view, goals_progress(store.settings, view.goals, today=view.today)


@dataclass(frozen=True)
class CycleMeasures:
    """What the reviews say about a cycle: its goals' progress and each campaign's results (by name)."""

    as_of: date
    goals: list[GoalProgress]
    results: dict[str, roi.RoiLine] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def measure_cycle(settings: Settings, goals: Sequence[Goal], *, starts_on: date, ends_on: date,
                  today: date) -> CycleMeasures:
    """Goal progress and the ROI review's per-campaign results for the cycle's days, from the warehouse."""
    with warehouse_for(settings) as warehouse:
        if not is_synced(warehouse):
            return CycleMeasures(today, [unavailable(goal, today) for goal in goals], {}, [NOT_SYNCED])
        reviews = Reviews(warehouse)
        progress = [progress_of(reviews, goal, today) for goal in goals]
        try:
            found = reviews.run(roi.REVIEW, roi.RoiQuery(from_on=starts_on, to_on=ends_on + timedelta(days=1),
                                                         by="campaign", model=ROI_MODEL))
        except AccordError as exc:
            return CycleMeasures(today, progress, {}, [f"Campaign results are missing: {exc.message}"])
    notes = [f"Results per campaign: revenue credited by the ROI review's {ROI_MODEL} attribution model over the "
             f"cycle's days, in {found.currency}; ROI = (revenue − spend) ÷ spend."]
    return CycleMeasures(today, progress, {line.name: line for line in found.lines}, notes)


def measure_for_close(store: Store, cycle_id: int) -> CycleMeasures:
    """The reviews' figures for closing a cycle, read before (and outside) the transaction that closes it."""
    with store.transaction() as session:
        cycle = get_cycle(session, cycle_id)
        if cycle.status == "closed":
            raise Conflict(f"review cycle {cycle_id} is already closed")
        goals, today = cycle_goals(session, cycle), workspace_today(session)
        starts_on, ends_on = cycle.starts_on, cycle.ends_on
    return measure_cycle(store.settings, goals, starts_on=starts_on, ends_on=ends_on, today=today)
