"""Read models for contacts: counts by stage, lists and the contact page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accord.contacts.models import Contact, Identity, Organisation
from accord.errors import NotFound
from accord.kernel.audit import timeline
from accord.kernel.models import AuditEvent
from accord.kernel.vocabulary import LIFECYCLE_STAGES


def count_by_stage(session: Session) -> dict[str, int]:
    """Contacts per lifecycle stage, every stage present and in lifecycle order."""
    rows = session.execute(select(Contact.lifecycle_stage, func.count()).group_by(Contact.lifecycle_stage))
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
    query = select(Contact)
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
class ContactDetail:
    """Everything the contact page shows."""

    contact: Contact
    organisation: Organisation | None
    identities: list[Identity]
    timeline: list[AuditEvent]


def contact_detail(session: Session, contact_id: int) -> ContactDetail:
    """The contact, their organisation, identities and timeline; NotFound if absent."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    organisation = session.get(Organisation, contact.organisation_id) if contact.organisation_id else None
    identities = list(
        session.scalars(select(Identity).where(Identity.contact_id == contact_id).order_by(Identity.kind, Identity.id))
    )
    return ContactDetail(contact, organisation, identities, timeline(session, contact_id))
