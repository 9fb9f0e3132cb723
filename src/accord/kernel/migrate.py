"""Alembic, driven from code: upgrade the store and refuse to run on an older schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from accord.errors import SetupError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that migrates through the given engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration shipped with this code."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The store's migration, or None for an empty store."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every migration the store has not had yet."""
    command.upgrade(alembic_config(engine), "head")


def ensure_current(engine: Engine) -> None:
    """Raise SetupError unless the store is at the code's schema."""
    current, head = current_revision(engine), head_revision()
    if current is None:
        raise SetupError("the database has no Accord schema yet: run `accord init` (or `accord db upgrade`)")
    if current != head:
        scripts = ScriptDirectory(str(MIGRATIONS))
        known = {rev.revision for rev in scripts.walk_revisions()}
        if current not in known:
            raise SetupError(
                f"the database schema ({current}) is newer than this version of Accord knows; upgrade Accord"
            )
        raise SetupError(
            f"the database schema ({current}) is older than this code ({head}): run `accord db upgrade`"
        )
