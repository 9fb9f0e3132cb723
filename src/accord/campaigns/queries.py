"""Read models for campaigns: budget against what was spent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.campaigns.models import Campaign, Spend


@dataclass(frozen=True)
class CampaignRow:
    """A campaign with its budget and spend to date (minor units of the campaign currency)."""

    id: int
    name: str
    channel: str
    status: str
    starts_on: date
    ends_on: date
    budget_minor: int
    spent_minor: int
    currency: str


def list_campaigns(session: Session) -> list[CampaignRow]:
    """Every campaign, newest first, with spend summed in its own currency."""
    spent = (
        select(Spend.campaign_id, func.sum(Spend.amount_minor).label("spent"))
        .join(Campaign, Campaign.id == Spend.campaign_id)
        .where(Spend.currency == Campaign.currency)
        .group_by(Spend.campaign_id)
        .subquery()
    )
    rows = session.execute(
        select(Campaign, func.coalesce(spent.c.spent, 0))
        .outerjoin(spent, spent.c.campaign_id == Campaign.id)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    ).all()
    return [
        CampaignRow(c.id, c.name, c.channel, c.status, c.starts_on, c.ends_on, c.budget_minor, int(s), c.currency)
        for c, s in rows
    ]


def campaign_ids_by_utm(session: Session, utm_names: set[str]) -> dict[str, int]:
    """Campaign ids by their utm_campaign value, for the names that match a campaign."""
    if not utm_names:
        return {}
    rows = session.execute(select(Campaign.utm_campaign, Campaign.id).where(Campaign.utm_campaign.in_(sorted(utm_names))))
    return {name: cid for name, cid in rows}
