"""What a review cycle covers, and the snapshot it keeps when it closes.

A cycle covers the goals and campaigns whose dates overlap its days; a cycle of a plan only those of that
plan or of no plan. Per campaign the snapshot holds, in the base currency:

- planned: the budget spread evenly over the campaign's days, for the days that fall in the cycle
  (rounded half-even to the minor unit);
- spent: the campaign's spend rows dated in the cycle, each converted with the rate in force on its day;
- spent to date: its spend rows up to the cycle's last day;
- results: the revenue the ROI review credits to the campaign over the cycle's days, with ROI and ROAS.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from accord.campaigns.models import Campaign
from accord.campaigns.queries import CampaignRow, SpentInBase, list_campaigns, spend_in_base
from accord.kernel.rates import load_rates
from accord.planning.metrics import value_text
from accord.planning.models import Goal, ReviewCycle

if TYPE_CHECKING:
    from accord.planning.progress import CycleMeasures, GoalProgress


def overlaps(first: Any, last: Any, starts_on: date, ends_on: date) -> ColumnElement[bool]:
    """Rows whose days [first, last] share at least one day with [starts_on, ends_on]."""
    return and_(first <= ends_on, last >= starts_on)


def _of_plan(column: Any, plan_id: int | None) -> ColumnElement[bool] | None:
    return None if plan_id is None else or_(column == plan_id, column.is_(None))


def cycle_goals(session: Session, cycle: ReviewCycle) -> list[Goal]:
    """The goals a cycle reviews, by period then id."""
    conditions = [overlaps(Goal.period_start, Goal.period_end, cycle.starts_on, cycle.ends_on)]
    plan = _of_plan(Goal.plan_id, cycle.plan_id)
    if plan is not None:
        conditions.append(plan)
    return list(session.scalars(select(Goal).where(*conditions).order_by(Goal.period_start, Goal.id)))


def cycle_campaigns(session: Session, cycle: ReviewCycle) -> list[CampaignRow]:
    """The campaigns a cycle reviews, by first day then name."""
    condition = overlaps(Campaign.starts_on, Campaign.ends_on, cycle.starts_on, cycle.ends_on)
    plan = _of_plan(Campaign.plan_id, cycle.plan_id)
    rows = list_campaigns(session, where=condition if plan is None else and_(condition, plan))
    return sorted(rows, key=lambda c: (c.starts_on, c.name))


def planned_in(campaign: CampaignRow, starts_on: date, ends_on: date) -> int | None:
    """The part of the budget (base currency) due on the campaign's days that fall in [starts_on, ends_on]."""
    if campaign.budget_base_minor is None:
        return None
    days = (campaign.ends_on - campaign.starts_on).days + 1
    shared = (min(campaign.ends_on, ends_on) - max(campaign.starts_on, starts_on)).days + 1
    share = Decimal(campaign.budget_base_minor) * max(shared, 0) / days
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def goal_entry(progress: GoalProgress) -> dict[str, Any]:
    """A goal's progress as the snapshot keeps it: figures in the goal's unit and as text."""
    goal = progress.goal
    return {
        "goal_id": goal.id, "name": goal.name, "metric": goal.metric, "unit": goal.unit, "direction": goal.direction,
        "target": goal.target, "currency": goal.currency, "period_start": goal.period_start.isoformat(),
        "period_end": goal.period_end.isoformat(), "actual": progress.actual,
        "expected_so_far": progress.expected_so_far, "share_of_target": progress.share_of_target,
        "status": progress.status, "source": progress.source, "note": progress.note,
        "target_text": value_text(goal.unit, goal.target, goal.currency),
        "actual_text": value_text(goal.unit, progress.actual, goal.currency),
    }


def _campaign_entry(campaign: CampaignRow, in_cycle: SpentInBase, to_date: SpentInBase, starts_on: date,
                    ends_on: date, measures: CycleMeasures | None) -> dict[str, Any]:
    planned = planned_in(campaign, starts_on, ends_on)
    result = measures.results.get(campaign.name) if measures is not None else None
    return {
        "campaign_id": campaign.id, "name": campaign.name, "channel": campaign.channel, "status": campaign.status,
        "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat(),
        "budget_minor": campaign.budget_minor, "currency": campaign.currency,
        "budget_base_minor": campaign.budget_base_minor, "planned_minor": planned,
        "spent_minor": in_cycle.minor, "spent_to_date_minor": to_date.minor,
        "variance_minor": None if planned is None else in_cycle.minor - planned,
        "unconverted": in_cycle.unconverted,
        "attributed_revenue_minor": result.revenue_minor if result is not None else None,
        "roi": result.roi if result is not None else None,
        "roas": result.roas if result is not None else None,
    }


def cycle_snapshot(session: Session, cycle: ReviewCycle, measures: CycleMeasures | None) -> dict[str, Any]:
    """The cycle's figures as they stand: goals against targets, and per campaign planned vs actual spend."""
    rates = load_rates(session)
    campaigns = cycle_campaigns(session, cycle)
    ids = [c.id for c in campaigns]
    after = cycle.ends_on + timedelta(days=1)
    in_cycle = spend_in_base(session, rates, campaign_ids=ids, from_on=cycle.starts_on, to_on=after) if ids else {}
    to_date = spend_in_base(session, rates, campaign_ids=ids, to_on=after) if ids else {}
    entries = [_campaign_entry(c, in_cycle.get(c.id, SpentInBase()), to_date.get(c.id, SpentInBase()),
                               cycle.starts_on, cycle.ends_on, measures) for c in campaigns]
    base = rates.base
    notes = [f"Money is in {base}, the workspace's base currency: spend rows converted with the rate in force on "
             "each row's day, budgets with the rate on each campaign's first day. Planned is the budget spread "
             "evenly over the campaign's days, for its days in this cycle."]
    unconverted = sorted({code for e in entries for code in e["unconverted"]})
    if unconverted:
        notes.append(f"Spend in {', '.join(unconverted)} has no rate for some days and is left out of spent; add "
                     "currency_rate rows valid on or before those days.")
    unbudgeted = [e["name"] for e in entries if e["budget_base_minor"] is None]
    if unbudgeted:
        notes.append(f"No rate to convert the budget of: {', '.join(unbudgeted)}; their planned spend is left out.")
    if measures is not None:
        notes.extend(measures.notes)
    as_of = measures.as_of if measures is not None else None
    total_planned = sum(e["planned_minor"] or 0 for e in entries)
    total_spent = sum(e["spent_minor"] for e in entries)
    return {
        "starts_on": cycle.starts_on.isoformat(), "ends_on": cycle.ends_on.isoformat(), "plan_id": cycle.plan_id,
        "as_of": as_of.isoformat() if as_of else None, "base_currency": base,
        "goals": [goal_entry(p) for p in measures.goals] if measures is not None else [],
        "campaigns": entries,
        "totals": {
            "planned_minor": total_planned, "spent_minor": total_spent,
            "variance_minor": total_spent - total_planned,
            "attributed_revenue_minor": sum(e["attributed_revenue_minor"] or 0 for e in entries),
        },
        "notes": notes,
    }
