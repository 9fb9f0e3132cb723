"""Users, passwords, login sessions and API tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from accord.accounts import service
from accord.accounts.models import ApiToken, User, WebSession
from accord.accounts.schemas import UserIn
from accord.errors import Conflict, Invalid, NotAuthenticated, NotFound
from accord.kernel.audit import SYSTEM, snapshot
from accord.kernel.clock import utcnow

PASSWORD = "correct horse battery"
PRODUCTION_HASHER = service._hasher  # taken before `fast_hashing` replaces it


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Argon2id with tiny costs: the production costs take 0.3 s a hash, tested once below."""
    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def new_user(session, email="ann@example.com", *, role="owner", password=PASSWORD, name="Ann Smith") -> User:
    return service.create_user(session, UserIn(email=email, name=name, role=role, password=password), actor=SYSTEM)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_create_user_stores_a_normalised_user_and_only_an_argon2id_hash(session):
    user = new_user(session, "  Ann.Smith@Example.COM ", name="  Ann Smith ", role="sales")

    stored = session.execute(select(User.email, User.name, User.role, User.active, User.password_hash)).one()
    assert stored[:4] == ("ann.smith@example.com", "Ann Smith", "sales", True)
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert PasswordHasher().verify(stored.password_hash, PASSWORD)
    assert abs(user.created_at - utcnow()) < timedelta(seconds=10)


def test_production_hashing_uses_argon2id_with_the_library_defaults():
    stored = PRODUCTION_HASHER.hash(PASSWORD)

    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PRODUCTION_HASHER.verify(stored, PASSWORD)


def test_a_second_user_with_the_same_email_is_a_conflict(session):
    new_user(session, "ann@example.com")

    with pytest.raises(Conflict) as refused:
        new_user(session, "ANN@example.com ", name="Another Ann")

    assert refused.value.message == "a user with email ann@example.com already exists"
    assert session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-email", "email: 'not-an-email' is not an email address (An email address must have an @-sign.)"),
        (
            "ann@localhost",
            "email: 'ann@localhost' is not an email address (The part after the @-sign is not valid. "
            "It should have a period.)",
        ),
    ],
)
def test_an_address_that_is_not_an_email_is_invalid(session, email, message):
    with pytest.raises(Invalid) as refused:
        new_user(session, email)

    assert (refused.value.field, refused.value.message) == ("email", message)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_authenticate_accepts_the_right_password_whatever_the_email_case(session):
    user = new_user(session)

    assert service.authenticate(session, " ANN@example.com", PASSWORD) is user


def _deactivated(session, user: User) -> None:
    user.active = False
    session.flush()


@pytest.mark.parametrize(
    ("email", "password", "change"),
    [
        ("ann@example.com", "wrong horse battery", None),
        ("ann@example.com", "", None),
        ("bob@example.com", PASSWORD, None),
        ("ann@example.com", PASSWORD, _deactivated),
    ],
    ids=["wrong password", "empty password", "unknown email", "inactive user"],
)
def test_every_failed_login_gets_the_same_answer(session, email, password, change):
    user = new_user(session)
    if change:
        change(session, user)

    with pytest.raises(NotAuthenticated) as refused:
        service.authenticate(session, email, password)

    assert (refused.value.message, refused.value.status_code) == ("wrong email or password", 401)


