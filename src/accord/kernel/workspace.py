"""The workspace row: the business's name, base currency, time zone, region and business hours."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from accord.errors import Invalid, NotFound
from accord.kernel.clock import BusinessHours, utcnow, zone
from accord.kernel.models import Workspace
from accord.kernel.money import check_currency

DEFAULT_HOURS = {str(day): ["08:00", "17:00"] for day in range(5)} | {"5": ["09:00", "13:00"]}


def get_workspace(session: Session) -> Workspace:
    """The workspace, or NotFound when `accord init` has not run."""
    workspace = session.get(Workspace, 1)
    if workspace is None:
        raise NotFound("this store has no workspace yet: run `accord init`")
    return workspace


def ensure_workspace(
    session: Session,
    *,
    name: str = "My business",
    base_currency: str = "ZAR",
    timezone: str = "Africa/Johannesburg",
    default_region: str = "ZA",
) -> Workspace:
    """Create the workspace once; an existing one is returned unchanged."""
    existing = session.get(Workspace, 1)
    if existing is not None:
        return existing
    zone(timezone)
    if not 1 <= len(name.strip()) <= 200:
        raise Invalid("name", "the business needs a name of 1 to 200 characters")
    if len(default_region) != 2 or not default_region.isalpha():
        raise Invalid("default_region", f"'{default_region}' is not a two-letter country code")
    workspace = Workspace(
        id=1,
        name=name.strip(),
        base_currency=check_currency(base_currency, field="base_currency"),
        timezone=timezone,
        default_region=default_region.upper(),
        business_hours=DEFAULT_HOURS,
        holidays=[],
        created_at=utcnow(),
    )
    session.add(workspace)
    session.flush()
    return workspace


def workspace_zone(session: Session) -> ZoneInfo:
    """The workspace's time zone, in which days, weeks and months are counted and times are shown."""
    return zone(get_workspace(session).timezone)


def workspace_today(session: Session, moment: datetime | None = None) -> date:
    """The calendar day in the workspace's time zone at `moment` (default now)."""
    return (moment or utcnow()).astimezone(workspace_zone(session)).date()


def business_hours(workspace: Workspace) -> BusinessHours:
    """The workspace's opening hours as a calculator."""
    return BusinessHours.from_config(workspace.timezone, workspace.business_hours, workspace.holidays)
