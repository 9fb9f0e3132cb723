"""The audit trail: every write to a contact, deal, consent or order leaves a row in the same transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from accord.kernel.clock import utcnow
from accord.kernel.models import AuditEvent


class Actor:
    """Who did something: a signed-in user, or a named process such as an import or the demo."""

    __slots__ = ("user_id", "label")

    def __init__(self, label: str, user_id: int | None = None) -> None:
        self.label = label
        self.user_id = user_id

    @classmethod
    def user(cls, user) -> "Actor":
        """The actor for a signed-in user."""
        return cls(f"user:{user.email}", user.id)

    def __repr__(self) -> str:
        return f"Actor({self.label!r})"


SYSTEM = Actor("system")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The column values of an ORM object as JSON-safe data."""
    mapper = inspect(obj).mapper
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def record(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    entity_id: int,
    action: str,
    contact_id: int | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit row; the caller's transaction commits it with the change it describes."""
    event = AuditEvent(
        at=at or utcnow(),
        actor_user_id=actor.user_id,
        actor=actor.label,
        entity=entity,
        entity_id=entity_id,
        contact_id=contact_id,
        action=action,
        summary=summary,
        before=before,
        after=after,
    )
    session.add(event)
    session.flush()
    return event


def timeline(session: Session, contact_id: int, *, limit: int = 200) -> list[AuditEvent]:
    """The newest audit rows about one contact, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.contact_id == contact_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
