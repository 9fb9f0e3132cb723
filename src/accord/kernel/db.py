"""The store: declarative base, engines for SQLite and PostgreSQL, sessions and the schema check."""

from __future__ import annotations

import json
import os
from operator import itemgetter
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, TypeVar

from sqlalchemy import (
    ARRAY, JSON, BigInteger, ColumnElement, DateTime, Integer, MetaData, any_, bindparam, create_engine, event, func,
    select, text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from accord.errors import NotFound, SetupError
from accord.settings import Settings

T = TypeVar("T")
B = TypeVar("B", bound="Base")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table of every domain."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must carry a time zone")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset; everything we wrote was UTC
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
IdPK = Annotated[int, mapped_column(BigId, primary_key=True)]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own implicit transactions break SAVEPOINT and transactional DDL; SQLAlchemy emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured store; refuses a malformed URL or an unwritable workspace."""
    url_text = settings.effective_database_url
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise SetupError(
            "ACCORD_DATABASE_URL is not a database URL; expected e.g. "
            "postgresql+psycopg://user:password@host:5432/dbname"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise SetupError(
            f"ACCORD_DATABASE_URL uses '{url.get_backend_name()}'; Accord supports postgresql and sqlite"
        )
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        _ensure_writable(Path(url.database).parent)
    try:
        if url.get_backend_name() == "sqlite":
            # Requests hand a pooled connection between worker threads, one at a time.
            engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
            # fails at once when another connection wrote meanwhile, whatever the busy timeout.
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    except (ArgumentError, ImportError, TypeError) as exc:
        raise SetupError(f"cannot use database {_redacted(url_text)}: {exc}") from None
    return engine


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SetupError(f"workspace folder {folder} is a file, not a folder") from None
    except OSError as exc:
        raise SetupError(f"workspace folder {folder} cannot be created: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SetupError(f"workspace folder {folder} is not writable")
    # os.access says yes to root everywhere, even on read-only or virtual file systems; a real write does not.
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".accord-probe-"):
            pass
    except OSError as exc:
        raise SetupError(
            f"workspace folder {folder} is not writable: cannot create a file there ({exc.strerror})"
        ) from None


def check_connection(engine: Engine) -> None:
    """Open one connection, or explain in one line why the store cannot be reached."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise SetupError(
            f"cannot connect to the database at {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from None
    except SQLAlchemyError as exc:
        raise SetupError(f"cannot use the database: {exc.__class__.__name__}: {exc}") from None


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit, so pages can render after the commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def get_row(session: Session, model: type[B], row_id: object, noun: str) -> B:
    """The row of `model` with this primary key, or NotFound: "no <noun> <id>"."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"no {noun} {row_id}")
    return row


def allocate_ids(session: Session, model: type[Base], count: int) -> list[int]:
    """Reserve `count` primary keys for a bulk insert without RETURNING (which SQLite would do row by row).

    PostgreSQL draws them from the table's sequence. On SQLite the next ids follow the current maximum;
    SQLite has one writer at a time, and a concurrent writer that raced us fails on the primary key
    instead of mixing rows.
    """
    if count <= 0:
        return []
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count},
        )
        return [row[0] for row in rows]
    start = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(start, start + count))


def _sqlite_datetime(value: datetime | None) -> str | None:
    # Exactly the text SQLAlchemy writes for DateTime on SQLite, so comparisons with bound values hold.
    if value is None:
        return None
    if value.tzinfo is not timezone.utc:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must carry a time zone")
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _json_text(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def bulk_insert(session: Session, model: type[Base], rows: list[dict]) -> None:
    """Insert many rows of one table as fast as the driver allows; every row has the same keys.

    On SQLite the values go straight to the driver's executemany, converted as SQLAlchemy would; elsewhere
    SQLAlchemy's executemany path (which psycopg pipelines) does the work.
    """
    if not rows:
        return
    table = model.__table__
    if session.get_bind().dialect.name != "sqlite":
        session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    converters = [
        (index, _sqlite_datetime if isinstance(table.c[name].type, UTCDateTime) else _json_text)
        for index, name in enumerate(names)
        if isinstance(table.c[name].type, UTCDateTime | JSON)
    ]
    getter = itemgetter(*names)
    if len(names) == 1:
        values = [[getter(row)] for row in rows]
    elif converters:
        values = [list(getter(row)) for row in rows]
    else:
        values = [getter(row) for row in rows]
    for index, convert in converters:
        for value in values:
            value[index] = convert(value[index])
    insert_rows(session, model, names, values)


IN_CHUNK = 900  # values per IN (...) list, well under SQLite's bound-parameter limit


def chunked(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most IN_CHUNK items, for IN (...) lists."""
    for start in range(0, len(items), IN_CHUNK):
        yield items[start:start + IN_CHUNK]


def known_ids(session: Session, model: type[Base], pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids already stored under these (source, external_id) pairs; one query per source, so the unique index serves."""
    by_source: dict[str, list[str]] = {}
    for source, external_id in pairs:
        by_source.setdefault(source, []).append(external_id)
    known: dict[tuple[str, str], int] = {}
    for source, external_ids in by_source.items():
        rows = session.execute(select(model.external_id, model.id).where(
            model.source == source, matches_any(session, model.external_id, external_ids)))
        known.update(((source, external_id), row_id) for external_id, row_id in rows)
    return known


def matches_any(session: Session, column: ColumnElement, values: Sequence[object]) -> ColumnElement[bool]:
    """`column IN values` as one bound value however long the list: a JSON array on SQLite, an array on PostgreSQL.

    A plain IN list binds one parameter per value, which SQLite caps and SQLAlchemy re-renders per call.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(listed.c.value))


def time_form(session: Session) -> Callable[[datetime], object]:
    """Aware datetime → what the store's driver takes: SQLAlchemy's UTC text on SQLite, the datetime elsewhere."""
    return _sqlite_utc_text if session.get_bind().dialect.name == "sqlite" else _utc


def json_form(session: Session) -> Callable[[object], object]:
    """A JSON value → what the store's driver takes: its text on SQLite, the value elsewhere."""
    return json.dumps if session.get_bind().dialect.name == "sqlite" else _same


def insert_rows(session: Session, model: type[Base], columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Insert rows given as tuples in `columns` order, values already in the store's form (time_form, json_form).

    On SQLite the tuples go straight to the driver's executemany; elsewhere through SQLAlchemy's executemany.
    """
    if not rows:
        return
    table = model.__table__
    if session.get_bind().dialect.name != "sqlite":
        session.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _sqlite_utc_text(value: datetime) -> str:
    if value.tzinfo is not timezone.utc:  # another zone, or none (refused), goes the general way
        return _sqlite_datetime(value)
    return value.isoformat(" ", "microseconds")[:26]  # the same text, without a copy of the datetime


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def _same(value: object) -> object:
    return value
