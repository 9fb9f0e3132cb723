"""Settings: the workspace, the team and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts import service as accounts
from accord.accounts.models import User
from accord.accounts.queries import list_users, tokens_of
from accord.accounts.schemas import UserIn
from accord.kernel.audit import Actor
from accord.kernel.workspace import get_workspace
from accord.web.security import EVERYONE, DbSession, page_user

router = APIRouter()


def _settings_page(request: Request, session, user: User, *, new_token: str = "", status: int = 200) -> Response:
    context = {
        "user": user,
        "active": "/settings",
        "workspace": get_workspace(session),
        "users": list_users(session) if user.role == "owner" else [],
        "tokens": tokens_of(session, user.id),
        "new_token": new_token,
    }
    return request.app.state.templates.TemplateResponse(request, "settings/index.html", context, status_code=status)


@router.get("/settings")
def settings_page(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """The workspace, the team (owners) and the user's API tokens."""
    return _settings_page(request, session, user)


@router.post("/settings/tokens")
def create_token(
    request: Request, session: DbSession, name: Annotated[str, Form()], user: User = page_user(*EVERYONE)
) -> Response:
    """Issue an API token for the signed-in user and show its secret once."""
    issued = accounts.issue_token(session, user, name, actor=Actor.user(user))
    return _settings_page(request, session, user, new_token=issued.secret, status=201)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(request: Request, session: DbSession, token_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """Revoke one of the user's tokens."""
    accounts.revoke_token(session, token_id, actor=Actor.user(user))
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/users")
def add_user(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form()],
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
    user: User = page_user("owner"),
) -> Response:
    """Add a team member (owners only)."""
    accounts.create_user(session, UserIn(email=email, name=name, role=role, password=password), actor=Actor.user(user))
    return RedirectResponse("/settings", status_code=303)
