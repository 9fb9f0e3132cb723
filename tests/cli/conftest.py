"""Fixtures for the CLI tests: a workspace made by `accord init`, and a fresh PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cli_support import OWNER_LOGIN, Call, run

POSTGRES_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/accord_test"
)
CLI_DATABASE = f"accord_test_cli_{os.getpid()}"  # this run's own, so two runs on one server never collide


@pytest.fixture(scope="session")
def owner_workspace(tmp_path_factory) -> tuple[Path, str]:
    """A workspace made by `accord init`, shared by tests that only add distinct users or read; its owner's password."""
    workspace = tmp_path_factory.mktemp("cli-shared") / "ws"
    result = run(Call(["--workspace", str(workspace), "init", "--name", "Test Business"], cwd=workspace.parent))
    assert result.returncode == 0, result.stderr
    return workspace, OWNER_LOGIN.search(result.stdout)["password"]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty database for one test, dropped afterwards; fail in CI, skip elsewhere, if unreachable."""
    target = make_url(POSTGRES_URL).set(database=CLI_DATABASE)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{CLI_DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{CLI_DATABASE}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {target.render_as_string(hide_password=True)}: {exc.orig}")
    try:
        yield target.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{CLI_DATABASE}" WITH (FORCE)'))
        admin.dispose()
