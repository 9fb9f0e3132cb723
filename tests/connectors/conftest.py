"""Fixtures for the import tests: one migrated store per backend, emptied before each test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, text

from accord import models
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from stores import settings_for


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow: takes minutes; deselect with -m 'not slow'")


@pytest.fixture(scope="session")
def _migrated(backend: str, tmp_path_factory) -> Iterator[Store]:
    """One migrated store per backend for the import tests; each test empties it first."""
    store = Store.open(settings_for(backend, tmp_path_factory.mktemp(f"imports-{backend}"),
                                    database="accord_test_imports"), upgrade=True)
    yield store
    store.close()


@pytest.fixture
def store(_migrated: Store) -> Store:
    """The backend's store, emptied, with a workspace in UTC (region ZA)."""
    tables = [t for t in reversed(models.metadata.sorted_tables) if t.name != "alembic_version"]
    with _migrated.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                session.execute(delete(table))
        ensure_workspace(session, timezone="UTC", default_region="ZA")
    return _migrated
