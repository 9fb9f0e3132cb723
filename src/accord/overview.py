"""The dashboard: one read model that gathers the day's numbers from each domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from accord.contacts.queries import count_by_stage
from accord.engagement.queries import waiting_count
from accord.kernel.clock import month_bounds, utcnow, zone
from accord.kernel.rates import BaseTotal, to_base
from accord.kernel.workspace import get_workspace
from accord.pipeline.queries import open_deals, revenue_between


@dataclass(frozen=True)
class Dashboard:
    """Contacts by stage, the open pipeline, this month's revenue and the inbox backlog."""

    workspace_name: str
    contacts_by_stage: dict[str, int]
    open_deal_count: int
    open_deal_value: BaseTotal
    month_label: str
    month_revenue: BaseTotal
    waiting_engagements: int


def dashboard(session: Session, *, now: datetime | None = None) -> Dashboard:
    """Compute the dashboard as of `now` (default: this moment)."""
    now = now or utcnow()
    workspace = get_workspace(session)
    tz = zone(workspace.timezone)
    local_today = now.astimezone(tz).date()
    start, end = month_bounds(now, tz)
    deals = open_deals(session)
    return Dashboard(
        workspace_name=workspace.name,
        contacts_by_stage=count_by_stage(session),
        open_deal_count=deals.count,
        open_deal_value=to_base(session, deals.value_by_currency, workspace.base_currency, local_today),
        month_label=now.astimezone(tz).strftime("%B %Y"),
        month_revenue=to_base(session, revenue_between(session, start, end), workspace.base_currency, local_today),
        waiting_engagements=waiting_count(session),
    )
