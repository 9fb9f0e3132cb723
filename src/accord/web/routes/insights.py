"""Insights: what the business learns from queries, with the queries behind each, and forms to record more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.conversations.insights import create_insight, link_queries
from accord.conversations.models import INSIGHT_KINDS
from accord.conversations.queries import insight_list
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.workspace import workspace_zone
from accord.web.security import EDITORS, EVERYONE, DbSession, page_user

router = APIRouter()
QueryIds = Annotated[list[str] | None, Form()]


def query_numbers(values: list[str] | None) -> list[int]:
    """Query ids from ticked boxes or typed as '12, 15' or '#12 #15'."""
    ids = []
    for value in values or []:
        for part in value.replace(",", " ").split():
            number = part.removeprefix("#")
            if not number.isdigit():
                raise Invalid("query_ids", f"'{part}' is not a query number")
            ids.append(int(number))
    return ids


@router.get("/insights")
def insights_page(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """Every insight, best-supported first, with its queries; editors can record more."""
    context = {"user": user, "active": "/insights", "insights": insight_list(session),
               "insight_kinds": INSIGHT_KINDS, "zone": workspace_zone(session)}
    return request.app.state.templates.TemplateResponse(request, "insights/index.html", context)


@router.post("/insights")
def create(
    session: DbSession, kind: Annotated[str, Form()], title: Annotated[str, Form()],
    description: Annotated[str, Form()] = "", query_ids: QueryIds = None, user: User = page_user(*EDITORS),
) -> Response:
    """Record an insight from the queries that support it."""
    insight = create_insight(session, kind, title, description, query_numbers(query_ids), actor=Actor.user(user))
    return RedirectResponse(f"/insights#insight-{insight.id}", status_code=303)


@router.post("/insights/link")
def link(
    session: DbSession, insight_id: Annotated[int, Form()], query_ids: QueryIds = None,
    user: User = page_user(*EDITORS),
) -> Response:
    """Add supporting queries to an existing insight."""
    link_queries(session, insight_id, query_numbers(query_ids), actor=Actor.user(user))
    return RedirectResponse(f"/insights#insight-{insight_id}", status_code=303)
