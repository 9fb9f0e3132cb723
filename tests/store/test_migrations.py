"""The shipped migrations build exactly the models' schema and go down and up again; the schema check speaks plainly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from accord.errors import SetupError
from accord.kernel import migrate
from accord.kernel.db import make_engine
from accord.models import metadata
from stores import settings_for

# Its own database, so that emptying it never disturbs the shared `engine` fixture's.
MIGRATIONS_DATABASE = "accord_test_migrations"


@pytest.fixture
def empty_engine(backend: str, tmp_path) -> Iterator[Engine]:
    """An engine on a database with no tables at all."""
    engine = make_engine(settings_for(backend, tmp_path, database=MIGRATIONS_DATABASE))
    yield engine
    engine.dispose()


def _drift(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_upgrade_reaches_head_matches_the_models_and_survives_a_round_trip(empty_engine):
    migrate.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _drift(empty_engine) == []
    assert set(inspect(empty_engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}

    command.downgrade(migrate.alembic_config(empty_engine), "base")
    assert migrate.current_revision(empty_engine) is None
    assert inspect(empty_engine).get_table_names() == ["alembic_version"]

    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _drift(empty_engine) == []
    migrate.ensure_current(empty_engine)


def test_an_empty_database_is_refused_with_the_command_that_fixes_it(empty_engine):
    with pytest.raises(SetupError) as refused:
        migrate.ensure_current(empty_engine)

    assert refused.value.message == (
        "the database has no Accord schema yet: run `accord init` (or `accord db upgrade`)"
    )


def test_an_older_schema_is_refused_until_it_is_upgraded(empty_engine):
    command.upgrade(migrate.alembic_config(empty_engine), "0001")

    with pytest.raises(SetupError) as refused:
        migrate.ensure_current(empty_engine)

    assert refused.value.message == (
        f"the database schema (0001) is older than this code ({migrate.head_revision()}): run `accord db upgrade`"
    )
    migrate.upgrade(empty_engine)
    migrate.ensure_current(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_a_schema_from_a_newer_accord_is_refused(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0099')"))

    with pytest.raises(SetupError) as refused:
        migrate.ensure_current(empty_engine)

    assert refused.value.message == (
        "the database schema (0099) is newer than this version of Accord knows; upgrade Accord"
    )
