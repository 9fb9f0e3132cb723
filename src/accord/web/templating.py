"""Jinja2 templates with the filters every page uses (money, dates, numbers)."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from accord.errors import AccordError
from accord.kernel.money import Money
from accord.kernel.workspace import workspace_zone

TEMPLATES = Path(__file__).resolve().parent / "templates"

NAVIGATION = [
    ("Dashboard", "/"),
    ("Inbox", "/inbox"),
    ("Tasks", "/tasks"),
    ("Queries", "/queries"),
    ("Insights", "/insights"),
    ("Contacts", "/contacts"),
    ("Pipeline", "/pipeline"),
    ("Business", "/business"),
    ("Personas", "/personas"),
    ("Campaigns", "/campaigns"),
    ("Plan", "/plan"),
    ("Reviews", "/reviews"),
    ("Settings", "/settings"),
]


def _money(minor: int | Money, currency: str | None = None) -> str:
    money = minor if isinstance(minor, Money) else Money(int(minor), currency or "ZAR")
    return money.format()


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _percent(share: float | None) -> str:
    """A share of 1 as a percentage with one decimal; a dash when there is none."""
    return "–" if share is None else f"{share * 100:.1f}%"


@pass_context
def _local(context: Context, moment: datetime | None, tz: str | None = None) -> str:
    """A stored UTC time as the workspace's local time (or in the zone given)."""
    if moment is None:
        return ""
    zone = ZoneInfo(tz) if tz else _workspace_zone(context.get("request"))
    return moment.astimezone(zone).strftime("%d %b %Y %H:%M")


def _workspace_zone(request: Request | None) -> tzinfo:
    """The workspace's time zone, read once per request through the request's own transaction; UTC where there is
    no workspace to ask."""
    if request is None:
        return timezone.utc
    zone = getattr(request.state, "workspace_zone", None)
    if zone is None:
        try:
            session = getattr(request.state, "session", None)
            if session is not None:
                zone = workspace_zone(session)
            else:
                with request.app.state.store.transaction() as session:
                    zone = workspace_zone(session)
        except AccordError:
            zone = timezone.utc
        request.state.workspace_zone = zone
    return zone


def _waited(moment: datetime, now: datetime) -> str:
    """How long someone has waited, in the largest sensible unit."""
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def make_templates() -> Jinja2Templates:
    """The app's template environment."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.filters["money"] = _money
    env.filters["number"] = _number
    env.filters["percent"] = _percent
    env.filters["local"] = _local
    env.filters["waited"] = _waited
    env.globals["navigation"] = NAVIGATION
    return templates


def is_fragment_request(request: Request) -> bool:
    """True when HTMX asked for a fragment rather than a whole page."""
    return request.headers.get("hx-request") == "true"
