"""Writes to queries: open one, assign it, resolve it; and the SLA targets per channel they are timed against.

The first response is recorded by `conversations.service.send_message` answering the query.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.contacts.service import live_contact
from accord.conversations.models import QUERY_KINDS, Conversation, Query, SlaTarget
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor, record, snapshot
from accord.kernel.clock import utcnow
from accord.kernel.db import get_row
from accord.kernel.vocabulary import CHANNELS

MAX_TEXT = 10_000
# A year of round-the-clock minutes: beyond it a target is a typing slip, and the column is a 32-bit integer.
MAX_TARGET_MINUTES = 525_600


def instant(at: datetime | None) -> datetime:
    """The given moment in UTC, or now; Invalid naming `at` when it has no time zone."""
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise Invalid("at", f"{at.isoformat()} has no time zone; give one such as +02:00 or Z")
    return at.astimezone(timezone.utc)


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise Invalid("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")


def get_query(session: Session, query_id: int) -> Query:
    """A query, or NotFound."""
    return get_row(session, Query, query_id, "query")


def _assignee(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise Invalid("assigned_user_id", f"no active user {user_id}")
    if user.role == "viewer":
        raise Invalid("assigned_user_id", f"{user.name} is a viewer and cannot answer queries")
    return user


def open_query(session: Session, contact_id: int, kind: str, channel: str, text: str, *, actor: Actor,
               at: datetime | None = None, conversation_id: int | None = None,
               assigned_user_id: int | None = None) -> Query:
    """Record a question, concern, complaint or suggestion that needs an answer; its SLA clock starts at `at`."""
    if kind not in QUERY_KINDS:
        raise Invalid("kind", f"'{kind}' is not one of {', '.join(QUERY_KINDS)}")
    _check_channel(channel)
    if not text.strip():
        raise Invalid("text", "empty; write what they asked or said")
    if len(text) > MAX_TEXT:
        raise Invalid("text", f"{len(text):,} characters; the limit is {MAX_TEXT:,}")
    opened = instant(at)
    contact = live_contact(session, contact_id)
    if conversation_id is not None:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise Invalid("conversation_id", f"no conversation {conversation_id}")
        if conversation.contact_id != contact.id:
            raise Invalid("conversation_id", f"conversation {conversation_id} is not with contact {contact.id}")
    if assigned_user_id is not None:
        _assignee(session, assigned_user_id)
    query = Query(contact_id=contact.id, conversation_id=conversation_id, kind=kind, channel=channel,
                  text=text.strip(), opened_at=opened, assigned_user_id=assigned_user_id)
    session.add(query)
    session.flush()
    record(session, actor=actor, entity="query", entity_id=query.id, contact_id=contact.id, action="opened",
           summary=f"{kind.capitalize()} on {channel}: {query.text[:120]}", after=snapshot(query))
    return query


def resolve_query(session: Session, query_id: int, *, actor: Actor, at: datetime | None = None) -> Query:
    """Mark a query resolved; one never answered counts as answered by its resolution. Resolving twice is a Conflict."""
    query = get_query(session, query_id)
    if query.resolved_at is not None:
        raise Conflict(f"query {query_id} was already resolved at {query.resolved_at:%Y-%m-%d %H:%M} UTC")
    when = instant(at)
    if when < query.opened_at:
        raise Invalid("at", f"{when:%Y-%m-%d %H:%M} UTC is before query {query_id} was opened "
                            f"({query.opened_at:%Y-%m-%d %H:%M} UTC)")
    before = snapshot(query)
    query.resolved_at = when
    if query.first_response_at is None:
        query.first_response_at = when
    session.flush()
    record(session, actor=actor, entity="query", entity_id=query.id, contact_id=query.contact_id,
           action="resolved", summary=f"Resolved the {query.kind}: {query.text[:120]}", before=before,
           after=snapshot(query))
    return query


def assign_query(session: Session, query_id: int, user_id: int | None, *, actor: Actor) -> Query:
    """Give a query to a person to answer (None leaves it unassigned)."""
    query = get_query(session, query_id)
    assignee = _assignee(session, user_id) if user_id is not None else None
    if query.assigned_user_id == user_id:
        return query
    before = snapshot(query)
    query.assigned_user_id = user_id
    session.flush()
    record(session, actor=actor, entity="query", entity_id=query.id, contact_id=query.contact_id,
           action="assigned", summary=f"Assigned to {assignee.name}" if assignee else "Unassigned",
           before=before, after=snapshot(query))
    return query


def _check_minutes(field: str, value: int) -> None:
    if not 0 < value <= MAX_TARGET_MINUTES:
        raise Invalid(field, f"{value} is not between 1 and {MAX_TARGET_MINUTES:,} business minutes")


def set_sla_target(session: Session, channel: str, first_response_minutes: int, resolution_minutes: int | None, *,
                   actor: Actor) -> SlaTarget:
    """Set how many business minutes queries on a channel may wait for a first response and for resolution."""
    _check_channel(channel)
    _check_minutes("first_response_minutes", first_response_minutes)
    if resolution_minutes is not None:
        _check_minutes("resolution_minutes", resolution_minutes)
        if resolution_minutes < first_response_minutes:
            raise Invalid("resolution_minutes", f"{resolution_minutes} is less than the first-response target "
                                                f"of {first_response_minutes} minutes")
    target = session.get(SlaTarget, channel)
    before = snapshot(target) if target else None
    if target is None:
        target = SlaTarget(channel=channel)
        session.add(target)
    target.first_response_minutes = first_response_minutes
    target.resolution_minutes = resolution_minutes
    session.flush()
    resolved = f", resolved within {resolution_minutes}" if resolution_minutes else ""
    # Targets are workspace settings keyed by channel, so the audit row hangs off the workspace.
    record(session, actor=actor, entity="workspace", entity_id=1, action="sla_target_set",
           summary=f"SLA on {channel}: first response within {first_response_minutes} business minutes{resolved}",
           before=before, after=snapshot(target))
    return target
