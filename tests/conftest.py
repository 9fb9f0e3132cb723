"""Shared fixtures: every store test runs on SQLite and PostgreSQL, each in a transaction rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from accord.kernel import migrate
from accord.kernel.db import make_engine
from stores import BACKENDS, drop_created_databases, require_shared_data, settings_for  # noqa: F401 - re-exported


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    drop_created_databases()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The store backend under test."""
    return request.param


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory) -> Iterator[Engine]:
    """A store at the head migration, shared by the tests of one backend."""
    settings = settings_for(backend, tmp_path_factory.mktemp(f"store-{backend}"), database="accord_test")
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
