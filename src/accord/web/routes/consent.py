"""Permissions on the contact page, and the public unsubscribe page that needs no login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.consent import service as consent
from accord.consent.links import read_unsubscribe_token
from accord.kernel.audit import Actor
from accord.kernel.workspace import get_workspace
from accord.web.security import EDITORS, DbSession, page_user, store_of

router = APIRouter()


@router.post("/contacts/{contact_id}/consents")
def grant(
    session: DbSession, contact_id: int, purpose: Annotated[str, Form()], channel: Annotated[str, Form()],
    evidence_source: Annotated[str, Form()], evidence_text: Annotated[str, Form()], user: User = page_user(*EDITORS),
) -> Response:
    """Record a permission the person gave, with where and the words they agreed to."""
    consent.grant_consent(session, contact_id, purpose, channel, evidence_source=evidence_source,
                          evidence_text=evidence_text, actor=Actor.user(user))
    return RedirectResponse(f"/contacts/{contact_id}#permissions", status_code=303)


@router.post("/contacts/{contact_id}/consents/withdraw")
def withdraw(
    session: DbSession, contact_id: int, purpose: Annotated[str, Form()], channel: Annotated[str, Form()],
    user: User = page_user(*EDITORS),
) -> Response:
    """Record a withdrawal the person asked for (by phone, in person, by message)."""
    consent.withdraw_consent(session, contact_id, purpose, channel, evidence_source=f"recorded by {user.name}",
                             actor=Actor.user(user))
    return RedirectResponse(f"/contacts/{contact_id}#permissions", status_code=303)


def _unsubscribe_page(request: Request, session, token: str, done: bool) -> Response:
    contact_id, purpose, channel = read_unsubscribe_token(store_of(request).settings.secret_key, token)
    context = {"business": get_workspace(session).name, "purpose": purpose, "channel": channel, "token": token,
               "done": done}
    return request.app.state.templates.TemplateResponse(request, "consent/unsubscribe.html", context)


@router.get("/u/{token}")
def unsubscribe_page(request: Request, session: DbSession, token: str) -> Response:
    """What the link in an email opens: one button to stop (a GET changes nothing, so link scanners cannot)."""
    return _unsubscribe_page(request, session, token, done=False)


@router.post("/u/{token}")
def unsubscribe(request: Request, session: DbSession, token: str) -> Response:
    """Withdraw the permission the signed link names; no login, and an altered link changes nothing."""
    contact_id, purpose, channel = read_unsubscribe_token(store_of(request).settings.secret_key, token)
    consent.withdraw_consent(session, contact_id, purpose, channel, evidence_source="unsubscribe link",
                             actor=Actor("unsubscribe-link"))
    return _unsubscribe_page(request, session, token, done=True)
