"""Every route declares who may use it; anonymous users, wrong roles and forged forms are refused."""

from __future__ import annotations

import re

import pytest

from accord.web.app import PUBLIC_PATHS, route_table
from accord.web.security import ApiAccess, PageAccess


def _guarded_routes() -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, route in route_table()
        if path not in PUBLIC_PATHS
        for method in sorted(route.methods)
    ]


GUARDED = _guarded_routes()


def _guard_of(route):
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, PageAccess | ApiAccess):
            return dep.call
        stack.extend(dep.dependencies)
    return None


def test_the_guarded_list_covers_every_area():
    paths = {path for _, path in GUARDED}
    assert {"/", "/inbox", "/contacts", "/contacts/{contact_id}", "/pipeline", "/campaigns", "/plan", "/reviews",
            "/settings", "/settings/tokens", "/settings/users", "/logout", "/api/v1/me", "/api/v1/dashboard",
            "/api/v1/contacts", "/api/v1/contacts/{contact_id}"} <= paths


def test_every_non_public_route_declares_its_roles():
    for path, route in route_table():
        if path not in PUBLIC_PATHS:
            guard = _guard_of(route)
            assert guard is not None, f"{path} has no access guard"
            assert guard.roles, f"{path} allows no role"
            expected = ApiAccess if path.startswith("/api/") else PageAccess
            assert isinstance(guard, expected), f"{path} uses the wrong kind of guard"


def test_the_route_table_is_what_the_app_serves(live):
    with live.client() as client:
        served = client.get("/openapi.json").json()["paths"]
    api_paths = {path for path, _ in route_table() if path.startswith("/api/")}
    assert api_paths == set(served)


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_anonymous_is_refused(live, method, path):
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    with live.client() as client:
        answer = client.request(method, concrete)
    if path.startswith("/api/"):
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json() == {
            "type": "about:blank", "title": "Login required", "status": 401,
            "detail": "a valid API token is required: send 'Authorization: Bearer <token>'",
        }
    else:
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_public_routes_answer_anonymously(live):
    with live.client() as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/login").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "Accord"
        assert client.get("/static/vendor/htmx.min.js").status_code == 200


def test_anonymous_page_redirect_keeps_the_target(live):
    with live.client() as client:
        answer = client.get("/contacts?stage=lead")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/contacts%3Fstage%3Dlead"


def test_htmx_request_without_login_gets_a_client_redirect(live):
    with live.client() as client:
        answer = client.get("/contacts", headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["hx-redirect"] == "/login?next=/contacts"


def test_wrong_password_is_refused_with_the_form_again(live):
    with live.client() as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        answer = client.post("/login", data={"email": "owner@test.example", "password": "wrong password!",
                                             "csrf_token": token})
    assert answer.status_code == 401
    assert "Wrong email or password." in answer.text
    assert "accord_session" not in answer.cookies


def test_login_without_the_form_cookie_is_refused(live):
    with live.client() as client:
        answer = client.post("/login", data={"email": "owner@test.example", "password": "correct horse battery",
                                             "csrf_token": "forged"})
    assert answer.status_code == 403
    assert "The form expired. Please try again." in answer.text


def test_login_never_redirects_off_site(live):
    with live.client() as client:
        form = client.get("/login?next=//evil.example/")
        assert 'name="next" value="/"' in form.text


def test_post_without_csrf_token_is_refused(live):
    with live.login("owner") as client:
        answer = client.post("/settings/tokens", data={"name": "shop sync"})
    assert answer.status_code == 403
    assert "the form has expired or did not come from Accord" in answer.text


def _csrf(client) -> str:
    page = client.get("/settings")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.mark.parametrize("role", ["marketing", "sales", "viewer"])
def test_only_owners_add_users(live, role):
    with live.login(role) as client:
        answer = client.post("/settings/users", data={"email": f"new-{role}@test.example", "name": "New",
                                                      "role": "sales", "password": "a long password",
                                                      "csrf_token": _csrf(client)})
    assert answer.status_code == 403
    assert f"your role ({role}) cannot do this; ask an owner" in answer.text


def test_owner_adds_a_user_who_can_then_log_in(live):
    with live.login("owner") as client:
        answer = client.post("/settings/users", data={"email": "Zanele@Test.example", "name": "Zanele",
                                                      "role": "sales", "password": "a long password",
                                                      "csrf_token": _csrf(client)})
        assert answer.status_code == 303
        again = client.post("/settings/users", data={"email": "zanele@test.example", "name": "Zanele",
                                                     "role": "sales", "password": "a long password",
                                                     "csrf_token": _csrf(client)})
        assert again.status_code == 409
        assert "a user with email zanele@test.example already exists" in again.text
        short = client.post("/settings/users", data={"email": "x@test.example", "name": "X", "role": "sales",
                                                     "password": "short", "csrf_token": _csrf(client)})
        assert short.status_code == 422
        assert "password: String should have at least 10 characters" in short.text


def test_logout_ends_the_session(live):
    with live.login("viewer") as client:
        assert client.get("/").status_code == 200
        assert client.post("/logout", data={"csrf_token": _csrf(client)}).status_code == 303
        assert client.get("/").status_code == 303


def test_api_token_lifecycle_through_the_pages(live):
    with live.login("sales") as client:
        created = client.post("/settings/tokens", data={"name": "shop sync", "csrf_token": _csrf(client)})
        assert created.status_code == 201
        secret = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)
        with live.client() as api:
            me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
            assert me.status_code == 200
            assert me.json()["email"] == "sales@test.example"
            assert me.json()["role"] == "sales"
            token_id = re.search(r'action="/settings/tokens/(\d+)/revoke"', created.text).group(1)
            assert client.post(f"/settings/tokens/{token_id}/revoke",
                               data={"csrf_token": _csrf(client)}).status_code == 303
            refused = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
            assert refused.status_code == 401


def test_api_errors_are_problem_details(live):
    with live.login("owner") as client:
        created = client.post("/settings/tokens", data={"name": "probe", "csrf_token": _csrf(client)})
        secret = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)
    with live.client() as api:
        headers = {"Authorization": f"Bearer {secret}"}
        missing = api.get("/api/v1/contacts/424242", headers=headers)
        assert missing.status_code == 404
        assert missing.json() == {"type": "about:blank", "title": "Not found", "status": 404,
                                  "detail": "no contact 424242"}
        bad = api.get("/api/v1/contacts?stage=king", headers=headers)
        assert bad.status_code == 422
        assert bad.json()["field"] == "stage"
        assert bad.json()["detail"].startswith("stage: String should match pattern")
        nowhere = api.get("/api/v1/nothing", headers=headers)
        assert nowhere.status_code == 404
        assert nowhere.json()["detail"] == "nothing at /api/v1/nothing"
