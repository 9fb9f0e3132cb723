"""Writes to conversations: open one with a contact."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.contacts.service import live_contact
from accord.conversations.models import Conversation
from accord.engagement.models import Engagement
from accord.errors import Invalid, NotFound
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.vocabulary import CHANNELS


def open_conversation(session: Session, contact_id: int, channel: str, *, actor: Actor,
                      subject: str | None = None) -> Conversation:
    """The open conversation with a contact on a channel, started now if there is none."""
    if channel not in CHANNELS:
        raise Invalid("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")
    contact = live_contact(session, contact_id)
    existing = session.scalar(
        select(Conversation).where(Conversation.contact_id == contact.id, Conversation.channel == channel,
                                   Conversation.status == "open").order_by(Conversation.id.desc()).limit(1)
    )
    if existing is not None:
        return existing
    conversation = Conversation(contact_id=contact.id, channel=channel, subject=subject, status="open",
                                started_at=utcnow())
    session.add(conversation)
    session.flush()
    record(session, actor=actor, entity="conversation", entity_id=conversation.id, contact_id=contact.id,
           action="opened", summary=f"Conversation opened on {channel}")
    return conversation


def open_conversation_about(session: Session, engagement_id: int, *, actor: Actor) -> Conversation:
    """Open (or reopen) the conversation with the person behind an engagement, on its channel."""
    engagement = session.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound(f"no engagement {engagement_id}")
    return open_conversation(session, engagement.contact_id, engagement.channel, actor=actor)
