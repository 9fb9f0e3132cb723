"""Read models for engagements: the inbox of people still waiting for a personal reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, not_, select
from sqlalchemy.orm import Session

from accord.contacts.models import Contact
from accord.engagement.models import Engagement
from accord.personas.queries import best_fits

# Must match the partial index ix_engagement_waiting, so the inbox never scans answered engagements.
_WAITING = (Engagement.answered_at.is_(None), not_(Engagement.is_spam))


def waiting_count(session: Session) -> int:
    """Engagements (not spam) that no one from the business has answered yet."""
    return session.scalar(select(func.count()).select_from(Engagement).where(*_WAITING)) or 0


def waiting_by_channel(session: Session) -> dict[str, int]:
    """How many engagements wait per channel, busiest first."""
    rows = session.execute(
        select(Engagement.channel, func.count()).where(*_WAITING).group_by(Engagement.channel)
    ).all()
    return dict(sorted(rows, key=lambda r: (-r[1], r[0])))


@dataclass(frozen=True)
class WaitingItem:
    """One engagement in the inbox, with the person behind it and their best persona fit."""

    engagement_id: int
    contact_id: int
    contact_name: str
    channel: str
    kind: str
    text: str | None
    occurred_at: datetime
    persona: str | None
    fit: float | None


def waiting_list(
    session: Session, *, channel: str | None = None, kind: str | None = None, limit: int = 100, offset: int = 0
) -> list[WaitingItem]:
    """The longest-waiting engagements first, so no one waits longest; filter by channel and kind."""
    query = (
        select(Engagement, Contact.display_name)
        .join(Contact, Contact.id == Engagement.contact_id)
        .where(*_WAITING)
        .order_by(Engagement.occurred_at, Engagement.id)
        .limit(limit)
        .offset(offset)
    )
    if channel:
        query = query.where(Engagement.channel == channel)
    if kind:
        query = query.where(Engagement.kind == kind)
    rows = session.execute(query).all()
    fits = best_fits(session, {e.contact_id for e, _ in rows})
    return [
        WaitingItem(e.id, e.contact_id, name, e.channel, e.kind, e.text, e.occurred_at,
                    *fits.get(e.contact_id, (None, None)))
        for e, name in rows
    ]


def find_engagement(session: Session, source: str, external_id: str) -> Engagement | None:
    """The engagement recorded under a source and external id, if any."""
    return session.scalar(select(Engagement).where(Engagement.source == source, Engagement.external_id == external_id))
