"""Queries: the open ones against their SLA, one click to resolve or assign, breaches, response figures, targets."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.accounts.queries import list_users
from accord.conversations.models import INSIGHT_KINDS
from accord.conversations.queries import breaches, insight_list, open_queries, response_figures, sla_targets
from accord.conversations.queries_service import assign_query, resolve_query, set_sla_target
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.vocabulary import CHANNELS
from accord.kernel.workspace import workspace_zone
from accord.web.security import EDITORS, EVERYONE, DbSession, page_user
from accord.web.templating import is_fragment_request

router = APIRouter()
PAGE_SIZE = 200
PERIODS = (7, 30, 90, 365)


@router.get("/queries")
def queries_page(request: Request, session: DbSession, user: User = page_user(*EVERYONE),
                 days: int = Query(default=30, ge=1, le=3660)) -> Response:
    """Open queries longest-overdue first; the period's breaches and response figures; the SLA targets."""
    now = utcnow()
    since = now - timedelta(days=days)
    items = open_queries(session, at=now)
    context = {
        "user": user, "active": "/queries", "days": days, "periods": PERIODS,
        "zone": workspace_zone(session),
        "items": items[:PAGE_SIZE], "total": len(items), "overdue": sum(1 for i in items if i.overdue),
        "breaches": breaches(session, since=since, at=now), "report": response_figures(session, since=since, at=now),
        "targets": sla_targets(session), "channels": CHANNELS, "insight_kinds": INSIGHT_KINDS,
        "insights": insight_list(session), "people": list_users(session),
    }
    return request.app.state.templates.TemplateResponse(request, "queries/index.html", context)


@router.post("/queries/{query_id}/resolve")
def resolve(request: Request, session: DbSession, query_id: int, user: User = page_user(*EDITORS)) -> Response:
    """Mark a query resolved; it leaves the open list."""
    query = resolve_query(session, query_id, actor=Actor.user(user))
    if not is_fragment_request(request):
        return RedirectResponse("/queries", status_code=303)
    context = {"query_id": query_id, "message": f"Resolved the {query.kind} from {query.channel}."}
    return request.app.state.templates.TemplateResponse(request, "queries/_done.html", context)


@router.post("/queries/{query_id}/assign")
def assign(request: Request, session: DbSession, query_id: int, user_id: Annotated[str, Form()] = "",
           user: User = page_user(*EDITORS)) -> Response:
    """Give a query to a person to answer (empty: unassigned)."""
    if user_id and not user_id.isdigit():
        raise Invalid("user_id", f"'{user_id}' is not a user number")
    assign_query(session, query_id, int(user_id) if user_id else None, actor=Actor.user(user))
    if not is_fragment_request(request):
        return RedirectResponse("/queries", status_code=303)
    item = next((i for i in open_queries(session) if i.query_id == query_id), None)
    if item is None:  # resolved meanwhile: nothing left to show in the open list
        return Response(status_code=204)
    context = {"user": user, "item": item, "people": list_users(session),
               "zone": workspace_zone(session)}
    return request.app.state.templates.TemplateResponse(request, "queries/_row.html", context)


def _minutes(field: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise Invalid(field, f"'{text}' is not a whole number of minutes")
    return int(text)


@router.post("/queries/sla")
def set_target(
    session: DbSession, channel: Annotated[str, Form()], first_response_minutes: Annotated[str, Form()],
    resolution_minutes: Annotated[str, Form()] = "", user: User = page_user("owner"),
) -> Response:
    """Set a channel's SLA targets in business minutes (owners only)."""
    first = _minutes("first_response_minutes", first_response_minutes)
    if first is None:
        raise Invalid("first_response_minutes", "empty; say how many business minutes a first response may take")
    set_sla_target(session, channel, first, _minutes("resolution_minutes", resolution_minutes),
                   actor=Actor.user(user))
    return RedirectResponse("/queries#targets", status_code=303)
