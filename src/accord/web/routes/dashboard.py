"""The dashboard: the day's numbers at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.accounts.models import User
from accord.overview import dashboard
from accord.web.security import EVERYONE, DbSession, page_user

router = APIRouter()


@router.get("/")
def dashboard_page(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """Contacts by stage, open deals, this month's revenue and the inbox backlog."""
    context = {"user": user, "board": dashboard(session), "active": "/"}
    return request.app.state.templates.TemplateResponse(request, "dashboard.html", context)
