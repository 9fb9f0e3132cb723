"""Read models for engagements: what is waiting for a personal reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from accord.contacts.models import Contact
from accord.engagement.models import Engagement

_WAITING = (Engagement.answered_at.is_(None), Engagement.is_spam == false())


def waiting_count(session: Session) -> int:
    """Engagements (not spam) that no one from the business has answered yet."""
    return session.scalar(select(func.count()).select_from(Engagement).where(*_WAITING)) or 0


@dataclass(frozen=True)
class WaitingItem:
    """One engagement in the inbox, with the person behind it."""

    engagement_id: int
    contact_id: int
    contact_name: str
    channel: str
    kind: str
    text: str | None
    occurred_at: datetime


def waiting_list(session: Session, *, limit: int = 100) -> list[WaitingItem]:
    """The oldest waiting engagements first, so no one waits longest."""
    rows = session.execute(
        select(Engagement, Contact.display_name)
        .join(Contact, Contact.id == Engagement.contact_id)
        .where(*_WAITING)
        .order_by(Engagement.occurred_at, Engagement.id)
        .limit(limit)
    )
    return [
        WaitingItem(e.id, e.contact_id, name, e.channel, e.kind, e.text, e.occurred_at) for e, name in rows.all()
    ]
