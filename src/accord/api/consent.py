"""API: a contact's permissions, messages to them, and their data on request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from accord.accounts.models import User
from accord.connectors.mail import Mailer
from accord.consent import service as consent
from accord.consent.models import Consent
from accord.consent.schemas import ConsentIn, ConsentOut, WithdrawIn
from accord.contacts.privacy import erase_person, export_person
from accord.contacts.service import live_contact
from accord.conversations.schemas import BulkMessageIn, MessageIn, MessageOut
from accord.conversations.service import Outgoing, send_bulk, send_message
from accord.kernel.audit import Actor
from accord.web.security import EDITORS, EVERYONE, DbSession, api_user, store_of

router = APIRouter(prefix="/contacts", tags=["consent and messages"])


@router.get("/{contact_id}/consents", response_model=list[ConsentOut])
def consents(session: DbSession, contact_id: int, user: User = api_user(*EVERYONE)):
    """Every permission the contact gave, withdrawn ones included."""
    live_contact(session, contact_id)
    return session.scalars(select(Consent).where(Consent.contact_id == contact_id).order_by(Consent.id)).all()


@router.post("/{contact_id}/consents", response_model=ConsentOut, status_code=201)
def grant(session: DbSession, contact_id: int, data: ConsentIn, user: User = api_user(*EDITORS)):
    """Record a permission (a grant already in force is returned unchanged)."""
    return consent.grant_consent(session, contact_id, data.purpose, data.channel, evidence_source=data.evidence_source,
                                 evidence_text=data.evidence_text, actor=Actor.user(user))


@router.post("/{contact_id}/consents/withdraw", response_model=list[ConsentOut])
def withdraw(session: DbSession, contact_id: int, data: WithdrawIn, user: User = api_user(*EDITORS)):
    """Withdraw a purpose (on one channel or all); returns the grants it ended."""
    return consent.withdraw_consent(session, contact_id, data.purpose, data.channel,
                                    evidence_source=data.evidence_source, actor=Actor.user(user))


@router.post("/{contact_id}/messages", response_model=MessageOut, status_code=201)
def message(request: Request, session: DbSession, contact_id: int, data: MessageIn, user: User = api_user(*EDITORS)):
    """Send or log a message through the consent gate (403 ConsentRequired without permission)."""
    settings = store_of(request).settings
    item = Outgoing(contact_id, data.channel, data.body, subject=data.subject, purpose=data.purpose,
                    answering_engagement_id=data.answering_engagement_id, answering_query_id=data.answering_query_id)
    return send_message(session, item, actor=Actor.user(user), mailer=Mailer(settings), secret=settings.secret_key,
                        public_url=settings.public_url)


@router.post("/messages/bulk", response_model=list[MessageOut], status_code=201)
def bulk(request: Request, session: DbSession, data: BulkMessageIn, user: User = api_user(*EDITORS)):
    """Send one message to many; 403 naming who has not given permission, and then nothing is sent."""
    settings = store_of(request).settings
    items = [Outgoing(contact_id, data.channel, data.body, subject=data.subject, purpose=data.purpose)
             for contact_id in data.contact_ids]
    return send_bulk(session, items, actor=Actor.user(user), mailer=Mailer(settings), secret=settings.secret_key,
                     public_url=settings.public_url)


@router.get("/{contact_id}/export")
def export(session: DbSession, contact_id: int, user: User = api_user("owner")) -> dict[str, Any]:
    """Everything held about the person (owners only)."""
    return export_person(session, contact_id)


@router.post("/{contact_id}/erase", status_code=204)
def erase(session: DbSession, contact_id: int, reason: str = "at their request", user: User = api_user("owner")) -> None:
    """Anonymise the person at their request; money figures stay (owners only)."""
    erase_person(session, contact_id, actor=Actor.user(user), reason=reason)
