"""Writes to insights: what the business learns from queries, with the queries that support it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from accord.conversations.models import INSIGHT_KINDS, Insight, Query, insight_query
from accord.conversations.queries_service import instant
from accord.errors import Invalid
from accord.kernel.audit import Actor, record
from accord.kernel.db import get_row

MAX_TITLE = 300
MAX_DESCRIPTION = 10_000


def _existing_queries(session: Session, query_ids: Iterable[int]) -> list[int]:
    """The distinct ids in order given, or Invalid naming every id that is not a query."""
    wanted = list(dict.fromkeys(query_ids))
    found = set(session.scalars(select(Query.id).where(Query.id.in_(wanted)))) if wanted else set()
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise Invalid("query_ids", f"no {'query' if len(missing) == 1 else 'queries'} {', '.join(missing)}")
    return wanted


def _linked(session: Session, insight_id: int) -> set[int]:
    return set(session.scalars(select(insight_query.c.query_id).where(insight_query.c.insight_id == insight_id)))


def create_insight(session: Session, kind: str, title: str, description: str, query_ids: Iterable[int], *,
                   actor: Actor, at: datetime | None = None) -> Insight:
    """Record a need, product idea or objection, linked to the queries that support it."""
    if kind not in INSIGHT_KINDS:
        raise Invalid("kind", f"'{kind}' is not one of {', '.join(INSIGHT_KINDS)}")
    if not title.strip():
        raise Invalid("title", "empty; say in a few words what was learned")
    if len(title.strip()) > MAX_TITLE:
        raise Invalid("title", f"{len(title.strip()):,} characters; the limit is {MAX_TITLE}")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid("description", f"{len(description):,} characters; the limit is {MAX_DESCRIPTION:,}")
    supporting = _existing_queries(session, query_ids)
    insight = Insight(kind=kind, title=title.strip(), description=description.strip(), created_at=instant(at),
                      created_by_user_id=actor.user_id)
    session.add(insight)
    session.flush()
    if supporting:
        session.execute(insert(insight_query), [{"insight_id": insight.id, "query_id": q} for q in supporting])
    record(session, actor=actor, entity="insight", entity_id=insight.id, action="created",
           summary=f"Insight ({kind.replace('_', ' ')}): {insight.title[:120]}",
           after={"kind": kind, "title": insight.title, "query_ids": supporting})
    return insight


def link_queries(session: Session, insight_id: int, query_ids: Iterable[int], *, actor: Actor) -> list[int]:
    """Add supporting queries to an insight; returns the ids newly linked (already linked ones are left as they are)."""
    insight = get_row(session, Insight, insight_id, "insight")
    wanted = _existing_queries(session, query_ids)
    if not wanted:
        raise Invalid("query_ids", "none given; choose the queries that support this insight")
    linked = _linked(session, insight.id)
    added = [q for q in wanted if q not in linked]
    if added:
        session.execute(insert(insight_query), [{"insight_id": insight.id, "query_id": q} for q in added])
        record(session, actor=actor, entity="insight", entity_id=insight.id, action="queries_linked",
               summary=f"{len(added)} more {'query supports' if len(added) == 1 else 'queries support'} "
                       f"'{insight.title[:100]}'", after={"query_ids": added})
    return added
