"""Setting up the store: a wrong URL, an unreachable server or an unwritable folder is one clear line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from accord.errors import SetupError
from accord.kernel.db import check_connection, make_engine
from accord.kernel.store import Store
from accord.settings import DEVELOPMENT_SECRET, Settings

URL_HELP = (
    "ACCORD_DATABASE_URL is not a database URL; expected e.g. postgresql+psycopg://user:password@host:5432/dbname"
)


@pytest.fixture(autouse=True)
def no_accord_environment(monkeypatch):
    """Each test sees only the ACCORD_* variables it sets itself."""
    for name in list(os.environ):
        if name.startswith("ACCORD_"):
            monkeypatch.delenv(name)


def setup_error(settings: Settings) -> SetupError:
    """The SetupError from opening and connecting to the configured store."""
    with pytest.raises(SetupError) as refused:
        check_connection(make_engine(settings))
    error = refused.value
    # One line for the CLI, and nothing chained that a handler could print as a traceback.
    assert "\n" not in error.message
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    return error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not-a-url", URL_HELP),
        ("postgresql://accord:s3cret@db:port/accord", URL_HELP),
        ("mysql://x@y/z", "ACCORD_DATABASE_URL uses 'mysql'; Accord supports postgresql and sqlite"),
        ("oracle://scott:s3cret@db/orcl", "ACCORD_DATABASE_URL uses 'oracle'; Accord supports postgresql and sqlite"),
        (
            "postgresql+nodriver://accord:s3cret@db/accord",
            "cannot use database postgresql+nodriver://accord:***@db/accord: "
            "Can't load plugin: sqlalchemy.dialects:postgresql.nodriver",
        ),
    ],
)
def test_a_url_accord_cannot_use_is_refused(tmp_path, url, message):
    error = setup_error(Settings(workspace=tmp_path, database_url=url))

    assert error.message == message
    assert "s3cret" not in error.message


def test_an_unreachable_postgresql_is_named_without_its_password(tmp_path):
    url = "postgresql+psycopg://accord:s3cret@127.0.0.1:1/accord"

    error = setup_error(Settings(workspace=tmp_path, database_url=url))

    assert error.message == (
        "cannot connect to the database at postgresql+psycopg://accord:***@127.0.0.1:1/accord: "
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused'
    )
    assert "s3cret" not in error.message


def test_a_plain_postgresql_url_uses_psycopg(tmp_path):
    engine = make_engine(Settings(workspace=tmp_path, database_url="postgresql://accord:s3cret@127.0.0.1:1/accord"))

    assert engine.url.render_as_string(hide_password=True) == "postgresql+psycopg://accord:***@127.0.0.1:1/accord"
    assert setup_error(Settings(workspace=tmp_path, database_url=str(engine.url))).message.startswith(
        "cannot connect to the database at postgresql+psycopg://accord:***@127.0.0.1:1/accord: "
    )


def test_a_workspace_under_a_regular_file_cannot_be_created(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    workspace = tmp_path / "notes.txt" / "accord-data"

    error = setup_error(Settings(workspace=workspace))

    assert error.message == f"workspace folder {workspace} cannot be created: Not a directory"


def test_a_workspace_in_a_virtual_file_system_cannot_be_created():
    assert setup_error(Settings(workspace=Path("/proc/accord-test"))).message == (
        "workspace folder /proc/accord-test cannot be created: No such file or directory"
    )


def test_a_folder_that_refuses_files_is_unwritable_even_to_root():
    # os.access grants root everything; only trying to write a file tells the truth.
    assert setup_error(Settings(workspace=Path("/proc"))).message == (
        "workspace folder /proc is not writable: cannot create a file there (No such file or directory)"
    )


def test_a_workspace_that_is_a_regular_file_is_refused(tmp_path):
    (tmp_path / "accord-data").write_text("")

    assert setup_error(Settings(workspace=tmp_path / "accord-data")).message == (
        f"workspace folder {tmp_path}/accord-data is a file, not a folder"
    )


def test_an_sqlite_url_in_an_impossible_folder_is_refused(tmp_path):
    (tmp_path / "blocker").write_text("")
    url = f"sqlite:///{tmp_path}/blocker/data/accord.sqlite3"

    error = setup_error(Settings(workspace=tmp_path, database_url=url))

    assert error.message == f"workspace folder {tmp_path}/blocker/data cannot be created: Not a directory"


def test_an_sqlite_path_that_is_a_folder_cannot_be_opened(tmp_path):
    (tmp_path / "accord.sqlite3").mkdir()

    error = setup_error(Settings(workspace=tmp_path))

    assert error.message == (
        f"cannot connect to the database at sqlite:///{tmp_path}/accord.sqlite3: unable to open database file"
    )


def test_the_writability_probe_leaves_nothing_behind(tmp_path):
    workspace = tmp_path / "new" / "accord-data"

    engine = make_engine(Settings(workspace=workspace))

    assert list(workspace.iterdir()) == []
    engine.dispose()


def test_a_new_sqlite_connection_has_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = make_engine(Settings(workspace=tmp_path))
    try:
        check_connection(engine)
        with engine.connect() as conn:
            pragmas = [
                conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        engine.dispose()

    assert pragmas == ["wal", 1, 10000]
    assert (tmp_path / "accord.sqlite3").is_file()


def test_sqlite_savepoints_roll_back_only_their_part(tmp_path):
    engine = make_engine(Settings(workspace=tmp_path))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            savepoint = conn.begin_nested()
            conn.execute(text("INSERT INTO t VALUES (2)"))
            savepoint.rollback()
            conn.execute(text("INSERT INTO t VALUES (3)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 3]
    finally:
        engine.dispose()


def test_a_store_without_a_schema_refuses_to_open_until_upgraded(tmp_path):
    with pytest.raises(SetupError) as refused:
        Store.open(Settings(workspace=tmp_path))
    assert refused.value.message == "the database has no Accord schema yet: run `accord init` (or `accord db upgrade`)"

    store = Store.open(Settings(workspace=tmp_path), upgrade=True)
    try:
        with store.transaction() as session:
            assert session.execute(text("SELECT count(*) FROM app_user")).scalar() == 0
    finally:
        store.close()
    Store.open(Settings(workspace=tmp_path)).close()


def test_production_refuses_the_development_secret():
    with pytest.raises(ValidationError) as refused:
        Settings(env="production")

    assert [error["msg"] for error in refused.value.errors()] == [
        "Value error, ACCORD_SECRET_KEY must be set to a secret of your own (32+ characters) in production"
    ]
    assert Settings(env="production", secret_key="an own secret of 40 characters or so....").env == "production"
    assert Settings(env="development").secret_key == DEVELOPMENT_SECRET


def test_production_read_from_the_environment_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("ACCORD_ENV", "production")

    with pytest.raises(ValidationError) as refused:
        Settings()

    assert "ACCORD_SECRET_KEY must be set to a secret of your own (32+ characters) in production" in str(refused.value)
    monkeypatch.setenv("ACCORD_SECRET_KEY", "xk2-own-secret")
    with pytest.raises(ValidationError):
        Settings()
    own = "xk2-own-secret-that-is-long-enough-now"
    monkeypatch.setenv("ACCORD_SECRET_KEY", own)
    assert (Settings().env, Settings().secret_key) == ("production", own)


def test_the_environment_names_the_workspace_and_the_database(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCORD_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("ACCORD_DATABASE_URL", "postgresql+psycopg://accord@db.internal:5432/accord")

    settings = Settings()

    assert (settings.workspace, settings.database_url, settings.uses_embedded_store) == (
        tmp_path / "ws",
        "postgresql+psycopg://accord@db.internal:5432/accord",
        False,
    )
    assert settings.effective_database_url == "postgresql+psycopg://accord@db.internal:5432/accord"


def test_by_default_the_store_is_the_sqlite_file_in_the_workspace(monkeypatch, tmp_path):
    assert Settings().effective_database_url == "sqlite:///accord-data/accord.sqlite3"

    monkeypatch.setenv("ACCORD_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("ACCORD_DATABASE_URL", "")
    settings = Settings()

    assert (settings.database_url, settings.uses_embedded_store, settings.sqlite_path) == (
        None,
        True,
        tmp_path / "accord.sqlite3",
    )
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/accord.sqlite3"
