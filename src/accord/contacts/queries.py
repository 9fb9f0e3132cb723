"""Read models for contacts: counts by stage, lists and the contact page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz
from sqlalchemy import func, not_, or_, select
from sqlalchemy.orm import Session

from accord.consent.models import Consent
from accord.contacts.models import Contact, ContactMerge, Identity, Organisation
from accord.engagement.models import Engagement
from accord.kernel.audit import timeline
from accord.kernel.db import get_row
from accord.kernel.vocabulary import LIFECYCLE_STAGES
from accord.personas.queries import ContactFit, contact_fits


_LIVE = Contact.merged_into_id.is_(None)
_WAITING = (Engagement.answered_at.is_(None), not_(Engagement.is_spam))


def count_by_stage(session: Session) -> dict[str, int]:
    """Contacts per lifecycle stage, every stage present and in lifecycle order (merged records not counted)."""
    rows = session.execute(
        select(Contact.lifecycle_stage, func.count()).where(_LIVE).group_by(Contact.lifecycle_stage)
    )
    counts = dict(rows.all())
    return {stage: counts.get(stage, 0) for stage in LIFECYCLE_STAGES}


@dataclass(frozen=True)
class ContactPage:
    """One page of contacts and how many match in all."""

    contacts: list[Contact]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the matches fill."""
        return max(1, -(-self.total // self.per_page))


def list_contacts(
    session: Session, *, search: str = "", stage: str | None = None, page: int = 1, per_page: int = 50
) -> ContactPage:
    """Contacts, newest first, filtered by a name/identity search and a lifecycle stage."""
    query = select(Contact).where(_LIVE)
    if stage:
        query = query.where(Contact.lifecycle_stage == stage)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        by_identity = select(Identity.contact_id).where(Identity.value.like(pattern))
        query = query.where(or_(func.lower(Contact.display_name).like(pattern), Contact.id.in_(by_identity)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(Contact.created_at.desc(), Contact.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return ContactPage(list(rows), total or 0, page, per_page)


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened with a contact: an engagement they made or a change someone recorded."""

    at: datetime
    what: str
    detail: str
    by: str
    engagement_id: int | None = None


@dataclass(frozen=True)
class MergeSuggestion:
    """Another contact whose name is close to this one's; a person decides whether they are the same."""

    contact_id: int
    display_name: str
    score: float


@dataclass(frozen=True)
class ContactDetail:
    """Everything the contact page shows."""

    contact: Contact
    organisation: Organisation | None
    identities: list[Identity]
    timeline: list[TimelineEntry]
    merges: list[ContactMerge]
    suggestions: list[MergeSuggestion]
    consents: list[Consent] = field(default_factory=list)
    waiting: list[Engagement] = field(default_factory=list)
    personas: list[ContactFit] = field(default_factory=list)  # every persona they fit at all, best first


def contact_timeline(session: Session, contact_id: int, *, limit: int = 200) -> list[TimelineEntry]:
    """Engagements and audited changes of one contact, newest first."""
    entries = [
        TimelineEntry(e.occurred_at, f"{e.kind} on {e.channel}" + (" (spam)" if e.is_spam else ""),
                      e.text or "", "them", e.id)
        for e in session.scalars(
            select(Engagement).where(Engagement.contact_id == contact_id)
            .order_by(Engagement.occurred_at.desc(), Engagement.id.desc()).limit(limit)
        )
    ]
    entries += [
        TimelineEntry(a.at, a.summary or f"{a.entity} {a.action}", "", a.actor)
        for a in timeline(session, contact_id, limit=limit)
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def merge_suggestions(session: Session, contact: Contact, *, limit: int = 5, threshold: float = 88.0) -> list[MergeSuggestion]:
    """Live contacts with a similar name (never merged automatically: names alone do not prove a person)."""
    tokens = [t for t in contact.display_name.casefold().split() if len(t) >= 2]
    if not tokens:
        return []
    pattern = f"%{tokens[0]}%"
    candidates = session.execute(
        select(Contact.id, Contact.display_name)
        .where(_LIVE, Contact.id != contact.id, func.lower(Contact.display_name).like(pattern))
        .limit(2000)
    ).all()
    scored = [
        MergeSuggestion(cid, name, fuzz.token_sort_ratio(contact.display_name.casefold(), name.casefold()))
        for cid, name in candidates
    ]
    return sorted((s for s in scored if s.score >= threshold), key=lambda s: (-s.score, s.contact_id))[:limit]


def contact_detail(session: Session, contact_id: int) -> ContactDetail:
    """The contact, their organisation, identities, timeline, merges and merge suggestions; NotFound if absent."""
    contact = get_row(session, Contact, contact_id, "contact")
    organisation = session.get(Organisation, contact.organisation_id) if contact.organisation_id else None
    identities = list(
        session.scalars(select(Identity).where(Identity.contact_id == contact_id).order_by(Identity.kind, Identity.id))
    )
    merges = list(session.scalars(
        select(ContactMerge)
        .where(or_(ContactMerge.kept_contact_id == contact_id, ContactMerge.merged_contact_id == contact_id))
        .order_by(ContactMerge.merged_at.desc())
    ))
    suggestions = merge_suggestions(session, contact) if contact.merged_into_id is None else []
    consents = list(session.scalars(select(Consent).where(Consent.contact_id == contact_id)
                                    .order_by(Consent.withdrawn_at.is_not(None), Consent.granted_at.desc())))
    waiting = list(session.scalars(select(Engagement).where(Engagement.contact_id == contact_id, *_WAITING)
                                   .order_by(Engagement.occurred_at)))
    return ContactDetail(contact, organisation, identities, contact_timeline(session, contact_id), merges, suggestions,
                         consents, waiting, contact_fits(session, contact_id))
