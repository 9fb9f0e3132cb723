"""API: due lists, tasks, cadences of follow-ups, and referrals."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from accord.accounts.models import User
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.nurture import service
from accord.nurture.queries import BUCKETS, due_list, list_cadences
from accord.nurture.schemas import (
    CadenceIn, CadenceOut, CadenceStartIn, CadenceStartOut, DueListOut, ReassignIn, ReferralIn, ReferralOut,
    RescheduleIn, TaskIn, TaskOut,
)
from accord.web.security import EDITORS, EVERYONE, DbSession, api_user

router = APIRouter(tags=["nurture"])


@router.get("/tasks", response_model=DueListOut)
def tasks(
    session: DbSession,
    me: User = api_user(*EVERYONE),
    user: int | None = Query(default=None, description="Whose list (a user id); default the token's user."),
    due: str | None = Query(default=None, pattern="^(" + "|".join(BUCKETS) + ")$",
                            description="Only overdue, today (not yet overdue) or week (after today)."),
    at: AwareDatetime | None = Query(default=None, description="As of this moment; default now."),
) -> DueListOut:
    """A user's open tasks due by the end of this week, with counts and the share done on time."""
    return DueListOut.of(due_list(session, user if user is not None else me.id, now=at or utcnow()), due)


@router.post("/tasks", response_model=TaskOut, status_code=201)
def create_task(data: TaskIn, session: DbSession, me: User = api_user(*EDITORS)):
    """Plan a follow-up for a contact."""
    return service.create_task(session, data.contact_id, data.title, due_at=data.due_at, notes=data.notes,
                               assigned_user_id=data.assigned_user_id if data.assigned_user_id is not None else me.id,
                               deal_id=data.deal_id, actor=Actor.user(me))


@router.post("/tasks/{task_id}/done", response_model=TaskOut)
def done(task_id: int, session: DbSession, me: User = api_user(*EDITORS)):
    """Mark a task done now (409 if it was done already)."""
    return service.complete_task(session, task_id, actor=Actor.user(me))


@router.post("/tasks/{task_id}/reschedule", response_model=TaskOut)
def reschedule(task_id: int, data: RescheduleIn, session: DbSession, me: User = api_user(*EDITORS)):
    """Move an open task to a new due time."""
    return service.reschedule_task(session, task_id, data.due_at, actor=Actor.user(me))


@router.post("/tasks/{task_id}/reassign", response_model=TaskOut)
def reassign(task_id: int, data: ReassignIn, session: DbSession, me: User = api_user(*EDITORS)):
    """Give an open task to another user."""
    return service.reassign_task(session, task_id, data.assigned_user_id, actor=Actor.user(me))


@router.get("/cadences", response_model=list[CadenceOut])
def cadences(session: DbSession, me: User = api_user(*EVERYONE)):
    """Every cadence by name."""
    return list_cadences(session)


@router.post("/cadences", response_model=CadenceOut, status_code=201)
def define(data: CadenceIn, session: DbSession, me: User = api_user(*EDITORS)):
    """Define a cadence: steps of after_days (0–3650) and title."""
    return service.define_cadence(session, data.name, data.steps, actor=Actor.user(me))


@router.post("/cadences/{cadence_id}/start", response_model=CadenceStartOut, status_code=201)
def start(cadence_id: int, data: CadenceStartIn, session: DbSession, response: Response,
          me: User = api_user(*EDITORS)) -> CadenceStartOut:
    """Create the cadence's tasks for a contact (a repeat of the same start answers 200 with the same tasks)."""
    started = service.start_cadence(
        session, cadence_id, data.contact_id, start_at=data.start_at, deal_id=data.deal_id,
        assigned_user_id=data.assigned_user_id if data.assigned_user_id is not None else me.id, actor=Actor.user(me))
    if not started.created:
        response.status_code = 200
    return CadenceStartOut(cadence_id=started.cadence.id, created=started.created,
                           tasks=[TaskOut.model_validate(t) for t in started.tasks])


@router.post("/referrals", response_model=ReferralOut, status_code=201)
def refer(data: ReferralIn, session: DbSession, me: User = api_user(*EDITORS)):
    """Record that one contact brought another; a customer who refers becomes an ambassador."""
    return service.record_referral(session, data.referrer_id, data.referred_id, reward_minor=data.reward_minor,
                                   reward_currency=data.reward_currency, at=data.referred_at or utcnow(),
                                   actor=Actor.user(me))
