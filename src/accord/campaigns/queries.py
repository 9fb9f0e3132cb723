"""Read models for campaigns: budget against what was spent, in the workspace's base currency.

Spend rows may be in any currency. Each row is converted with the rate in force on its own day (the latest
`currency_rate` row valid on or before it) and rounded half-even to the base currency's minor unit, exactly as
the reviews convert amounts, so the campaigns page, the plan and the ROI review agree to the cent. A budget is
converted with the rate in force on the campaign's first day. Amounts without a rate are left out and listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from accord.campaigns.models import Campaign, Spend
from accord.errors import NotFound
from accord.kernel.rates import Rates, load_rates
from accord.personas.models import Persona
from accord.planning.models import Goal, Plan

SPEND_ROWS_SHOWN = 200


@dataclass(frozen=True)
class SpentInBase:
    """What a campaign's spend rows add up to in base minor units, and what had no rate (own minor units)."""

    minor: int = 0
    rows: int = 0
    unconverted: dict[str, int] = field(default_factory=dict)


def spend_in_base(session: Session, rates: Rates, *, campaign_ids: Iterable[int] | None = None,
                  from_on: date | None = None, to_on: date | None = None) -> dict[int, SpentInBase]:
    """Per campaign, its spend rows on days in [from_on, to_on) converted row by row into the base currency."""
    conditions = []
    if campaign_ids is not None:
        conditions.append(Spend.campaign_id.in_(sorted(set(campaign_ids))))
    if from_on is not None:
        conditions.append(Spend.spent_on >= from_on)
    if to_on is not None:
        conditions.append(Spend.spent_on < to_on)
    totals: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    missing: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    in_base = session.execute(
        select(Spend.campaign_id, func.sum(Spend.amount_minor), func.count())
        .where(Spend.currency == rates.base, *conditions).group_by(Spend.campaign_id))
    for campaign_id, amount, rows in in_base:
        totals[campaign_id] += int(amount)
        counts[campaign_id] += rows
    # Each foreign row is converted on its own, as the reviews do: summing first would round differently.
    foreign = session.execute(select(Spend.campaign_id, Spend.spent_on, Spend.amount_minor, Spend.currency)
                              .where(Spend.currency != rates.base, *conditions))
    for campaign_id, spent_on, amount, currency in foreign:
        counts[campaign_id] += 1
        converted = rates.to_base(amount, currency, spent_on)
        if converted is None:
            missing[campaign_id][currency] += amount
        else:
            totals[campaign_id] += converted
    return {cid: SpentInBase(totals[cid], counts[cid], dict(sorted(missing[cid].items()))) for cid in counts}


@dataclass(frozen=True)
class CampaignRow:
    """A campaign with its budget (own currency and base) and its spend to date in the base currency."""

    id: int
    name: str
    channel: str
    status: str
    starts_on: date
    ends_on: date
    budget_minor: int
    currency: str
    base_currency: str
    budget_base_minor: int | None
    spent_base_minor: int
    unconverted: dict[str, int]
    ideas: str = ""
    utm_campaign: str | None = None
    persona_id: int | None = None
    persona_name: str | None = None
    goal_id: int | None = None
    goal_name: str | None = None
    plan_id: int | None = None
    plan_title: str | None = None

    @property
    def over_budget(self) -> bool:
        """True when the spend converted so far is more than the budget converted."""
        return self.budget_base_minor is not None and self.spent_base_minor > self.budget_base_minor


def list_campaigns(session: Session, *, where: ColumnElement[bool] | None = None) -> list[CampaignRow]:
    """Campaigns (all, or those matching `where`), newest first, with budget and spend in the base currency."""
    query = (
        select(Campaign, Persona.name, Goal.name, Plan.title)
        .outerjoin(Persona, Persona.id == Campaign.persona_id)
        .outerjoin(Goal, Goal.id == Campaign.goal_id)
        .outerjoin(Plan, Plan.id == Campaign.plan_id)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )
    if where is not None:
        query = query.where(where)
    found = session.execute(query).all()
    rates = load_rates(session)
    spent = spend_in_base(session, rates, campaign_ids=[c.id for c, *_ in found]) if found else {}
    rows = []
    for campaign, persona, goal, plan in found:
        spend = spent.get(campaign.id, SpentInBase())
        rows.append(CampaignRow(
            id=campaign.id, name=campaign.name, channel=campaign.channel, status=campaign.status,
            starts_on=campaign.starts_on, ends_on=campaign.ends_on, budget_minor=campaign.budget_minor,
            currency=campaign.currency, base_currency=rates.base,
            budget_base_minor=rates.to_base(campaign.budget_minor, campaign.currency, campaign.starts_on),
            spent_base_minor=spend.minor, unconverted=spend.unconverted, ideas=campaign.ideas,
            utm_campaign=campaign.utm_campaign, persona_id=campaign.persona_id, persona_name=persona,
            goal_id=campaign.goal_id, goal_name=goal, plan_id=campaign.plan_id, plan_title=plan,
        ))
    return rows


@dataclass(frozen=True)
class CampaignDetail:
    """One campaign, its latest spend rows and how many there are."""

    campaign: CampaignRow
    spend: list[Spend]
    spend_rows: int


def campaign_detail(session: Session, campaign_id: int) -> CampaignDetail:
    """A campaign with budget against spend and its most recent spend rows."""
    found = list_campaigns(session, where=Campaign.id == campaign_id)
    if not found:
        raise NotFound(f"no campaign {campaign_id}")
    spend = list(session.scalars(select(Spend).where(Spend.campaign_id == campaign_id)
                                 .order_by(Spend.spent_on.desc(), Spend.id.desc()).limit(SPEND_ROWS_SHOWN)))
    count = session.scalar(select(func.count()).select_from(Spend).where(Spend.campaign_id == campaign_id))
    return CampaignDetail(found[0], spend, int(count or 0))


def campaign_ids_by_utm(session: Session, utm_names: set[str]) -> dict[str, int]:
    """Campaign ids by their utm_campaign value, for the names that match a campaign."""
    if not utm_names:
        return {}
    rows = session.execute(select(Campaign.utm_campaign, Campaign.id).where(Campaign.utm_campaign.in_(sorted(utm_names))))
    return {name: cid for name, cid in rows}
