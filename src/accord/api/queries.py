"""API: queries against their SLA targets, breaches, response figures, and the insights queries support."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query

from accord.accounts.models import User
from accord.conversations.insights import create_insight, link_queries
from accord.conversations.queries import (
    breaches, insight_list, insight_summary, open_queries, response_figures, sla_targets,
)
from accord.conversations.queries_service import assign_query, open_query, resolve_query, set_sla_target
from accord.conversations.schemas import (
    AssignIn, BreachOut, FiguresOut, InsightIn, InsightOut, LinkIn, OpenQueriesOut, OpenQueryOut, QueryIn, QueryOut,
    ResolveIn, SlaOut, SlaTargetIn, SlaTargetOut,
)
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.web.security import EDITORS, EVERYONE, DbSession, api_user

router = APIRouter(tags=["queries and insights"])
PERIOD_DAYS = Query(default=30, ge=1, le=3660, description="queries opened in the last this many days")


@router.get("/queries", response_model=OpenQueriesOut)
def queries(session: DbSession, user: User = api_user(*EVERYONE), limit: int = Query(default=100, ge=1, le=1000),
            offset: int = Query(default=0, ge=0)) -> OpenQueriesOut:
    """Unresolved queries, the longest overdue first, with their due-by instants and business minutes left."""
    items = open_queries(session)
    return OpenQueriesOut(total=len(items), overdue=sum(1 for i in items if i.overdue),
                          items=[OpenQueryOut.model_validate(i) for i in items[offset:offset + limit]])


@router.post("/queries", response_model=QueryOut, status_code=201)
def create_query(data: QueryIn, session: DbSession, user: User = api_user(*EDITORS)):
    """Record a query; its SLA clock starts at opened_at."""
    return open_query(session, data.contact_id, data.kind, data.channel, data.text, actor=Actor.user(user),
                      at=data.opened_at, conversation_id=data.conversation_id,
                      assigned_user_id=data.assigned_user_id)


@router.post("/queries/{query_id}/resolve", response_model=QueryOut)
def resolve(query_id: int, session: DbSession, data: ResolveIn | None = None, user: User = api_user(*EDITORS)):
    """Mark a query resolved (409 if it already is)."""
    return resolve_query(session, query_id, actor=Actor.user(user), at=data.resolved_at if data else None)


@router.post("/queries/{query_id}/assign", response_model=QueryOut)
def assign(query_id: int, data: AssignIn, session: DbSession, user: User = api_user(*EDITORS)):
    """Give a query to a person to answer."""
    return assign_query(session, query_id, data.user_id, actor=Actor.user(user))


@router.get("/queries/breaches", response_model=list[BreachOut])
def breach_list(session: DbSession, user: User = api_user(*EVERYONE), days: int = PERIOD_DAYS):
    """Every target missed by queries opened in the period, the latest due first."""
    return breaches(session, since=utcnow() - timedelta(days=days))


@router.get("/sla", response_model=SlaOut)
def sla(session: DbSession, user: User = api_user(*EVERYONE), days: int = PERIOD_DAYS) -> SlaOut:
    """The targets, and first-response figures per channel and per person for queries opened in the period."""
    report = response_figures(session, since=utcnow() - timedelta(days=days))
    return SlaOut(days=days, targets=[SlaTargetOut.model_validate(t) for t in sla_targets(session).values()],
                  by_channel=[FiguresOut.model_validate(f) for f in report.by_channel],
                  by_person=[FiguresOut.model_validate(f) for f in report.by_person])


@router.put("/sla/{channel}", response_model=SlaTargetOut)
def set_target(channel: str, data: SlaTargetIn, session: DbSession, user: User = api_user("owner")):
    """Set a channel's targets in business minutes (owners only)."""
    return set_sla_target(session, channel, data.first_response_minutes, data.resolution_minutes,
                          actor=Actor.user(user))


@router.get("/insights", response_model=list[InsightOut])
def insights(session: DbSession, user: User = api_user(*EVERYONE)) -> list[InsightOut]:
    """Every insight with its number of supporting queries and the latest of their dates."""
    return [InsightOut.model_validate(s) for s in insight_list(session)]


@router.post("/insights", response_model=InsightOut, status_code=201)
def new_insight(data: InsightIn, session: DbSession, user: User = api_user(*EDITORS)) -> InsightOut:
    """Record an insight linked to the queries that support it."""
    insight = create_insight(session, data.kind, data.title, data.description, data.query_ids,
                             actor=Actor.user(user))
    return InsightOut.model_validate(insight_summary(session, insight.id))


@router.post("/insights/{insight_id}/queries", response_model=InsightOut)
def more_support(insight_id: int, data: LinkIn, session: DbSession, user: User = api_user(*EDITORS)) -> InsightOut:
    """Link more supporting queries to an insight."""
    link_queries(session, insight_id, data.query_ids, actor=Actor.user(user))
    return InsightOut.model_validate(insight_summary(session, insight_id))
