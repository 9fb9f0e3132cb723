"""Users, passwords, login sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.accounts.models import ApiToken, User, WebSession
from accord.accounts.schemas import UserIn
from accord.errors import Conflict, Invalid, NotAuthenticated, NotFound, PermissionDenied
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.db import get_row

_hasher = PasswordHasher()
TOKEN_PREFIX = "acc_"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_email(email: str, *, field: str = "email") -> str:
    """A syntactically valid, lower-cased email address, or Invalid."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(field, f"'{email}' is not an email address ({exc})") from None


def new_password() -> str:
    """A random password that is easy to copy from a terminal."""
    return secrets.token_urlsafe(12)


def create_user(session: Session, data: UserIn, *, actor: Actor) -> User:
    """Add a user with a hashed password; the email must be new."""
    email = normalise_email(data.email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email,
        name=data.name.strip(),
        role=data.role,
        password_hash=_hasher.hash(data.password),
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, *, actor: Actor) -> User:
    """Replace a user's password and end their sessions."""
    if len(password) < 10:
        raise Invalid("password", "must be at least 10 characters")
    user.password_hash = _hasher.hash(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    return user


def user_by_email(session: Session, email: str) -> User:
    """The user with this email, or NotFound."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def first_owner(session: Session) -> User | None:
    """The earliest active owner, if there is one."""
    query = select(User).where(User.role == "owner", User.active.is_(True)).order_by(User.id).limit(1)
    return session.scalar(query)


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with this email and password, or NotAuthenticated (same message either way)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        if user is None:
            _hasher.hash(password)  # as slow as a real check, so the answer's timing does not reveal who has an account
            raise VerificationError
        if not _hasher.verify(user.password_hash, password) or not user.active:
            raise VerificationError
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("wrong email or password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


@dataclass(frozen=True)
class IssuedSession:
    """A new login session: the cookie key (shown once) and its CSRF token."""

    key: str
    csrf_token: str
    record: WebSession


def start_session(session: Session, user: User, *, hours: int) -> IssuedSession:
    """Open a server-side session for a user."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    record = WebSession(
        key_hash=_sha256(key),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(record)
    session.flush()
    return IssuedSession(key, record.csrf_token, record)


def session_for_key(session: Session, key: str) -> tuple[WebSession, User] | None:
    """The live session and its active user for a cookie key, or None."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.key_hash == _sha256(key), WebSession.expires_at > utcnow(), User.active.is_(True))
    ).first()
    return (row[0], row[1]) if row else None


def end_session(session: Session, key: str) -> None:
    """Log out: forget the session with this key."""
    session.execute(delete(WebSession).where(WebSession.key_hash == _sha256(key)))


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret (shown once) and its stored record."""

    secret: str
    record: ApiToken


def issue_token(session: Session, user: User, name: str, *, actor: Actor) -> IssuedToken:
    """Create an API token for a user; only its hash is stored."""
    if not name.strip():
        raise Invalid("name", "a token needs a name saying what it is for")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=secret[:10],
        token_hash=_sha256(secret),
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return IssuedToken(secret, record)


def revoke_token(session: Session, token_id: int, *, actor: Actor) -> ApiToken:
    """Stop a token from working; users revoke their own tokens, owners anyone's."""
    record = get_row(session, ApiToken, token_id, "API token")
    actor_user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if actor_user is not None and actor_user.role != "owner" and actor_user.id != record.user_id:
        raise PermissionDenied("you can revoke only your own API tokens")
    record.revoked_at = record.revoked_at or utcnow()
    session.flush()
    return record


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user a live token belongs to, or None."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _sha256(secret), ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).first()
    if row is None:
        return None
    row[0].last_used_at = utcnow()
    return row[1]
