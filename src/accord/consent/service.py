"""The permission ledger's writes, and the one gate every outbound message passes: `require`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.consent.models import Consent
from accord.contacts.service import live_contact
from accord.conversations.models import Query
from accord.engagement.models import Engagement
from accord.errors import ConsentRequired, Invalid
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.db import get_row
from accord.kernel.vocabulary import CHANNELS, CONSENT_PURPOSES

MAX_EVIDENCE = 2000


def _check(purpose: str, channel: str) -> None:
    if purpose not in CONSENT_PURPOSES:
        raise Invalid("purpose", f"'{purpose}' is not one of {', '.join(CONSENT_PURPOSES)}")
    if channel not in CHANNELS:
        raise Invalid("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")


def active_consent(session: Session, contact_id: int, purpose: str, channel: str) -> Consent | None:
    """The grant in force for this contact, purpose and channel, if any."""
    return session.scalar(
        select(Consent).where(Consent.contact_id == contact_id, Consent.purpose == purpose,
                              Consent.channel == channel, Consent.withdrawn_at.is_(None))
        .order_by(Consent.granted_at.desc(), Consent.id.desc()).limit(1)
    )


def grant_consent(session: Session, contact_id: int, purpose: str, channel: str, *, evidence_source: str,
                  evidence_text: str, actor: Actor, at: datetime | None = None) -> Consent:
    """Record a permission with its evidence (where it was given and the text the person saw).

    A grant already in force is returned as it is, so recording the same answer twice changes nothing.
    """
    _check(purpose, channel)
    if not evidence_source.strip():
        raise Invalid("evidence_source", "empty; say where the permission was given (a form, a call, a message)")
    if not evidence_text.strip():
        raise Invalid("evidence_text", "empty; keep the words the person agreed to")
    if len(evidence_text) > MAX_EVIDENCE:
        raise Invalid("evidence_text", f"{len(evidence_text):,} characters; the limit is {MAX_EVIDENCE:,}")
    contact = live_contact(session, contact_id)
    existing = active_consent(session, contact.id, purpose, channel)
    if existing is not None:
        return existing
    when = at or utcnow()
    consent = Consent(contact_id=contact.id, purpose=purpose, channel=channel, granted_at=when,
                      evidence_source=evidence_source.strip()[:200], evidence_text=evidence_text.strip(),
                      recorded_by_user_id=actor.user_id)
    session.add(consent)
    session.flush()
    record(session, actor=actor, entity="consent", entity_id=consent.id, contact_id=contact.id, action="granted",
           summary=f"Gave permission for {purpose} on {channel} ({consent.evidence_source})",
           after={"purpose": purpose, "channel": channel, "evidence_source": consent.evidence_source,
                  "evidence_text": consent.evidence_text, "granted_at": when.isoformat()})
    return consent


def withdraw_consent(session: Session, contact_id: int, purpose: str, channel: str | None, *, evidence_source: str,
                     actor: Actor, at: datetime | None = None) -> list[Consent]:
    """Withdraw the grants in force for a purpose (on one channel, or on all when channel is None).

    Withdrawing what is not in force returns an empty list: an unsubscribe link clicked twice is not an error.
    """
    _check(purpose, channel or "email")
    contact = live_contact(session, contact_id)
    query = select(Consent).where(Consent.contact_id == contact.id, Consent.purpose == purpose,
                                  Consent.withdrawn_at.is_(None))
    if channel is not None:
        query = query.where(Consent.channel == channel)
    grants = list(session.scalars(query.order_by(Consent.id)))
    when = at or utcnow()
    for grant in grants:
        # A withdrawal recorded with a time before the grant would break the ledger's order.
        grant.withdrawn_at = max(when, grant.granted_at)
        record(session, actor=actor, entity="consent", entity_id=grant.id, contact_id=contact.id,
               action="withdrawn", summary=f"Withdrew permission for {purpose} on {grant.channel} ({evidence_source})",
               before={"withdrawn_at": None}, after={"withdrawn_at": grant.withdrawn_at.isoformat(),
                                                     "evidence_source": evidence_source})
    session.flush()
    return grants


def require(session: Session, contact_id: int, *, purpose: str, channel: str,
            answering_engagement_id: int | None = None, answering_query_id: int | None = None) -> str:
    """The legal basis for sending this contact a message, or ConsentRequired.

    A direct answer to the person's own engagement or query is legitimate interest; anything else needs
    a grant in force for the purpose on the channel. Every outbound path calls this, and only this.
    """
    _check(purpose, channel)
    contact = live_contact(session, contact_id)
    for model, noun, answered in ((Engagement, "engagement", answering_engagement_id),
                                  (Query, "query", answering_query_id)):
        if answered is None:
            continue
        theirs = get_row(session, model, answered, noun)
        if theirs.contact_id != contact.id:
            raise Invalid(f"answering_{noun}_id", f"{noun} {theirs.id} is not from contact {contact.id}")
        return "legitimate_interest"
    if active_consent(session, contact.id, purpose, channel) is None:
        raise ConsentRequired(f"contact {contact.id} has not given permission for {purpose} on {channel}")
    return "consent"
