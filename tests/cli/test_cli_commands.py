"""The `accord` commands that succeed: init, user add, get, db upgrade and --help, run as a subprocess."""

from __future__ import annotations

import json
import re

from sqlalchemy.engine import make_url

from accord.kernel import migrate
from accord.settings import Settings
from cli_support import OWNER_LOGIN, Call, assert_refused, described, fetch, lines, logs_in, run, run_all

HEAD = migrate.head_revision()


def embedded(workspace) -> Settings:
    """Settings for the SQLite store in a workspace, whatever this process's environment says."""
    return Settings(workspace=workspace, database_url=None)


def owner_password(stdout: str, email: str = "owner@example.com") -> str:
    """The password in init's owner line, after checking the line names `email`."""
    login = OWNER_LOGIN.search(stdout)
    assert login is not None and login["email"] == email, stdout
    return login["password"]


def test_help_lists_every_command(tmp_path):
    result = run(Call(["--help"], cwd=tmp_path))

    assert (result.returncode, result.stderr) == (0, ""), described(result)
    listed = re.findall(r"^\W*(\w+)\s{2,}\S", result.stdout.split("Commands", 1)[1], flags=re.MULTILINE)
    assert {"init", "demo", "serve", "db", "user", "get"} <= set(listed), result.stdout


def test_init_creates_the_workspace_and_an_owner_whose_password_logs_in(tmp_path):
    workspace = tmp_path / "ws"
    init = Call(["--workspace", str(workspace), "init"], cwd=tmp_path)
    ready = f"Workspace ready at sqlite:///{workspace}/accord.sqlite3"

    first = run(init)

    password = owner_password(first.stdout)
    assert (first.returncode, first.stderr, lines(first.stdout)) == (0, "", [
        ready, f"Owner login: owner@example.com / {password} (shown once; change it under Settings)",
    ]), described(first)
    assert (workspace / "accord.sqlite3").is_file()
    assert logs_in(embedded(workspace), "owner@example.com", password)
    assert not logs_in(embedded(workspace), "owner@example.com", password + "x")

    again = run(init)

    assert (again.returncode, again.stderr, lines(again.stdout)) == (0, "", [
        ready, "Owner already exists: owner@example.com",
    ]), described(again)
    assert fetch(embedded(workspace), "SELECT email, role FROM app_user") == [("owner@example.com", "owner")]
    assert logs_in(embedded(workspace), "owner@example.com", password)


def test_init_takes_the_workspace_from_accord_workspace_and_the_option_wins(tmp_path):
    from_env, from_option = run_all([
        Call(["init", "--owner-email", "Boss@Example.com"], cwd=tmp_path, env={"ACCORD_WORKSPACE": "envws"}),
        Call(["--workspace", "optws", "init"], cwd=tmp_path, env={"ACCORD_WORKSPACE": "envws-unused"}),
    ])

    password = owner_password(from_env.stdout, "boss@example.com")
    assert (from_env.returncode, from_env.stderr, lines(from_env.stdout)) == (0, "", [
        "Workspace ready at sqlite:///envws/accord.sqlite3",
        f"Owner login: boss@example.com / {password} (shown once; change it under Settings)",
    ]), described(from_env)
    assert logs_in(embedded(tmp_path / "envws"), "boss@example.com", password)
    assert from_option.returncode == 0, described(from_option)
    assert lines(from_option.stdout)[0] == "Workspace ready at sqlite:///optws/accord.sqlite3"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["envws", "optws"]


def test_user_add_prints_a_working_password_and_refuses_bad_input_in_one_line(owner_workspace, tmp_path):
    workspace, _ = owner_workspace
    env = {"ACCORD_WORKSPACE": str(workspace)}

    added = run(Call(["user", "add", "sipho@example.com", "--role", "sales", "--name", "Sipho"], cwd=tmp_path, env=env))

    assert (added.returncode, added.stderr) == (0, ""), described(added)
    announced = re.fullmatch(r"Added sipho@example\.com \(sales\) with password (\S+)\n", added.stdout)
    assert announced, added.stdout
    assert logs_in(embedded(workspace), "sipho@example.com", announced[1])

    duplicate, bad_role, bad_email, short_password, chosen_password = run_all([
        Call(["user", "add", "Sipho@Example.com", "--role", "viewer"], cwd=tmp_path, env=env),
        Call(["user", "add", "thabo@example.com", "--role", "boss"], cwd=tmp_path, env=env),
        Call(["user", "add", "not-an-email", "--role", "sales"], cwd=tmp_path, env=env),
        Call(["user", "add", "lerato@example.com", "--password", "short"], cwd=tmp_path, env=env),
        Call(["user", "add", "vera@example.com", "--role", "viewer", "--password", "long enough secret"],
             cwd=tmp_path, env=env),
    ])

    assert_refused(bad_role, "error: role: Input should be 'owner', 'marketing', 'sales' or 'viewer'")
    assert_refused(bad_email, re.compile(r"error: email: 'not-an-email' is not an email address \(.+\)"))
    assert_refused(short_password, "error: password: String should have at least 10 characters")
    assert (chosen_password.returncode, chosen_password.stderr, chosen_password.stdout) == (
        0, "", "Added vera@example.com (viewer)\n"), described(chosen_password)
    assert logs_in(embedded(workspace), "vera@example.com", "long enough secret")
    assert_refused(duplicate, "error: a user with email sipho@example.com already exists")
    assert fetch(embedded(workspace), "SELECT email, name, role FROM app_user ORDER BY id") == [
        ("owner@example.com", "Owner", "owner"),
        ("sipho@example.com", "Sipho", "sales"),
        ("vera@example.com", "vera", "viewer"),
    ]


