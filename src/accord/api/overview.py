"""API: who am I, and the dashboard's numbers."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from accord.accounts.models import User
from accord.accounts.schemas import UserOut
from accord.kernel.rates import BaseTotal
from accord.overview import dashboard
from accord.web.security import EVERYONE, DbSession, api_user

router = APIRouter(tags=["overview"])


class AmountOut(BaseModel):
    """An amount in the base currency, in minor units, with a note on conversion."""

    minor: int
    currency: str
    note: str


class DashboardOut(BaseModel):
    """The dashboard's numbers."""

    workspace_name: str
    contacts_by_stage: dict[str, int]
    open_deal_count: int
    open_deal_value: AmountOut
    month: str
    month_revenue: AmountOut
    waiting_engagements: int


def _amount(total: BaseTotal) -> AmountOut:
    return AmountOut(minor=total.total.minor, currency=total.total.currency, note=total.note)


@router.get("/me", response_model=UserOut)
def me(user: User = api_user(*EVERYONE)) -> User:
    """The user the token belongs to."""
    return user


@router.get("/dashboard", response_model=DashboardOut)
def dashboard_numbers(session: DbSession, user: User = api_user(*EVERYONE)) -> DashboardOut:
    """Contacts by stage, open deals, this month's revenue and engagements waiting for a reply."""
    board = dashboard(session)
    return DashboardOut(
        workspace_name=board.workspace_name,
        contacts_by_stage=board.contacts_by_stage,
        open_deal_count=board.open_deal_count,
        open_deal_value=_amount(board.open_deal_value),
        month=board.month_label,
        month_revenue=_amount(board.month_revenue),
        waiting_engagements=board.waiting_engagements,
    )
