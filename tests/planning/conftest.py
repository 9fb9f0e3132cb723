"""A served app over a fresh store on SQLite and on PostgreSQL, with one user per role and their API tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stores import settings_for
from web.conftest import LiveApp, served


@pytest.fixture(scope="module")
def live(backend, tmp_path_factory) -> Iterator[LiveApp]:
    """A served app over a fresh store with a workspace and one user per role (its warehouse never synced)."""
    with served(settings_for(backend, tmp_path_factory.mktemp("plan"))) as app:
        yield app


@pytest.fixture(scope="module")
def headers(live) -> dict[str, dict[str, str]]:
    """API headers per role, each with a token made on the settings page."""
    return {role: {"Authorization": f"Bearer {live.api_token(role)}"}
            for role in ("owner", "marketing", "sales", "viewer")}
