"""A person's rights over their data: an export of everything held about them, and erasure on request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from accord.consent.models import Consent
from accord.contacts.models import Contact, ContactAttribute, Identity
from accord.contacts.service import live_contact
from accord.conversations.models import Conversation, Message, Query
from accord.engagement.models import Engagement, Touch
from accord.kernel.audit import Actor, record, snapshot
from accord.kernel.clock import utcnow
from accord.kernel.models import AuditEvent
from accord.nurture.models import Referral, Task
from accord.pipeline.models import Deal, Order, OrderLine

ERASED = "[erased]"


def export_person(session: Session, contact_id: int) -> dict[str, Any]:
    """Everything stored about one person, as JSON-safe data (for a subject-access request)."""
    contact = live_contact(session, contact_id)

    def rows(model, *where) -> list[dict[str, Any]]:
        return [snapshot(obj) for obj in session.scalars(select(model).where(*where).order_by(model.id))]

    conversations = rows(Conversation, Conversation.contact_id == contact.id)
    orders = rows(Order, Order.contact_id == contact.id)
    return {
        "contact": snapshot(contact),
        "identities": rows(Identity, Identity.contact_id == contact.id),
        "attributes": [{"key": key, "value": value} for key, value in session.execute(
            select(ContactAttribute.key, ContactAttribute.value).where(ContactAttribute.contact_id == contact.id)
            .order_by(ContactAttribute.key, ContactAttribute.value))],
        "engagements": rows(Engagement, Engagement.contact_id == contact.id),
        "touches": rows(Touch, Touch.contact_id == contact.id),
        "conversations": conversations,
        "messages": rows(Message, Message.conversation_id.in_([c["id"] for c in conversations])),
        "queries": rows(Query, Query.contact_id == contact.id),
        "consents": rows(Consent, Consent.contact_id == contact.id),
        "deals": rows(Deal, Deal.contact_id == contact.id),
        "orders": orders,
        "order_lines": rows(OrderLine, OrderLine.order_id.in_([o["id"] for o in orders])),
        "tasks": rows(Task, Task.contact_id == contact.id),
        "referrals": rows(Referral, (Referral.referrer_contact_id == contact.id)
                          | (Referral.referred_contact_id == contact.id)),
        "timeline": rows(AuditEvent, AuditEvent.contact_id == contact.id),
    }


def erase_person(session: Session, contact_id: int, *, actor: Actor, reason: str) -> Contact:
    """Anonymise a person on request: names, identities, words and evidence go; money figures stay for reviews.

    Orders, lines, deals' values and dates are kept (they belong to the business's books), attached to a
    contact that no longer says who it was. The erasure itself is audited without personal data.
    """
    contact = live_contact(session, contact_id)
    now = utcnow()
    conversation_ids = select(Conversation.id).where(Conversation.contact_id == contact.id).scalar_subquery()
    session.execute(delete(Identity).where(Identity.contact_id == contact.id))
    session.execute(delete(ContactAttribute).where(ContactAttribute.contact_id == contact.id))
    session.execute(update(Engagement).where(Engagement.contact_id == contact.id).values(text=None, url=None))
    session.execute(update(Touch).where(Touch.contact_id == contact.id).values(visitor_id=None, referrer=None))
    session.execute(update(Message).where(Message.conversation_id.in_(conversation_ids)).values(body=ERASED))
    session.execute(update(Conversation).where(Conversation.contact_id == contact.id).values(subject=None))
    session.execute(update(Query).where(Query.contact_id == contact.id).values(text=ERASED))
    session.execute(update(Consent).where(Consent.contact_id == contact.id).values(evidence_text=ERASED))
    session.execute(update(Consent).where(Consent.contact_id == contact.id, Consent.withdrawn_at.is_(None))
                    .values(withdrawn_at=now))
    session.execute(update(Task).where(Task.contact_id == contact.id).values(notes=ERASED))
    # Audit rows keep what happened and when, not the names and words they quoted.
    session.execute(update(AuditEvent).where(AuditEvent.contact_id == contact.id)
                    .values(before=None, after=None, summary="(erased)"))
    contact.display_name = f"Erased contact {contact.id}"
    contact.city = contact.region = None
    contact.erased_at = now
    contact.updated_at = now
    session.flush()
    record(session, actor=actor, entity="contact", entity_id=contact.id, contact_id=contact.id, action="erased",
           summary=f"Erased at their request ({reason[:200]})")
    return contact