def test_get_prints_the_body_exits_by_status_and_leaves_no_credentials(owner_workspace, tmp_path):
    workspace, _ = owner_workspace
    env = {"ACCORD_WORKSPACE": str(workspace)}
    credentials = "SELECT (SELECT count(*) FROM web_session), (SELECT count(*) FROM api_token)"
    before = fetch(embedded(workspace), credentials)

    health, nobody = run_all([Call(["get", "/health"], cwd=tmp_path, env=env),
                              Call(["get", "/", "--as", "nobody@example.com"], cwd=tmp_path, env=env)])
    me, missing, dashboard = (run(Call(["get", *args], cwd=tmp_path, env=env)) for args in (
        ["/api/v1/me"], ["/api/v1/contacts/999"], ["/"]))

    assert (health.returncode, health.stdout, health.stderr) == (0, '{"status":"ok"}\n', ""), \
        described(health)
    assert (me.returncode, me.stderr) == (0, ""), described(me)
    assert {k: v for k, v in json.loads(me.stdout).items() if k != "created_at"} == {
        "id": 1, "email": "owner@example.com", "name": "Owner", "role": "owner", "active": True,
    }
    assert (missing.returncode, missing.stderr) == (1, ""), described(missing)
    assert json.loads(missing.stdout) == {
        "type": "about:blank", "title": "Not found", "status": 404, "detail": "no contact 999",
    }
    assert_refused(nobody, "error: no user with email nobody@example.com")
    assert (dashboard.returncode, dashboard.stderr) == (0, ""), described(dashboard)
    assert "<title>Dashboard · Accord</title>" in dashboard.stdout
    assert "<h1>Test Business</h1>" in dashboard.stdout
    assert fetch(embedded(workspace), credentials) == before == [(0, 0)]


def test_db_upgrade_creates_the_schema_once(tmp_path):
    upgrade = Call(["db", "upgrade"], cwd=tmp_path, env={"ACCORD_WORKSPACE": str(tmp_path / "ws")})

    first = run(upgrade)
    again = run(upgrade)

    assert (first.returncode, first.stderr, first.stdout) == (0, "", f"Schema at {HEAD} (was empty)\n"), \
        described(first)
    assert (again.returncode, again.stderr, again.stdout) == (0, "", f"Schema at {HEAD} (no change)\n"), \
        described(again)


def test_init_and_get_on_postgresql(postgres_url, tmp_path):
    env = {"ACCORD_DATABASE_URL": postgres_url}

    init = run(Call(["init"], cwd=tmp_path, env=env))

    password = owner_password(init.stdout)
    assert (init.returncode, init.stderr, lines(init.stdout)) == (0, "", [
        f"Workspace ready at {make_url(postgres_url).render_as_string(hide_password=True)}",
        f"Owner login: owner@example.com / {password} (shown once; change it under Settings)",
    ]), described(init)
    assert logs_in(Settings(workspace=tmp_path, database_url=postgres_url), "owner@example.com", password)

    me, upgrade = run_all([Call(["get", "/api/v1/me"], cwd=tmp_path, env=env),
                           Call(["db", "upgrade"], cwd=tmp_path, env=env)])

    assert (me.returncode, me.stderr) == (0, ""), described(me)
    assert json.loads(me.stdout)["email"] == "owner@example.com"
    assert (upgrade.returncode, upgrade.stderr, upgrade.stdout) == (0, "", f"Schema at {HEAD} (no change)\n"), \
        described(upgrade)


def test_the_demo_fills_the_warehouse_so_reviews_answer_at_once(tmp_path):
    loaded = run(Call(["--workspace", "ws", "demo", "--no-serve"], cwd=tmp_path), timeout=180)
    assert loaded.returncode == 0, described(loaded)
    settings = embedded(tmp_path / "ws")
    copied = [name for name in fetch(settings, "SELECT name FROM sqlite_master WHERE type = 'table'")
              if name[0] not in ("web_session", "api_token", "alembic_version")]
    rows = sum(fetch(settings, f'SELECT count(*) FROM "{name}"')[0][0] for (name,) in copied)
    assert f"The warehouse the reviews read is up to date: {rows:,} rows copied into {len(copied)} tables." in \
        lines(loaded.stdout)

    review = run(Call(["--workspace", "ws", "review", "revenue", "--from", "2024-01-01", "--to", "2025-01-01",
                       "--format", "json"], cwd=tmp_path), timeout=120)
    assert review.returncode == 0, described(review)
    # Units per offer, netted, in the workspace's 2024 (Johannesburg is UTC+2 all year).
    units = fetch(settings, "SELECT f.name, sum(l.quantity) FROM order_line l JOIN sales_order o ON o.id = l.order_id "
                            "JOIN offer f ON f.id = l.offer_id WHERE o.ordered_at >= '2023-12-31 22:00:00' "
                            "AND o.ordered_at < '2024-12-31 22:00:00' GROUP BY f.name")
    body = json.loads(review.stdout)
    assert {row["offer"]: row["units"] for row in body["rows"]} == dict(units)
    assert body["notes"][0] == "All revenue figures are in ZAR, the workspace's base currency."
