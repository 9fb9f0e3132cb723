"""Who may use a route: the request's session, page sessions with CSRF, API bearer tokens, role guards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from accord.accounts import service as accounts
from accord.accounts.models import User
from accord.errors import NotAuthenticated, PermissionDenied
from accord.kernel.store import Store
from accord.kernel.vocabulary import ROLES

SESSION_COOKIE = "accord_session"
LOGIN_CSRF_COOKIE = "accord_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
EVERYONE = ROLES
EDITORS = ("owner", "marketing", "sales")
# Owners and marketing shape the business review, the personas and the plan; sales and viewers read them.
PLANNERS = ("owner", "marketing")


def store_of(request: Request) -> Store:
    """The store the app was created with."""
    return request.app.state.store


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent; templates read through it too."""
    with store_of(request).transaction() as session:
        request.state.session = session
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]


def _check_csrf(request: Request, expected: str, submitted: str | None) -> None:
    if not submitted or not secrets.compare_digest(submitted, expected):
        raise PermissionDenied("the form has expired or did not come from Accord; reload the page and try again")


def _session_and_user(request: Request, key: str | None):
    # Its own short transaction, off the event loop: a route that runs for seconds (a review) must not hold
    # the store's write lock while it works, and waiting for that lock must never freeze the server.
    if not key:
        return None
    with store_of(request).transaction() as session:
        return accounts.session_for_key(session, key)


class PageAccess:
    """A page route's guard: a logged-in user with one of `roles`; unsafe methods also need the CSRF token."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    async def __call__(self, request: Request) -> User:
        found = await run_in_threadpool(_session_and_user, request, request.cookies.get(SESSION_COOKIE))
        if found is None:
            raise NotAuthenticated("please log in")
        web_session, user = found
        request.state.user = user
        request.state.csrf_token = web_session.csrf_token
        if request.method not in SAFE_METHODS:
            submitted = request.headers.get("x-csrf-token")
            if submitted is None:
                form = await request.form()
                submitted = form.get("csrf_token")
            _check_csrf(request, web_session.csrf_token, submitted if isinstance(submitted, str) else None)
        if user.role not in self.roles:
            raise PermissionDenied(f"your role ({user.role}) cannot do this; ask an owner")
        return user


class ApiAccess:
    """An API route's guard: a bearer token of an active user with one of `roles`."""

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    def __call__(self, request: Request) -> User:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and secret.strip():
            with store_of(request).transaction() as session:  # short, like the page guard's
                user = accounts.user_for_token(session, secret.strip())
        if user is None:
            raise NotAuthenticated("a valid API token is required: send 'Authorization: Bearer <token>'")
        request.state.user = user
        if user.role not in self.roles:
            raise PermissionDenied(f"the token's user has role {user.role}, which cannot do this")
        return user


def page_user(*roles: str) -> object:
    """Depends() for a page route open to `roles`."""
    return Depends(PageAccess(*roles))


def api_user(*roles: str) -> object:
    """Depends() for an API route open to `roles`."""
    return Depends(ApiAccess(*roles))
