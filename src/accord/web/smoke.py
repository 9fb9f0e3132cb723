"""In-process requests as a given user, for `accord get` and smoke tests."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete

from accord.accounts import service as accounts
from accord.accounts.models import ApiToken, WebSession
from accord.errors import NotFound
from accord.kernel.audit import SYSTEM
from accord.kernel.store import Store
from accord.web.app import create_app
from accord.web.security import SESSION_COOKIE


def request_as(store: Store, path: str, email: str | None) -> tuple[int, str]:
    """GET `path` as the user (default: the first owner) and return the status and body."""
    with store.transaction() as session:
        user = accounts.user_by_email(session, email) if email else accounts.first_owner(session)
        if user is None:
            raise NotFound("there is no owner yet: run `accord init` first")
        issued_session = accounts.start_session(session, user, hours=1)
        issued_token = accounts.issue_token(session, user, "accord get", actor=SYSTEM)
        session_id, token_id = issued_session.record.id, issued_token.record.id
    try:
        client = TestClient(create_app(store), base_url="http://accord.local", raise_server_exceptions=False)
        client.cookies.set(SESSION_COOKIE, issued_session.key)
        response = client.get(path, headers={"Authorization": f"Bearer {issued_token.secret}"}, follow_redirects=False)
        return response.status_code, response.text
    finally:
        with store.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.id == session_id))
            session.execute(delete(ApiToken).where(ApiToken.id == token_id))
