"""Read models for queries and insights: open queries against their SLA, breaches, response figures, insights."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.conversations.models import Insight, Query, SlaTarget, insight_query
from accord.conversations.sla import Timers, minutes_left, nearest_rank, timers
from accord.errors import NotFound
from accord.kernel.clock import BusinessHours, utcnow
from accord.kernel.workspace import business_hours, get_workspace

UNASSIGNED = "Unassigned"
FIRST_RESPONSE, RESOLUTION = "first response", "resolution"


def sla_targets(session: Session) -> dict[str, SlaTarget]:
    """The SLA target of every channel that has one, by channel."""
    return {t.channel: t for t in session.scalars(select(SlaTarget).order_by(SlaTarget.channel))}


@dataclass(frozen=True)
class _Timed:
    query: Query
    contact_name: str
    assignee: str | None
    timers: Timers


def _timed(session: Session, *conditions, now: datetime) -> tuple[BusinessHours, list[_Timed]]:
    hours = business_hours(get_workspace(session))
    targets = sla_targets(session)
    assignee = aliased(User)
    rows = session.execute(
        select(Query, Contact.display_name, assignee.name)
        .join(Contact, Contact.id == Query.contact_id)
        .outerjoin(assignee, assignee.id == Query.assigned_user_id)
        .where(*conditions)
        .order_by(Query.opened_at, Query.id)
    ).all()
    return hours, [_Timed(q, name, who, timers(hours, q, targets.get(q.channel), now)) for q, name, who in rows]


def _in_period(since: datetime | None, now: datetime) -> list:
    return [Query.opened_at <= now] + ([Query.opened_at >= since] if since else [])


@dataclass(frozen=True)
class OpenQuery:
    """A query not yet resolved, with what it waits for next, when that falls due, and the business time left."""

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
    waiting_for: str  # FIRST_RESPONSE until answered, then RESOLUTION
    due: datetime | None  # None when the channel has no target for what it waits for
    minutes_left: int | None  # business minutes; negative once overdue
    overdue: bool


def open_queries(session: Session, *, at: datetime | None = None) -> list[OpenQuery]:
    """Every unresolved query, the longest overdue first; those with no target for their channel come last."""
    now = at or utcnow()
    hours, timed = _timed(session, Query.resolved_at.is_(None), now=now)
    items = []
    for t in timed:
        q = t.query
        answered = q.first_response_at is not None
        due = t.timers.resolution_due if answered else t.timers.response_due
        items.append(OpenQuery(
            query_id=q.id, contact_id=q.contact_id, contact_name=t.contact_name, kind=q.kind, channel=q.channel,
            text=q.text, opened_at=q.opened_at, first_response_at=q.first_response_at,
            assigned_user_id=q.assigned_user_id, assigned_name=t.assignee,
            waiting_for=RESOLUTION if answered else FIRST_RESPONSE, due=due,
            minutes_left=minutes_left(hours, due, now) if due else None, overdue=due is not None and now > due,
        ))
    # An earlier due instant has always used more business time past it, so this is longest-overdue first.
    return sorted(items, key=lambda i: (i.due is None, i.due or i.opened_at, i.query_id))


@dataclass(frozen=True)
class Breach:
    """One target a query missed: when it was due, when it was met (None while still waiting) and how late."""

    query_id: int
    contact_id: int
    contact_name: str
    kind: str
    channel: str
    text: str
    opened_at: datetime
    assigned_name: str | None
    target: str  # FIRST_RESPONSE or RESOLUTION
    due: datetime
    met_at: datetime | None
    late_minutes: int  # business minutes past due, to met_at or, while waiting, to now


def breaches(session: Session, *, since: datetime | None = None, at: datetime | None = None) -> list[Breach]:
    """Every missed target of the queries opened in the period (since `since`, up to now), the latest due first."""
    now = at or utcnow()
    hours, timed = _timed(session, *_in_period(since, now), now=now)
    found = []
    for t in timed:
        q = t.query
        for target, late, due, met in (
            (FIRST_RESPONSE, t.timers.response_late, t.timers.response_due, q.first_response_at),
            (RESOLUTION, t.timers.resolution_late, t.timers.resolution_due, q.resolved_at),
        ):
            if late:
                found.append(Breach(
                    query_id=q.id, contact_id=q.contact_id, contact_name=t.contact_name, kind=q.kind,
                    channel=q.channel, text=q.text, opened_at=q.opened_at, assigned_name=t.assignee, target=target,
                    due=due, met_at=met, late_minutes=-minutes_left(hours, due, met or now),
                ))
    return sorted(found, key=lambda b: (b.due, b.query_id, b.target), reverse=True)


@dataclass(frozen=True)
class ResponseFigures:
    """First responses for one channel or person over a period, in business minutes."""

    key: str  # the channel, or the assigned person's name
    queries: int  # opened in the period
    answered: int
    median_minutes: int | None  # nearest rank, of the answered ones
    p90_minutes: int | None
    in_time: int  # answered by the due instant
    decided: int  # with a target, and answered or already past due; the ones still in time to answer wait
    share_in_time: float | None  # in_time / decided


@dataclass(frozen=True)
class ResponseReport:
    """Response figures per channel and per person."""

    by_channel: list[ResponseFigures]
    by_person: list[ResponseFigures]


def _figures(key: str, group: list[_Timed]) -> ResponseFigures:
    answered = sorted(t.timers.response_minutes for t in group if t.query.first_response_at is not None)
    timed = [t for t in group if t.timers.response_due is not None]
    decided = [t for t in timed if t.query.first_response_at is not None or t.timers.response_late]
    in_time = sum(1 for t in decided if not t.timers.response_late)
    return ResponseFigures(
        key=key, queries=len(group), answered=len(answered),
        median_minutes=nearest_rank(answered, 0.5) if answered else None,
        p90_minutes=nearest_rank(answered, 0.9) if answered else None,
        in_time=in_time, decided=len(decided), share_in_time=in_time / len(decided) if decided else None,
    )


def response_figures(session: Session, *, since: datetime | None = None, at: datetime | None = None) -> ResponseReport:
    """Count, median and p90 first-response business minutes and the share in time, per channel and per person."""
    now = at or utcnow()
    _, timed = _timed(session, *_in_period(since, now), now=now)
    by_channel: dict[str, list[_Timed]] = defaultdict(list)
    by_person: dict[str, list[_Timed]] = defaultdict(list)
    for t in timed:
        by_channel[t.query.channel].append(t)
        by_person[t.assignee or UNASSIGNED].append(t)
    return ResponseReport(
        by_channel=[_figures(k, g) for k, g in sorted(by_channel.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
        by_person=[_figures(k, g) for k, g in sorted(by_person.items(), key=lambda kv: (kv[0] == UNASSIGNED, kv[0]))],
    )


@dataclass(frozen=True)
class SupportingQuery:
    """A query behind an insight."""

    query_id: int
    kind: str
    channel: str
    text: str
    opened_at: datetime


@dataclass(frozen=True)
class InsightSummary:
    """An insight with how many queries support it and when the latest of them was opened."""

    insight_id: int
    kind: str
    title: str
    description: str
    created_at: datetime
    supporting: int
    latest_supporting_at: datetime | None
    queries: list[SupportingQuery]


def _insight_summaries(session: Session, *conditions) -> list[InsightSummary]:
    rows = session.execute(
        select(Insight, func.count(Query.id), func.max(Query.opened_at))
        .outerjoin(insight_query, insight_query.c.insight_id == Insight.id)
        .outerjoin(Query, Query.id == insight_query.c.query_id)
        .where(*conditions)
        .group_by(Insight.id)
    ).all()
    support: dict[int, list[SupportingQuery]] = defaultdict(list)
    for insight_id, q in session.execute(
        select(insight_query.c.insight_id, Query).join(Query, Query.id == insight_query.c.query_id)
        .where(insight_query.c.insight_id.in_([i.id for i, _, _ in rows]))
        .order_by(Query.opened_at.desc(), Query.id.desc())
    ).all():
        support[insight_id].append(SupportingQuery(q.id, q.kind, q.channel, q.text, q.opened_at))
    return [
        InsightSummary(i.id, i.kind, i.title, i.description, i.created_at, count, latest, support[i.id])
        for i, count, latest in rows
    ]


def insight_list(session: Session) -> list[InsightSummary]:
    """Every insight, the best-supported first, then the one heard from most recently."""
    return sorted(_insight_summaries(session),
                  key=lambda s: (-s.supporting, -(s.latest_supporting_at or s.created_at).timestamp(), -s.insight_id))


def insight_summary(session: Session, insight_id: int) -> InsightSummary:
    """One insight with its supporting queries, or NotFound."""
    found = _insight_summaries(session, Insight.id == insight_id)
    if not found:
        raise NotFound(f"no insight {insight_id}")
    return found[0]
