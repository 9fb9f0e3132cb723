"""API: contacts."""

from __future__ import annotations

from fastapi import APIRouter, Query

from accord.accounts.models import User
from accord.contacts.queries import contact_detail, list_contacts
from accord.contacts.schemas import ContactDetailOut, ContactOut, ContactPageOut, IdentityOut, TimelineEntryOut
from accord.kernel.vocabulary import LIFECYCLE_STAGES
from accord.web.security import EVERYONE, DbSession, api_user

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get("", response_model=ContactPageOut)
def contacts(
    session: DbSession,
    user: User = api_user(*EVERYONE),
    q: str = "",
    stage: str | None = Query(default=None, pattern="^(" + "|".join(LIFECYCLE_STAGES) + ")$"),
    page: int = Query(default=1, ge=1),
    per_page: int = Query(default=50, ge=1, le=500),
) -> ContactPageOut:
    """Contacts, newest first, with search and a lifecycle-stage filter."""
    result = list_contacts(session, search=q, stage=stage, page=page, per_page=per_page)
    return ContactPageOut(
        items=[ContactOut.model_validate(c) for c in result.contacts],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
    )


@router.get("/{contact_id}", response_model=ContactDetailOut)
def contact(session: DbSession, contact_id: int, user: User = api_user(*EVERYONE)) -> ContactDetailOut:
    """One contact with identities and timeline."""
    detail = contact_detail(session, contact_id)
    return ContactDetailOut(
        **ContactOut.model_validate(detail.contact).model_dump(),
        identities=[IdentityOut.model_validate(i) for i in detail.identities],
        timeline=[TimelineEntryOut.model_validate(e) for e in detail.timeline],
    )