class CountingHasher(PasswordHasher):
    """A cheap Argon2id hasher that remembers which expensive operations it ran."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.work: list[str] = []

    def hash(self, password, *, salt=None):
        self.work.append("hash")
        return super().hash(password, salt=salt)

    def verify(self, hash, password):
        self.work.append("verify")
        return super().verify(hash, password)


def test_a_failed_login_costs_one_argon2_run_whether_or_not_the_account_exists(session, monkeypatch):
    ann, vic = new_user(session), new_user(session, "vic@example.com")
    _deactivated(session, vic)
    monkeypatch.setattr(service, "_hasher", counting := CountingHasher())

    for email, password in [("bob@example.com", PASSWORD), ("ann@example.com", "wrong"), ("vic@example.com", PASSWORD)]:
        with pytest.raises(NotAuthenticated):
            service.authenticate(session, email, password)

    assert counting.work == ["hash", "verify", "verify"]
    assert ann.active and not vic.active


def test_a_corrupt_stored_hash_is_a_failed_login_not_a_crash(session):
    user = new_user(session)
    user.password_hash = "not-an-argon2-hash"
    session.flush()

    with pytest.raises(NotAuthenticated) as refused:
        service.authenticate(session, "ann@example.com", PASSWORD)

    assert refused.value.message == "wrong email or password"


def test_a_hash_with_old_parameters_is_upgraded_at_login(session):
    user = new_user(session)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash(PASSWORD)
    session.flush()

    service.authenticate(session, "ann@example.com", PASSWORD)
    session.flush()

    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert service.authenticate(session, "ann@example.com", PASSWORD) is user


def test_a_session_key_finds_its_user_until_it_expires(session):
    user = new_user(session)

    issued = service.start_session(session, user, hours=12)

    assert issued.record.key_hash == sha256(issued.key)
    assert issued.key not in snapshot(issued.record).values()
    assert issued.record.csrf_token == issued.csrf_token
    assert issued.record.expires_at - issued.record.created_at == timedelta(hours=12)
    assert service.session_for_key(session, issued.key) == (issued.record, user)
    assert service.session_for_key(session, issued.key + "x") is None

    issued.record.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert service.session_for_key(session, issued.key) is None


def test_a_session_of_a_deactivated_user_no_longer_works(session):
    user = new_user(session)
    issued = service.start_session(session, user, hours=12)

    _deactivated(session, user)

    assert service.session_for_key(session, issued.key) is None


def test_end_session_forgets_only_that_session(session):
    user = new_user(session)
    laptop, phone = service.start_session(session, user, hours=12), service.start_session(session, user, hours=12)

    service.end_session(session, laptop.key)

    assert service.session_for_key(session, laptop.key) is None
    assert service.session_for_key(session, phone.key) == (phone.record, user)
    assert session.scalars(select(WebSession.key_hash)).all() == [sha256(phone.key)]


def test_set_password_ends_the_users_sessions_and_changes_the_login(session):
    ann, bob = new_user(session), new_user(session, "bob@example.com", role="sales")
    ann_session = service.start_session(session, ann, hours=12)
    bob_session = service.start_session(session, bob, hours=12)

    service.set_password(session, ann, "a brand new password", actor=SYSTEM)

    assert service.session_for_key(session, ann_session.key) is None
    assert service.session_for_key(session, bob_session.key) == (bob_session.record, bob)
    assert service.authenticate(session, "ann@example.com", "a brand new password") is ann
    with pytest.raises(NotAuthenticated):
        service.authenticate(session, "ann@example.com", PASSWORD)


def test_set_password_refuses_a_short_password(session):
    user = new_user(session)
    before = user.password_hash

    with pytest.raises(Invalid) as refused:
        service.set_password(session, user, "short", actor=SYSTEM)

    assert refused.value.message == "password: must be at least 10 characters"
    assert user.password_hash == before


def test_an_api_token_is_shown_once_and_stored_as_a_hash(session):
    user = new_user(session)

    issued = service.issue_token(session, user, "  shop sync ", actor=SYSTEM)

    assert issued.secret.startswith("acc_") and len(issued.secret) == 4 + 43
    stored = session.execute(select(ApiToken.name, ApiToken.prefix, ApiToken.token_hash, ApiToken.user_id)).one()
    assert tuple(stored) == ("shop sync", issued.secret[:10], sha256(issued.secret), user.id)
    assert issued.secret not in snapshot(issued.record).values()


def test_a_token_finds_its_user_and_records_when_it_was_used(session):
    user = new_user(session)
    issued = service.issue_token(session, user, "shop sync", actor=SYSTEM)
    assert issued.record.last_used_at is None

    assert service.user_for_token(session, issued.secret) is user
    session.flush()

    last_used = session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == issued.record.id))
    assert abs(last_used - utcnow()) < timedelta(seconds=10)
    assert service.user_for_token(session, "acc_" + "x" * 43) is None


def test_a_revoked_token_no_longer_works(session):
    user = new_user(session)
    issued = service.issue_token(session, user, "shop sync", actor=SYSTEM)
    other = service.issue_token(session, user, "reports", actor=SYSTEM)

    revoked = service.revoke_token(session, issued.record.id, actor=SYSTEM)
    first_revocation = revoked.revoked_at
    service.revoke_token(session, issued.record.id, actor=SYSTEM)

    assert service.user_for_token(session, issued.secret) is None
    assert service.user_for_token(session, other.secret) is user
    assert revoked.revoked_at == first_revocation


def test_a_token_of_a_deactivated_user_no_longer_works(session):
    user = new_user(session)
    issued = service.issue_token(session, user, "shop sync", actor=SYSTEM)

    _deactivated(session, user)

    assert service.user_for_token(session, issued.secret) is None


def test_token_mistakes_are_named(session):
    user = new_user(session)

    with pytest.raises(Invalid) as unnamed:
        service.issue_token(session, user, "   ", actor=SYSTEM)
    with pytest.raises(NotFound) as missing:
        service.revoke_token(session, 987654, actor=SYSTEM)

    assert unnamed.value.message == "name: a token needs a name saying what it is for"
    assert missing.value.message == "no API token 987654"


def test_users_are_found_by_email_and_the_first_owner_by_age(session):
    assert service.first_owner(session) is None
    viewer = new_user(session, "vic@example.com", role="viewer")
    first = new_user(session, "ann@example.com", role="owner")
    second = new_user(session, "bob@example.com", role="owner")

    assert service.user_by_email(session, " VIC@example.com ") is viewer
    assert service.first_owner(session) is first
    _deactivated(session, first)
    assert service.first_owner(session) is second
    with pytest.raises(NotFound) as missing:
        service.user_by_email(session, "zed@example.com")
    assert missing.value.message == "no user with email zed@example.com"
