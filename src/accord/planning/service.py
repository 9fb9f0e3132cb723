"""Writes for planning: goals, the written plan, and review cycles that close with a snapshot and open the next.

Every period here names its first and its last day, both included; reviews are asked for [first, last + 1).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor, record, snapshot
from accord.kernel.clock import months_after, utcnow
from accord.kernel.db import get_row
from accord.kernel.money import check_currency
from accord.kernel.workspace import get_workspace
from accord.planning.cycles import cycle_snapshot
from accord.planning.metrics import BASIS_POINTS, DEFAULT_DIRECTION, TITLE_OF, UNIT_OF, check_metric
from accord.planning.models import GOAL_DIRECTIONS, Goal, Plan, ReviewCycle
from accord.planning.schemas import CycleCloseIn, CycleEditIn, CycleIn, GoalIn, PlanIn

if TYPE_CHECKING:
    from accord.planning.progress import CycleMeasures

MAX_TITLE = 200
MAX_TEXT = 20_000
# Targets are stored as 64-bit integers.
MAX_TARGET = 10**15


def _text(value: str | None, field: str, limit: int, *, empty: str | None = None) -> str:
    """Trimmed text within the limit; `empty`, when given, is the reason an empty value is refused."""
    text = (value or "").strip()
    if empty is not None and not text:
        raise Invalid(field, empty)
    if len(text) > limit:
        raise Invalid(field, f"{len(text):,} characters; the limit is {limit:,}")
    return text


def check_period(start: date | None, end: date | None, what: str) -> tuple[date, date]:
    """Both days of a period, the last after the first, or Invalid naming `period`."""
    if start is None or end is None:
        missing = " and ".join(name for name, day in (("period_start", start), ("period_end", end)) if day is None)
        raise Invalid("period", f"{what} needs a period: {missing} missing; give its first and last day, "
                                "e.g. 2026-01-01 and 2026-03-31")
    if end <= start:
        raise Invalid("period", f"period_end {end} is not after period_start {start}")
    return start, end


def _plan_id(session: Session, plan_id: int | None) -> int | None:
    if plan_id is not None and session.get(Plan, plan_id) is None:
        raise Invalid("plan_id", f"there is no plan {plan_id}")
    return plan_id


# --- goals ---------------------------------------------------------------------------------------------------------


def _goal_values(session: Session, data: GoalIn) -> dict[str, Any]:
    """The goal's columns from the input, each fault named by its field."""
    metric = check_metric(data.metric)
    start, end = check_period(data.period_start, data.period_end, "a goal")
    direction = data.direction or DEFAULT_DIRECTION[metric]
    if direction not in GOAL_DIRECTIONS:
        raise Invalid("direction", f"'{direction}' is not one of {', '.join(GOAL_DIRECTIONS)}")
    unit = UNIT_OF[metric]
    target = data.target
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= MAX_TARGET:
        raise Invalid("target", f"{target!r} is not a whole number from 0 to {MAX_TARGET:,} ({unit})")
    if unit == "basis_points" and target > BASIS_POINTS:
        raise Invalid("target", f"{target} basis points is more than 100%")
    if unit == "seconds" and target == 0:
        raise Invalid("target", "a response time of 0 seconds cannot be met; give the most time an answer may take")
    currency = None
    if unit == "minor_units":
        base = get_workspace(session).base_currency
        currency = check_currency(data.currency or base)
        if currency != base:
            raise Invalid("currency", f"revenue is reviewed in {base}, the workspace's base currency, so a revenue "
                                      f"goal is set in {base}, not {currency}")
    elif data.currency:
        raise Invalid("currency", f"only revenue goals have a currency; {metric} is counted in {unit}")
    name = _text(data.name, "name", MAX_TITLE) or f"{TITLE_OF[metric]}, {start:%d %b %Y} to {end:%d %b %Y}"
    return {"name": name, "metric": metric, "unit": unit, "target": target, "currency": currency,
            "period_start": start, "period_end": end, "direction": direction,
            "plan_id": _plan_id(session, data.plan_id)}


def get_goal(session: Session, goal_id: int) -> Goal:
    """The goal, or NotFound."""
    return get_row(session, Goal, goal_id, "goal")


def create_goal(session: Session, data: GoalIn, *, actor: Actor) -> Goal:
    """Set a target on a metric for a period."""
    goal = Goal(**_goal_values(session, data), created_at=utcnow())
    session.add(goal)
    session.flush()
    record(session, actor=actor, entity="goal", entity_id=goal.id, action="created",
           summary=f"Goal '{goal.name}' set", after=snapshot(goal))
    return goal


