"""The areas of the loop that are read-only today: contacts and the pipeline board."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.contacts.queries import contact_detail, list_contacts
from accord.contacts.service import merge_contacts, undo_merge
from accord.kernel.audit import Actor
from accord.kernel.vocabulary import CHANNELS, CONSENT_PURPOSES, LIFECYCLE_STAGES
from accord.kernel.workspace import get_workspace
from accord.nurture.queries import referrals_of, tasks_of, users_for_tasks
from accord.pipeline.deals import STAY_IN_TOUCH
from accord.pipeline.models import PROOF_KINDS
from accord.pipeline.queries import active_offers, board, deals_of, orders_of
from accord.web.security import EDITORS, EVERYONE, DbSession, page_user
from accord.web.templating import is_fragment_request

router = APIRouter()


def _render(request: Request, name: str, user: User, active: str, **context) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, name, {"user": user, "active": active, **context}
    )


@router.get("/contacts")
def contacts(
    request: Request,
    session: DbSession,
    user: User = page_user(*EVERYONE),
    q: str = "",
    stage: str | None = Query(default=None, pattern="^(" + "|".join(LIFECYCLE_STAGES) + ")?$"),
    page: int = Query(default=1, ge=1, le=100_000),
) -> Response:
    """Contacts with search and a lifecycle-stage filter; the table alone for HTMX."""
    result = list_contacts(session, search=q, stage=stage or None, page=page)
    name = "contacts/_table.html" if is_fragment_request(request) else "contacts/index.html"
    return _render(request, name, user, "/contacts", result=result, q=q, stage=stage or "", stages=LIFECYCLE_STAGES)


@router.get("/contacts/{contact_id}")
def contact_page(request: Request, session: DbSession, contact_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """One contact: identities, organisation and the timeline of everything."""
    return _render(request, "contacts/detail.html", user, "/contacts", detail=contact_detail(session, contact_id),
                   channels=CHANNELS, purposes=CONSENT_PURPOSES, stay_in_touch=STAY_IN_TOUCH,
                   deals=deals_of(session, contact_id), orders=orders_of(session, contact_id),
                   offers=active_offers(session), today=date.today(),
                   proof_kinds=PROOF_KINDS, tasks=tasks_of(session, contact_id),
                   referrals=referrals_of(session, contact_id), assignees=users_for_tasks(session),
                   base_currency=get_workspace(session).base_currency)


@router.get("/pipeline")
def pipeline(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """Open deals by stage."""
    return _render(request, "pipeline/index.html", user, "/pipeline", board=board(session))


@router.post("/contacts/{contact_id}/merge")
def merge(
    request: Request, session: DbSession, contact_id: int, other_id: Annotated[int, Form()],
    user: User = page_user(*EDITORS),
) -> Response:
    """Merge another contact into this one (a person decided they are the same)."""
    merge_contacts(session, contact_id, other_id, reason=f"{user.name} found them to be the same person",
                   actor=Actor.user(user))
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)


@router.post("/merges/{merge_id}/undo")
def undo(request: Request, session: DbSession, merge_id: int, user: User = page_user(*EDITORS)) -> Response:
    """Split a merge again."""
    done = undo_merge(session, merge_id, actor=Actor.user(user))
    return RedirectResponse(f"/contacts/{done.kept_contact_id}", status_code=303)
