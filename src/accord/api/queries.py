"""API: queries against their SLA targets, breaches, response figures, and the insights queries support."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accord.accounts.models import User
from accord.conversations.insights import create_insight, link_queries
from accord.conversations.queries import (
    breaches, insight_list, insight_summary, open_queries, response_figures, sla_targets,
)
from accord.conversations.queries_service import assign_query, open_query, resolve_query, set_sla_target
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.web.security import EDITORS, EVERYONE, DbSession, api_user

router = APIRouter(tags=["queries and insights"])
PERIOD_DAYS = Query(default=30, ge=1, le=3660, description="queries opened in the last this many days")


class QueryIn(BaseModel):
    """A question, concern, complaint or suggestion to record; its SLA clock starts at opened_at (default now)."""

    model_config = ConfigDict(extra="forbid")

    contact_id: int
    kind: str
    channel: str
    text: str
    opened_at: AwareDatetime | None = None
    conversation_id: int | None = None
    assigned_user_id: int | None = None


class QueryOut(BaseModel):
    """A query as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    conversation_id: int | None
    kind: str
    channel: str
    text: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    assigned_user_id: int | None


class ResolveIn(BaseModel):
    """When the query was resolved (default now)."""

    model_config = ConfigDict(extra="forbid")

    resolved_at: AwareDatetime | None = None


class AssignIn(BaseModel):
    """Who should answer the query (null to unassign)."""

    model_config = ConfigDict(extra="forbid")

    user_id: int | None


class OpenQueryOut(BaseModel):
    """An unresolved query: what it waits for, when that is due, and business minutes left (negative: overdue)."""

    model_config = ConfigDict(from_attributes=True)

    query_id: int
    contact_id: int
    contact_name: str
    kind: str
    channel: str
    text: str
    opened_at: datetime
    first_response_at: datetime | None
    assigned_user_id: int | None
    assigned_name: str | None
    waiting_for: str
    due: datetime | None
    minutes_left: int | None
    overdue: bool


class OpenQueriesOut(BaseModel):
    """Open queries, the longest overdue first."""

    total: int
    overdue: int
    items: list[OpenQueryOut]


class BreachOut(BaseModel):
    """One missed target: due, met (null while still waiting) and business minutes late."""

    model_config = ConfigDict(from_attributes=True)

    query_id: int
    contact_id: int
    contact_name: str
    kind: str
    channel: str
    text: str
    opened_at: datetime
    assigned_name: str | None
    target: str
    due: datetime
    met_at: datetime | None
    late_minutes: int


class SlaTargetIn(BaseModel):
    """Business minutes allowed for the first response and (optionally) for resolution."""

    model_config = ConfigDict(extra="forbid")

    first_response_minutes: int
    resolution_minutes: int | None = None


class SlaTargetOut(BaseModel):
    """A channel's SLA target in business minutes."""

    model_config = ConfigDict(from_attributes=True)

    channel: str
    first_response_minutes: int
    resolution_minutes: int | None


class FiguresOut(BaseModel):
    """First-response figures for a channel or person, in business minutes (median and p90 by nearest rank)."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    queries: int
    answered: int
    median_minutes: int | None
    p90_minutes: int | None
    in_time: int
    decided: int
    share_in_time: float | None


class SlaOut(BaseModel):
    """The targets per channel and how queries opened in the period were answered against them."""

    days: int
    targets: list[SlaTargetOut]
    by_channel: list[FiguresOut]
    by_person: list[FiguresOut]


class InsightIn(BaseModel):
    """An insight and the ids of the queries that support it."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    title: str
    description: str = ""
    query_ids: list[int] = Field(default_factory=list)


class LinkIn(BaseModel):
    """More queries that support an insight."""

    model_config = ConfigDict(extra="forbid")

    query_ids: list[int]


class SupportingQueryOut(BaseModel):
    """A query behind an insight."""

    model_config = ConfigDict(from_attributes=True)

    query_id: int
    kind: str
    channel: str
    text: str
    opened_at: datetime


class InsightOut(BaseModel):
    """An insight with its number of supporting queries, the latest of their dates, and the queries."""

    model_config = ConfigDict(from_attributes=True)

    insight_id: int
    kind: str
    title: str
    description: str
    created_at: datetime
    supporting: int
    latest_supporting_at: datetime | None
    queries: list[SupportingQueryOut]


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