def update_goal(session: Session, goal_id: int, data: GoalIn, *, actor: Actor) -> Goal:
    """Change a goal: every field is replaced by the input."""
    goal = get_goal(session, goal_id)
    values = _goal_values(session, data)
    before = snapshot(goal)
    for key, value in values.items():
        setattr(goal, key, value)
    session.flush()
    record(session, actor=actor, entity="goal", entity_id=goal.id, action="updated",
           summary=f"Goal '{goal.name}' changed", before=before, after=snapshot(goal))
    return goal


def delete_goal(session: Session, goal_id: int, *, actor: Actor) -> None:
    """Remove a goal; campaigns that served it keep running without one. Closed cycles keep their snapshot."""
    goal = get_goal(session, goal_id)
    before = snapshot(goal)
    session.delete(goal)
    session.flush()
    record(session, actor=actor, entity="goal", entity_id=goal_id, action="deleted",
           summary=f"Goal '{before['name']}' removed", before=before)


# --- plans ---------------------------------------------------------------------------------------------------------


def _plan_values(data: PlanIn) -> dict[str, Any]:
    start, end = check_period(data.period_start, data.period_end, "a plan")
    return {"title": _text(data.title, "title", MAX_TITLE, empty="is empty; give the plan a title, e.g. 'Plan 2027'"),
            "vision": _text(data.vision, "vision", MAX_TEXT), "period_start": start, "period_end": end}


def get_plan(session: Session, plan_id: int) -> Plan:
    """The plan, or NotFound."""
    return get_row(session, Plan, plan_id, "plan")


def create_plan(session: Session, data: PlanIn, *, actor: Actor) -> Plan:
    """Write a plan down: title, vision and period."""
    plan = Plan(**_plan_values(data), created_at=utcnow())
    session.add(plan)
    session.flush()
    record(session, actor=actor, entity="plan", entity_id=plan.id, action="created",
           summary=f"Plan '{plan.title}' written", after=snapshot(plan))
    return plan


def update_plan(session: Session, plan_id: int, data: PlanIn, *, actor: Actor) -> Plan:
    """Rewrite a plan's title, vision and period."""
    plan = get_plan(session, plan_id)
    values = _plan_values(data)
    before = snapshot(plan)
    for key, value in values.items():
        setattr(plan, key, value)
    session.flush()
    record(session, actor=actor, entity="plan", entity_id=plan.id, action="updated",
           summary=f"Plan '{plan.title}' rewritten", before=before, after=snapshot(plan))
    return plan


# --- review cycles -------------------------------------------------------------------------------------------------


def get_cycle(session: Session, cycle_id: int) -> ReviewCycle:
    """The review cycle, or NotFound."""
    return get_row(session, ReviewCycle, cycle_id, "review cycle")


def latest_cycle(session: Session, plan_id: int | None) -> ReviewCycle | None:
    """The plan's most recent review cycle (cycles without a plan form a chain of their own)."""
    same_plan = ReviewCycle.plan_id.is_(None) if plan_id is None else ReviewCycle.plan_id == plan_id
    return session.scalar(select(ReviewCycle).where(same_plan)
                          .order_by(ReviewCycle.ends_on.desc(), ReviewCycle.id.desc()).limit(1))


def open_cycle(session: Session, data: CycleIn, *, actor: Actor) -> ReviewCycle:
    """Open the plan's first review cycle, or the next one, which starts the day after the last one ends."""
    plan_id = _plan_id(session, data.plan_id)
    latest = latest_cycle(session, plan_id)
    if latest is None:
        if data.starts_on is None:
            raise Invalid("starts_on", "the first review cycle needs its first day")
        starts_on = data.starts_on
    else:
        if latest.status == "open":
            raise Conflict(f"review cycle {latest.id} ({latest.starts_on} to {latest.ends_on}) is still open; "
                           "close it, and the next one opens from what it recorded")
        starts_on = latest.ends_on + timedelta(days=1)
        if data.starts_on is not None and data.starts_on != starts_on:
            raise Invalid("starts_on", f"{data.starts_on} leaves a gap or an overlap: the next cycle starts on "
                                       f"{starts_on}, the day after review cycle {latest.id} ends")
    if data.ends_on <= starts_on:
        raise Invalid("ends_on", f"{data.ends_on} is not after starts_on {starts_on}")
    cycle = ReviewCycle(plan_id=plan_id, previous_cycle_id=latest.id if latest else None, starts_on=starts_on,
                        ends_on=data.ends_on, status="open", learned="", changes="")
    session.add(cycle)
    session.flush()
    record(session, actor=actor, entity="review_cycle", entity_id=cycle.id, action="opened",
           summary=f"Review cycle {starts_on} to {data.ends_on} opened", after=snapshot(cycle))
    return cycle


