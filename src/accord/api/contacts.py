"""API: contacts."""

from __future__ import annotations

from fastapi import APIRouter, Query

from accord.accounts.models import User
from accord.contacts.queries import contact_detail, list_contacts
from accord.contacts.schemas import (
    ContactDetailOut,
    ContactOut,
    ContactPageOut,
    IdentityOut,
    MergeIn,
    MergeOut,
    TimelineEntryOut,
)
from accord.contacts.service import merge_contacts, undo_merge
from accord.kernel.audit import Actor
from accord.kernel.vocabulary import LIFECYCLE_STAGES
from accord.web.security import EDITORS, EVERYONE, DbSession, api_user

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


@router.post("/{contact_id}/merge", response_model=MergeOut, status_code=201)
def merge(contact_id: int, data: MergeIn, session: DbSession, user: User = api_user(*EDITORS)):
    """Merge another contact into this one: identities, engagements, deals, orders and the rest move."""
    return merge_contacts(session, contact_id, data.other_id, reason=f"{user.name} found them to be the same person",
                          actor=Actor.user(user))


@router.post("/merges/{merge_id}/undo", response_model=MergeOut)
def undo(merge_id: int, session: DbSession, user: User = api_user(*EDITORS)):
    """Split a merge: everything moves back."""
    return undo_merge(session, merge_id, actor=Actor.user(user))
