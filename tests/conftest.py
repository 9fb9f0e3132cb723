"""Shared fixtures: every store test runs on SQLite and PostgreSQL, each in a transaction rolled back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from accord.kernel import migrate
from accord.kernel.db import make_engine
from accord.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POSTGRES_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/accord_test"
)
BACKENDS = ["sqlite", "postgresql"]


def _fresh_postgres(url: str) -> str:
    """Create (or empty) the test database and return its URL; fail in CI, skip elsewhere, if unreachable."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {target.render_as_string(hide_password=True)}: {exc.orig}")
    finally:
        admin.dispose()
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return target.render_as_string(hide_password=False)


def settings_for(backend: str, workspace: Path) -> Settings:
    """Settings for a workspace folder on the given backend."""
    if backend == "sqlite":
        return Settings(workspace=workspace)
    return Settings(workspace=workspace, database_url=_fresh_postgres(POSTGRES_URL))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The store backend under test."""
    return request.param


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory) -> Iterator[Engine]:
    """A store at the head migration, shared by the tests of one backend."""
    settings = settings_for(backend, tmp_path_factory.mktemp(f"store-{backend}"))
    engine = make_engine(settings)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test, even if the code commits."""
    with engine.connect() as connection:
        outer = connection.begin()
        db_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield db_session
        finally:
            db_session.close()
            outer.rollback()


def require_shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or a skip that says what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at ../shared/data/{'/'.join(parts)}; it ships beside the repository")
    return path
