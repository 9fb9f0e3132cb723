"""Writing to a contact from their page: a reply, or a message they gave permission for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.connectors.mail import Mailer
from accord.conversations.service import Outgoing, send_message
from accord.kernel.audit import Actor
from accord.web.security import EDITORS, DbSession, page_user, store_of

router = APIRouter()


@router.post("/contacts/{contact_id}/messages")
def send(
    request: Request, session: DbSession, contact_id: int, channel: Annotated[str, Form()],
    body: Annotated[str, Form()], subject: Annotated[str, Form()] = "", purpose: Annotated[str, Form()] = "",
    answering_engagement_id: Annotated[str, Form()] = "", user: User = page_user(*EDITORS),
) -> Response:
    """Send (email) or log (other channels) a message; the consent gate decides whether it may go."""
    settings = store_of(request).settings
    item = Outgoing(contact_id, channel, body, subject=subject or None, purpose=purpose or None,
                    answering_engagement_id=int(answering_engagement_id) if answering_engagement_id.isdigit() else None)
    send_message(session, item, actor=Actor.user(user), mailer=Mailer(settings), secret=settings.secret_key,
                 public_url=settings.public_url)
    return RedirectResponse(f"/contacts/{contact_id}#timeline", status_code=303)
