"""An opened store: settings, engine and session factory, checked before use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from accord.kernel import db, migrate
from accord.settings import Settings


@dataclass
class Store:
    """Everything a command or the web app needs to read and write the workspace."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, settings: Settings, *, upgrade: bool = False) -> "Store":
        """Connect, then upgrade the schema (upgrade=True) or refuse an outdated one."""
        engine = db.make_engine(settings)
        db.check_connection(engine)
        if upgrade:
            migrate.upgrade(engine)
        else:
            migrate.ensure_current(engine)
        return cls(settings, engine, db.make_sessionmaker(engine))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work that commits on success and rolls back on error."""
        with db.transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()
