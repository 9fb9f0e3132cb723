"""A served app per store backend for the business review's API and page tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from stores import settings_for

if TYPE_CHECKING:
    from web.conftest import LiveApp


@pytest.fixture(scope="module")
def live(backend, tmp_path_factory) -> Iterator[LiveApp]:
    """A served app over a fresh store with a workspace (Africa/Johannesburg) and one user per role."""
    from web.conftest import served  # here, so the service tests do not need the web app to import

    with served(settings_for(backend, tmp_path_factory.mktemp("business"))) as app:
        yield app
