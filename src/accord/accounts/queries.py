"""Read models for the settings page: users and API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accounts.models import ApiToken, User


def list_users(session: Session) -> list[User]:
    """Every user, owners first."""
    order = {"owner": 0, "marketing": 1, "sales": 2, "viewer": 3}
    return sorted(session.scalars(select(User)), key=lambda u: (order[u.role], u.email))


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    return list(session.scalars(query))