def next_period(starts_on: date, ends_on: date) -> tuple[date, date]:
    """The period after [starts_on, ends_on], as long: as many whole months when it spans whole months (a
    quarter follows a quarter), else as many days."""
    following = ends_on + timedelta(days=1)
    if starts_on.day == 1 and following.day == 1:
        months = (following.year - starts_on.year) * 12 + following.month - starts_on.month
        return following, months_after(following, months) - timedelta(days=1)
    return following, following + (ends_on - starts_on)


def _closed(cycle_id: int) -> Conflict:
    return Conflict(f"review cycle {cycle_id} is closed; a closed cycle is read-only")


def update_cycle(session: Session, cycle_id: int, data: CycleEditIn, *, actor: Actor) -> ReviewCycle:
    """Change an open cycle's last day or its draft notes; a closed cycle refuses every edit."""
    cycle = get_cycle(session, cycle_id)
    if cycle.status == "closed":
        raise _closed(cycle_id)
    values: dict[str, Any] = {}
    if data.ends_on is not None:
        if data.ends_on <= cycle.starts_on:
            raise Invalid("ends_on", f"{data.ends_on} is not after starts_on {cycle.starts_on}")
        values["ends_on"] = data.ends_on
    for field in ("learned", "changes"):
        if getattr(data, field) is not None:
            values[field] = _text(getattr(data, field), field, MAX_TEXT)
    if not values:
        return cycle
    before = snapshot(cycle)
    # Conditional on still being open, so an edit racing a close cannot change a closed cycle.
    changed = session.execute(update(ReviewCycle).where(ReviewCycle.id == cycle_id, ReviewCycle.status == "open")
                              .values(**values).execution_options(synchronize_session="fetch"))
    if changed.rowcount != 1:
        raise _closed(cycle_id)
    session.refresh(cycle)
    record(session, actor=actor, entity="review_cycle", entity_id=cycle.id, action="updated",
           summary=f"Review cycle {cycle.id} changed", before=before, after=snapshot(cycle))
    return cycle


def close_cycle(session: Session, cycle_id: int, data: CycleCloseIn, *, measures: CycleMeasures | None,
                actor: Actor) -> tuple[ReviewCycle, ReviewCycle]:
    """Close an open cycle with its snapshot, what was learned and what changes, and open the next cycle.

    `measures` are the cycle's goal progress and campaign results from the reviews, taken before the store's
    transaction so that no write lock is held while reviews run (None: the warehouse could not be read).
    The close is one conditional update, so of two closes racing for one cycle exactly one succeeds.
    """
    cycle = get_cycle(session, cycle_id)
    if cycle.status == "closed":
        raise Conflict(f"review cycle {cycle_id} is already closed")
    learned = _text(data.learned, "learned", MAX_TEXT,
                    empty="is empty; write down what this cycle taught you before closing it")
    changes = _text(data.changes, "changes", MAX_TEXT)
    taken = cycle_snapshot(session, cycle, measures)
    user_id = actor.user_id
    closed = session.execute(
        update(ReviewCycle).where(ReviewCycle.id == cycle_id, ReviewCycle.status == "open")
        .values(status="closed", snapshot=taken, learned=learned, changes=changes, closed_at=utcnow(),
                closed_by_user_id=user_id)
        .execution_options(synchronize_session="fetch"))
    if closed.rowcount != 1:
        raise Conflict(f"review cycle {cycle_id} is already closed")
    session.refresh(cycle)
    record(session, actor=actor, entity="review_cycle", entity_id=cycle.id, action="closed",
           summary=f"Review cycle {cycle.starts_on} to {cycle.ends_on} closed",
           after={"learned": learned, "changes": changes})
    starts_on, ends_on = next_period(cycle.starts_on, cycle.ends_on)
    following = ReviewCycle(plan_id=cycle.plan_id, previous_cycle_id=cycle.id, starts_on=starts_on,
                            ends_on=ends_on, status="open", learned="", changes="")
    session.add(following)
    session.flush()
    record(session, actor=actor, entity="review_cycle", entity_id=following.id, action="opened",
           summary=f"Review cycle {following.starts_on} to {following.ends_on} opened after cycle {cycle.id}",
           after=snapshot(following))
    return cycle, following
