"""A real running app (uvicorn on a free local port) over a real store, with one user per role."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.kernel.audit import SYSTEM
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.settings import Settings
from accord.web.app import create_app
from stores import settings_for

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLE_EMAILS = {role: f"{role}@test.example" for role in ("owner", "marketing", "sales", "viewer")}


@dataclass
class LiveApp:
    """The running app's base URL and its store."""

    url: str
    store: Store

    def client(self) -> httpx.Client:
        """An anonymous client."""
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    @contextmanager
    def login(self, role: str) -> Iterator[httpx.Client]:
        """A client logged in as the user with `role`, through the real login form."""
        with self.client() as client:
            token = csrf_of(client.get("/login"))
            answer = client.post("/login", data={"email": ROLE_EMAILS[role], "password": PASSWORD,
                                                 "csrf_token": token, "next": "/"})
            assert answer.status_code == 303, answer.text
            yield client

    def api_token(self, role: str) -> str:
        """A new API token of the user with `role`, made the way a person makes one: on the settings page."""
        with self.login(role) as client:
            created = client.post("/settings/tokens", data={"name": f"{role} test token",
                                                            "csrf_token": csrf_of(client.get("/settings"))})
            return re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    return CSRF_FIELD.search(page.text).group(1)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(store: Store) -> Iterator[str]:
    """Run the app in a thread until the generator is closed; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serving(store: Store) -> Iterator[LiveApp]:
    """The app over `store`, served until the block ends; the store is closed after it."""
    server = serve(store)
    try:
        yield LiveApp(next(server), store)
    finally:
        server.close()
        store.close()


@contextmanager
def served(settings: Settings, *, timezone: str = "Africa/Johannesburg") -> Iterator[LiveApp]:
    """A served app over a fresh store with these settings, a workspace (in this time zone) and one user per role."""
    store = Store.open(settings, upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="Test Kitchen", timezone=timezone)
        for role, email in ROLE_EMAILS.items():
            accounts.create_user(session, UserIn(email=email, name=role.title(), role=role, password=PASSWORD),
                                 actor=SYSTEM)
    with serving(store) as app:
        yield app


@pytest.fixture(scope="module")
def live(backend, tmp_path_factory) -> Iterator[LiveApp]:
    """A served app over a fresh store with a workspace and one user per role."""
    with served(settings_for(backend, tmp_path_factory.mktemp("web"))) as app:
        yield app
