"""Follow-ups: my due list with one-click done and reschedule, the owner's team view, and referrals."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.money import Money
from accord.kernel.workspace import get_workspace
from accord.nurture import service
from accord.nurture.queries import due_list, list_referrals, team_due, users_for_tasks
from accord.web.security import EDITORS, EVERYONE, DbSession, page_user
from accord.web.templating import is_fragment_request

router = APIRouter()


def _render(request: Request, name: str, user: User, **context) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, {"user": user, **context})


@router.get("/tasks")
def tasks(
    request: Request, session: DbSession, user: User = page_user(*EVERYONE),
    of: int | None = Query(default=None, alias="user", description="Whose list; default yours."),
) -> Response:
    """My follow-ups: overdue, due today, due later this week; the lists alone for HTMX."""
    listing = due_list(session, of if of is not None else user.id, now=utcnow())
    day = listing.window.day
    context = {
        "active": "/tasks", "listing": listing, "tz": listing.window.tz, "mine": listing.user_id == user.id,
        "moves": [("Tomorrow", day + timedelta(days=1)), ("Next week", day + timedelta(days=7))],
        "people": users_for_tasks(session) if user.role == "owner" else [],
    }
    name = "nurture/_due.html" if is_fragment_request(request) else "nurture/tasks.html"
    return _render(request, name, user, **context)


@router.get("/tasks/team")
def team(request: Request, session: DbSession, user: User = page_user("owner")) -> Response:
    """Everyone's follow-ups in numbers, most overdue first (owners only)."""
    return _render(request, "nurture/team.html", user, active="/tasks", team=team_due(session, now=utcnow()))


def _row_result(request: Request, task_id: int, message: str) -> Response:
    if not is_fragment_request(request):
        return RedirectResponse("/tasks", status_code=303)
    return _render(request, "nurture/_task_done.html", request.state.user, task_id=task_id, message=message)


@router.post("/tasks/{task_id}/done")
def done(request: Request, session: DbSession, task_id: int, user: User = page_user(*EDITORS)) -> Response:
    """Mark a follow-up done now; it leaves the list."""
    task = service.complete_task(session, task_id, actor=Actor.user(user))
    timing = "on time" if task.done_at <= task.due_at else "late"
    return _row_result(request, task_id, f"Done {timing}: {task.title}.")


@router.post("/tasks/{task_id}/reschedule")
def reschedule(request: Request, session: DbSession, task_id: int, on: Annotated[date, Form()],
               user: User = page_user(*EDITORS)) -> Response:
    """Move a follow-up to another day, at the same time of day."""
    task = service.reschedule_task(session, task_id, on, actor=Actor.user(user))
    when = task.due_at.astimezone(service.workspace_zone(session))
    return _row_result(request, task_id, f"Moved to {when:%a %d %b %H:%M}: {task.title}.")


def _back(target: str, fallback: str) -> str:
    """A local path to return to; anything else (another site, a scheme) is replaced by the fallback."""
    return target if target.startswith("/") and not target.startswith("//") else fallback


@router.post("/tasks")
def create(
    session: DbSession, contact_id: Annotated[int, Form()], title: Annotated[str, Form()],
    due_on: Annotated[date, Form()], due_time: Annotated[time, Form()] = time(9, 0),
    assigned_user_id: Annotated[int | None, Form()] = None, notes: Annotated[str, Form()] = "",
    next_: Annotated[str, Form(alias="next")] = "", user: User = page_user(*EDITORS),
) -> Response:
    """Plan a follow-up for a contact on a local day and time (the form on the contact page)."""
    due_at = service.at_local(due_on, due_time, service.workspace_zone(session))
    service.create_task(session, contact_id, title, due_at=due_at, notes=notes, actor=Actor.user(user),
                        assigned_user_id=assigned_user_id if assigned_user_id is not None else user.id)
    return RedirectResponse(_back(next_, f"/contacts/{contact_id}"), status_code=303)


@router.get("/referrals")
def referrals(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """Who brought whom, with the rewards owed, and a form to record a referral."""
    return _render(request, "nurture/referrals.html", user, active="/referrals", book=list_referrals(session),
                   workspace=get_workspace(session))


@router.post("/referrals")
def refer(
    session: DbSession, referrer_id: Annotated[int, Form()], referred_id: Annotated[int, Form()],
    currency: Annotated[str, Form()], reward: Annotated[str, Form()] = "0",
    next_: Annotated[str, Form(alias="next")] = "", user: User = page_user(*EDITORS),
) -> Response:
    """Record a referral; a customer who referred becomes an ambassador."""
    money = Money.parse(reward or "0", currency, field="reward")
    service.record_referral(session, referrer_id, referred_id, reward_minor=money.minor,
                            reward_currency=money.currency, at=utcnow(), actor=Actor.user(user))
    return RedirectResponse(_back(next_, "/referrals"), status_code=303)
