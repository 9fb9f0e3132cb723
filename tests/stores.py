"""Fresh stores for tests on SQLite and PostgreSQL, and the path to the shared real data."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

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


_created_databases: set[str] = set()


def settings_for(backend: str, workspace: Path, database: str | None = None) -> Settings:
    """Settings for a fresh, empty store in a workspace folder.

    On PostgreSQL each workspace gets its own database (named after the folder unless `database` is
    given, and always marked with this test run's process id, so two runs on one server never share one);
    they are dropped when the test session ends.
    """
    if backend == "sqlite":
        return Settings(workspace=workspace)
    name = (database or "accord_t_" + hashlib.sha1(str(workspace).encode()).hexdigest()[:12]) + f"_{os.getpid()}"
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    _created_databases.add(name)
    return Settings(workspace=workspace, database_url=_fresh_postgres(url))


def drop_created_databases() -> None:
    """Drop every PostgreSQL database settings_for created in this test session."""
    if not _created_databases:
        return
    admin = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in sorted(_created_databases):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    _created_databases.clear()


def require_shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or a skip that says what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at ../shared/data/{'/'.join(parts)}; it ships beside the repository")
    return path
