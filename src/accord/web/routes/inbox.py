"""The inbox: everyone who engaged and still waits for a personal reply, and one click to act on each."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.conversations.service import open_conversation_about
from accord.engagement.models import ENGAGEMENT_KINDS
from accord.engagement.queries import waiting_by_channel, waiting_list
from accord.engagement.service import mark_contacted, set_spam
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.vocabulary import CHANNELS
from accord.personas.queries import has_personas
from accord.web.security import EDITORS, EVERYONE, DbSession, page_user
from accord.web.templating import is_fragment_request

router = APIRouter()
PAGE_SIZE = 100
CHANNEL_FILTER = Query(default=None, pattern="^(" + "|".join(CHANNELS) + ")?$")
KIND_FILTER = Query(default=None, pattern="^(" + "|".join(ENGAGEMENT_KINDS) + ")?$")


@router.get("/inbox")
def inbox(
    request: Request,
    session: DbSession,
    user: User = page_user(*EVERYONE),
    channel: str | None = CHANNEL_FILTER,
    kind: str | None = KIND_FILTER,
) -> Response:
    """The longest-waiting first, with counts per channel and filters."""
    by_channel = waiting_by_channel(session)
    context = {
        "user": user, "active": "/inbox", "now": utcnow(),
        "items": waiting_list(session, channel=channel or None, kind=kind or None, limit=PAGE_SIZE),
        "by_channel": by_channel, "total": sum(by_channel.values()),
        "channel": channel or "", "kind": kind or "", "kinds": ENGAGEMENT_KINDS, "personas": has_personas(session),
    }
    name = "inbox/_list.html" if is_fragment_request(request) else "inbox/index.html"
    return request.app.state.templates.TemplateResponse(request, name, context)


def _row_result(request: Request, message: str, engagement_id: int, undo: bool) -> Response:
    if not is_fragment_request(request):
        return RedirectResponse("/inbox", status_code=303)
    context = {"message": message, "engagement_id": engagement_id, "undo": undo}
    return request.app.state.templates.TemplateResponse(request, "inbox/_done.html", context)


@router.post("/inbox/{engagement_id}/contacted")
def contacted(request: Request, session: DbSession, engagement_id: int, user: User = page_user(*EDITORS)) -> Response:
    """Mark as personally contacted; it leaves the inbox."""
    item = mark_contacted(session, engagement_id, actor=Actor.user(user))
    return _row_result(request, f"Marked as contacted ({item.kind} on {item.channel}).", engagement_id, undo=False)


@router.post("/inbox/{engagement_id}/spam")
def spam(request: Request, session: DbSession, engagement_id: int, user: User = page_user(*EDITORS)) -> Response:
    """Dismiss as spam; it leaves the inbox, with an undo."""
    set_spam(session, engagement_id, True, actor=Actor.user(user))
    return _row_result(request, "Dismissed as spam.", engagement_id, undo=True)


@router.post("/inbox/{engagement_id}/not-spam")
def not_spam(request: Request, session: DbSession, engagement_id: int, user: User = page_user(*EDITORS)) -> Response:
    """Undo a spam dismissal: it is back in the inbox."""
    set_spam(session, engagement_id, False, actor=Actor.user(user))
    return _row_result(request, "Restored to the inbox.", engagement_id, undo=False)


@router.post("/inbox/{engagement_id}/conversation")
def conversation(request: Request, session: DbSession, engagement_id: int, user: User = page_user(*EDITORS)) -> Response:
    """Open a conversation with the person, on the channel they used."""
    opened = open_conversation_about(session, engagement_id, actor=Actor.user(user))
    target = f"/contacts/{opened.contact_id}#conversation-{opened.id}"
    if is_fragment_request(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
