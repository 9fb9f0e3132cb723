"""A wrong set-up gets one clear line on stderr and exit code 1 from every command, never a traceback."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from alembic import command

from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.kernel import migrate
from accord.kernel.audit import SYSTEM
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.settings import Settings
from cli_support import Call, assert_refused, described, run, run_all

HEAD = migrate.head_revision()
# Each fails before serving, or the test times out instead of hanging the suite.
SERVE_TIMEOUT = 30
SET_UP_COMMANDS = (["init"], ["serve"], ["db", "upgrade"], ["get", "/"])
NOT_A_URL = (
    "error: ACCORD_DATABASE_URL is not a database URL; expected e.g. "
    "postgresql+psycopg://user:password@host:5432/dbname"
)


def each_command(cwd: Path, env: dict[str, str], commands=SET_UP_COMMANDS):
    """Every command run once with the same environment."""
    return run_all([Call(args, cwd=cwd, env=env) for args in commands], timeout=SERVE_TIMEOUT)


@pytest.mark.parametrize(("env", "line"), [
    pytest.param({"ACCORD_DATABASE_URL": "not a url"}, NOT_A_URL, id="not-a-url"),
    pytest.param({"ACCORD_DATABASE_URL": "postgresql://u:p@host:notaport/db"}, NOT_A_URL, id="port-not-a-number"),
    pytest.param({"ACCORD_DATABASE_URL": "mysql://u@h/d"},
                 "error: ACCORD_DATABASE_URL uses 'mysql'; Accord supports postgresql and sqlite", id="mysql"),
    pytest.param({"ACCORD_ENV": "production"},
                 "error: settings: ACCORD_SECRET_KEY must be set to a secret of your own (32+ characters) in production",
                 id="production-without-secret"),
])
def test_bad_settings_are_refused_by_every_command_before_anything_is_created(tmp_path, env, line):
    results = each_command(tmp_path, {"ACCORD_WORKSPACE": "ws", **env})

    for result in results:
        assert_refused(result, line)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_setting_is_named_by_its_environment_variable(tmp_path):
    env, port = run_all([Call(["serve"], cwd=tmp_path, env={"ACCORD_ENV": "staging"}),
                         Call(["get", "/"], cwd=tmp_path, env={"ACCORD_PORT": "eighty"})])

    assert_refused(env, "error: ACCORD_ENV: Input should be 'development' or 'production'")
    assert_refused(port, "error: ACCORD_PORT: Input should be a valid integer, unable to parse string as an integer")


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    url = "postgresql+psycopg://u:s3cret@127.0.0.1:1/accord"
    line = re.compile(r"error: cannot connect to the database at postgresql\+psycopg://u:\*\*\*@127\.0\.0\.1:1/accord: "
                      r".*Connection refused")

    for result in each_command(tmp_path, {"ACCORD_DATABASE_URL": url}):
        assert_refused(result, line)
        assert "s3cret" not in result.stderr


@pytest.mark.parametrize("where", ["under-a-file", "in-proc"])
def test_a_workspace_that_cannot_be_created_is_refused(tmp_path, where):
    if where == "under-a-file":
        (tmp_path / "a-file").write_text("not a folder")
        # The brackets would be read as Rich markup (and vanish) if the message were not escaped.
        workspace, reason = tmp_path / "a-file" / "[b]ws", "Not a directory"
    else:
        workspace, reason = Path("/proc/accord-test"), "No such file or directory"
    line = f"error: workspace folder {workspace} cannot be created: {reason}"

    for result in each_command(tmp_path, {"ACCORD_WORKSPACE": str(workspace)}):
        assert_refused(result, line)
    assert not workspace.exists()


def test_a_workspace_never_initialised_asks_for_accord_init(tmp_path):
    never = "error: the database has no Accord schema yet: run `accord init` (or `accord db upgrade`)"

    for result in each_command(tmp_path, {"ACCORD_WORKSPACE": "ws"}, (["serve"], ["get", "/"])):
        assert_refused(result, never)


def test_a_schema_older_than_the_code_is_refused_until_db_upgrade(tmp_path):
    workspace = tmp_path / "ws"
    store = Store.open(Settings(workspace=workspace, database_url=None), upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="Old Times", base_currency="ZAR", timezone="Africa/Johannesburg",
                         default_region="ZA")
        accounts.create_user(session, UserIn(email="owner@example.com", name="Owner", role="owner",
                                             password="correct horse battery"), actor=SYSTEM)
    command.downgrade(migrate.alembic_config(store.engine), "0001")
    store.close()
    env = {"ACCORD_WORKSPACE": str(workspace)}
    older = f"error: the database schema (0001) is older than this code ({HEAD}): run `accord db upgrade`"

    for result in each_command(tmp_path, env, (["serve"], ["get", "/"])):
        assert_refused(result, older)

    upgrade = run(Call(["db", "upgrade"], cwd=tmp_path, env=env))

    assert (upgrade.returncode, upgrade.stderr, upgrade.stdout) == (0, "", f"Schema at {HEAD} (was 0001)\n"), \
        described(upgrade)
    with socket.socket() as taken:  # serve gets past the schema check to the address, and stops there
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        dashboard, serve = run_all([Call(["get", "/"], cwd=tmp_path, env=env),
                                    Call(["serve"], cwd=tmp_path, env={**env, "ACCORD_PORT": str(port)})],
                                   timeout=SERVE_TIMEOUT)
    assert (dashboard.returncode, dashboard.stderr) == (0, ""), described(dashboard)
    assert "<h1>Old Times</h1>" in dashboard.stdout
    assert_refused(serve, f"error: cannot listen on 127.0.0.1:{port}: Address already in use")
