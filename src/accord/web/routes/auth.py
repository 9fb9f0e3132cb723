"""Log in and log out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts import service as accounts
from accord.errors import NotAuthenticated
from accord.web.security import EVERYONE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, DbSession, page_user, store_of

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a login link cannot send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_form(request: Request, *, next_url: str, error: str = "", email: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    context = {"csrf_token": token, "next": next_url, "error": error, "email": email}
    response = request.app.state.templates.TemplateResponse(request, "login.html", context, status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request))
    return response


def _secure(request: Request) -> bool:
    return store_of(request).settings.env == "production"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (public)."""
    return _login_form(request, next_url=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password and start a session (public)."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _login_form(request, next_url=_safe_next(next), email=email, status=403,
                           error="The form expired. Please try again.")
    try:
        user = accounts.authenticate(session, email, password)
    except NotAuthenticated:
        return _login_form(request, next_url=_safe_next(next), email=email, status=401,
                           error="Wrong email or password.")
    issued = accounts.start_session(session, user, hours=store_of(request).settings.session_hours)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, issued.key, httponly=True, samesite="lax", secure=_secure(request),
                        max_age=store_of(request).settings.session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", dependencies=[page_user(*EVERYONE)])
def logout(request: Request, session: DbSession) -> Response:
    """End the session."""
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
