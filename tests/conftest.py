"""Shared fixtures: every store test runs on SQLite and PostgreSQL, each in a transaction rolled back; page tests
share one Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from accord.kernel import migrate
from accord.kernel.db import make_engine
from stores import BACKENDS, drop_created_databases, require_shared_data, settings_for  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


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


# Here rather than beside the browser tests, so that page tests in every folder share this one session fixture: a
# second copy imported into a test module would start a second Playwright while the first still runs, which fails.
@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Debian Chromium; in CI its absence is a failure, elsewhere a skip."""
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def screenshot_dir() -> Path:
    """Where page tests leave screenshots for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
