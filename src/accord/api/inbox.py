"""API: record engagements, read the inbox, and act on what waits in it."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from accord.accounts.models import User
from accord.conversations.service import open_conversation_about
from accord.engagement.models import ENGAGEMENT_KINDS
from accord.engagement.queries import find_engagement, waiting_by_channel, waiting_list
from accord.engagement.schemas import EngagementIn, EngagementOut, InboxOut, WaitingItemOut
from accord.engagement.service import engagement_record_from, mark_contacted, record_engagement, set_spam
from accord.kernel.audit import Actor
from accord.kernel.vocabulary import CHANNELS
from accord.kernel.workspace import get_workspace
from accord.web.security import EDITORS, EVERYONE, DbSession, api_user

router = APIRouter(tags=["inbox"])


@router.post("/engagements", response_model=EngagementOut, status_code=201)
def create_engagement(data: EngagementIn, session: DbSession, response: Response,
                      user: User = api_user(*EDITORS)):
    """Record an engagement (idempotent by source and external_id: a repeat answers 200 with the stored one)."""
    region = get_workspace(session).default_region
    record = engagement_record_from(data, region=region)
    existing = find_engagement(session, data.source, data.external_id)
    stored = existing or record_engagement(session, record, actor=Actor.user(user))
    if existing:
        response.status_code = 200
    return stored


@router.get("/inbox", response_model=InboxOut)
def inbox(
    session: DbSession,
    user: User = api_user(*EVERYONE),
    channel: str | None = Query(default=None, pattern="^(" + "|".join(CHANNELS) + ")$"),
    kind: str | None = Query(default=None, pattern="^(" + "|".join(ENGAGEMENT_KINDS) + ")$"),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> InboxOut:
    """Everyone waiting for a personal reply, longest-waiting first, with counts per channel."""
    by_channel = waiting_by_channel(session)
    return InboxOut(
        total=sum(by_channel.values()),
        by_channel=by_channel,
        items=[WaitingItemOut.model_validate(i) for i in
               waiting_list(session, channel=channel, kind=kind, limit=limit, offset=offset)],
    )


@router.post("/inbox/{engagement_id}/contacted", response_model=EngagementOut)
def contacted(engagement_id: int, session: DbSession, user: User = api_user(*EDITORS)):
    """Mark an engagement as personally answered."""
    return mark_contacted(session, engagement_id, actor=Actor.user(user))


@router.put("/inbox/{engagement_id}/spam", response_model=EngagementOut)
def spam(engagement_id: int, session: DbSession, user: User = api_user(*EDITORS)):
    """Dismiss an engagement as spam."""
    return set_spam(session, engagement_id, True, actor=Actor.user(user))


@router.delete("/inbox/{engagement_id}/spam", response_model=EngagementOut)
def not_spam(engagement_id: int, session: DbSession, user: User = api_user(*EDITORS)):
    """Undo a spam dismissal."""
    return set_spam(session, engagement_id, False, actor=Actor.user(user))


@router.post("/inbox/{engagement_id}/conversation", status_code=201)
def conversation(engagement_id: int, session: DbSession, user: User = api_user(*EDITORS)) -> dict[str, int | str]:
    """Open a conversation with the person behind an engagement, on its channel."""
    opened = open_conversation_about(session, engagement_id, actor=Actor.user(user))
    return {"conversation_id": opened.id, "contact_id": opened.contact_id, "channel": opened.channel}
