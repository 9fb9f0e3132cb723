"""Load the demo business into a store once, in bulk, and recover from an interrupted load."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.accounts.schemas import UserIn
from accord.accounts.service import create_user, new_password
from accord.business.demo import add_demo_review
from accord.contacts.models import Contact
from accord.demo.generator import NULL_TS, SCALES, Column, Day, DemoGenerator, Flag, Ref, Rows, Ts
from accord.demo.models import DemoRun
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.workspace import business_hours, ensure_workspace

if TYPE_CHECKING:
    from accord.kernel.store import Store

JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
DEMO_ACTOR = Actor("demo")
BATCH_ROWS = 10_000
# every table the demo writes, parents before children
DEMO_TABLES = (
    "offer", "cadence", "campaign", "spend", "insight", "currency_rate", "organisation", "contact",
    "demo_persona_truth", "identity", "deal", "deal_offer", "deal_stage_change", "sales_order", "order_line",
    "conversation", "engagement", "message", "query", "insight_query", "consent", "touch", "task", "referral",
    "audit_event",
)
# tables without an id of their own, and the parent whose demo rows own theirs
OWNED_BY = {"demo_persona_truth": ("contact_id", "contact"), "deal_offer": ("deal_id", "deal"),
            "insight_query": ("query_id", "query")}
ID_TABLES = tuple(t for t in DEMO_TABLES if t not in OWNED_BY)
STAFF = (
    ("lerato.khumalo@kasikitchen.co.za", "Lerato Khumalo", "sales"),
    ("pieter.vandyk@kasikitchen.co.za", "Pieter van Dyk", "marketing"),
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    """What a demo load did: which demo, how many rows per table, and how long it took."""

    seed: int
    scale: str  # "small" | "large"
    anchor_on: date  # the last day of history (local date)
    counts: dict[str, int]  # rows written per table
    already_loaded: bool  # True when this exact demo was already in the store and nothing was written
    seconds: float


def load_demo(store: "Store", *, scale: str = "small", seed: int = 7, anchor_on: date | None = None,
              progress: Progress | None = None) -> DemoSummary:
    """Load the demo business into the store once; a second identical call writes nothing."""
    if scale not in SCALES:
        raise Invalid("scale", f"'{scale}' is not a demo scale; use one of {', '.join(SCALES)}")
    started = time.perf_counter()
    anchor_on = anchor_on or datetime.now(JOHANNESBURG).date()
    report = progress or (lambda _label, _done, _total: None)
    with store.transaction() as session:
        workspace = ensure_workspace(session, name="Kasi Kitchen & Catering", base_currency="ZAR",
                                     timezone="Africa/Johannesburg", default_region="ZA")
        done = _finished_run(session, seed=seed, scale=scale)
        if done is not None:
            return DemoSummary(done.seed, done.scale, done.anchor_on, dict(done.counts["rows"]), True,
                               time.perf_counter() - started)
        foreign = session.scalar(select(func.count()).select_from(Contact))
        if foreign:
            raise Conflict(f"this workspace already holds {foreign} contact{'s' if foreign != 1 else ''} that the "
                           "demo did not write; load the demo into a fresh workspace with --workspace")
        sales, marketing = (_staff_user(session, *person) for person in STAFF)
        offsets = {table: session.scalar(text(f'SELECT coalesce(max(id), 0) FROM "{table}"'))
                   for table in ID_TABLES}
        run = DemoRun(seed=seed, scale=scale, anchor_on=anchor_on, status="loading", counts={"offsets": offsets},
                      loaded_at=utcnow())
        session.add(run)
        session.flush()
        run_id = run.id
        generator = DemoGenerator(seed=seed, scale=scale, anchor_on=anchor_on, offsets=offsets,
                                  sales_user_id=sales, marketing_user_id=marketing, hours=business_hours(workspace))
    counts = _write(store, generator, report)
    with store.transaction() as session:
        if store.engine.dialect.name == "postgresql":
            _reset_sequences(session)
        # Written through its services, in the transaction that marks the load done, so it is never half there.
        counts["audit_event"] += add_demo_review(session, actor=Actor.user(session.get(User, marketing)),
                                                 anchor_on=anchor_on, tz=JOHANNESBURG)
        run = session.get(DemoRun, run_id)
        run.status = "loaded"
        run.counts = {"offsets": offsets, "rows": counts}
        run.loaded_at = utcnow()
    return DemoSummary(seed, scale, anchor_on, counts, False, time.perf_counter() - started)


def _finished_run(session: Session, *, seed: int, scale: str) -> DemoRun | None:
    """The loaded run of this same demo; a different demo is a Conflict, an interrupted one is undone."""
    for run in session.scalars(select(DemoRun).order_by(DemoRun.id)).all():
        if run.status == "loading":
            _discard(session, run)
        elif (run.seed, run.scale) == (seed, scale):
            return run
        else:
            raise Conflict(f"this workspace already holds the demo business with seed {run.seed} at scale "
                           f"{run.scale}; load another demo into a fresh workspace with --workspace")
    return None


def _discard(session: Session, run: DemoRun) -> None:
    """Delete everything an interrupted run wrote: every demo row lies above the offsets it recorded."""
    offsets = run.counts["offsets"]
    for table in reversed(DEMO_TABLES):
        column, owner = OWNED_BY.get(table, ("id", table))
        session.execute(text(f'DELETE FROM "{table}" WHERE "{column}" > :offset'), {"offset": offsets[owner]})
    session.execute(delete(DemoRun).where(DemoRun.id == run.id))


def _staff_user(session: Session, email: str, name: str, role: str) -> int:
    """The id of a demo staff member, created with a random password the first time."""
    existing = session.scalar(select(User.id).where(User.email == email))
    if existing is not None:
        return existing
    return create_user(session, UserIn(email=email, name=name, role=role, password=new_password()),
                       actor=DEMO_ACTOR).id


def _reset_sequences(session: Session) -> None:
    """Move each id sequence past the explicit ids the demo wrote, so normal inserts keep working."""
    for table in ID_TABLES:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM \"{table}\" "
                             "HAVING max(id) IS NOT NULL"))


@dataclass(frozen=True)
class _Batch:
    """Up to BATCH_ROWS rows of one table, ready for the driver."""

    table: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class _Progress:
    """How far one stage of the load has come; `commit` ends a unit of work."""

    label: str
    done: int
    total: int
    commit: bool = False


REFERENCE = "reference data"
PEOPLE = "contacts and their history"


def _steps(generator: DemoGenerator, sink: "_Sink") -> Iterator[_Batch | _Progress]:
    """Everything to write, in order: reference data, then each chunk of contacts as one unit of work."""
    total = generator.spec.contacts
    for rows in generator.reference():
        yield from sink.batches(rows)
    yield _Progress(REFERENCE, 1, 1, commit=True)
    yield _Progress(PEOPLE, 0, total)
    before = 0
    for done, chunk in generator.chunks():
        for i, rows in enumerate(chunk, start=1):
            yield from sink.batches(rows)
            yield _Progress(PEOPLE, before + (done - before) * i // len(chunk), total, commit=i == len(chunk))
        before = done


def _write(store: "Store", generator: DemoGenerator, report: Progress) -> dict[str, int]:
    """Write the demo, generating and formatting in a second thread while this one inserts."""
    counts = dict.fromkeys(DEMO_TABLES, 0)
    report(REFERENCE, 0, 1)
    with store.engine.connect() as connection:
        sink = _PostgresSink(connection) if connection.dialect.name == "postgresql" else _SQLiteSink(connection)
        with sink.tuned(), _ahead(_steps(generator, sink), depth=4) as steps:
            transaction = connection.begin()
            try:
                for step in steps:
                    if isinstance(step, _Batch):
                        sink.insert(step)
                        counts[step.table] += len(step.rows)
                        continue
                    if step.commit:
                        transaction.commit()
                        transaction = connection.begin()
                    report(step.label, step.done, step.total)
            finally:
                transaction.rollback()  # after the last commit there is nothing left to roll back
    return counts


_END = object()


@contextmanager
def _ahead(items: Iterator[Any], *, depth: int) -> Iterator[Iterator[Any]]:
    """Run an iterator in a background thread, at most `depth` items ahead of the one consuming it."""
    buffer: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def hand_over(item: Any) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
            hand_over(_END)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consuming thread
            hand_over(exc)

    def consume() -> Iterator[Any]:
        while (item := buffer.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    producer = threading.Thread(target=produce, name="demo-generator", daemon=True)
    producer.start()
    try:
        yield consume()
    finally:
        stop.set()
        producer.join()


class _Sink:
    """Bulk writes through the driver connection, with values pre-formatted for its database."""

    ts_suffix = ""

    def __init__(self, connection: Connection) -> None:
        self.driver = connection.connection.driver_connection
        seconds = np.arange(86400)
        self._times = np.asarray([f"{h:02d}:{m:02d}:{s:02d}{self.ts_suffix}" for h, m, s in
                                  zip((seconds // 3600).tolist(), (seconds // 60 % 60).tolist(),
                                      (seconds % 60).tolist())])

    @contextmanager
    def tuned(self) -> Iterator[None]:
        """Settings that speed up a bulk load, restored afterwards."""
        yield

    def batches(self, rows: Rows) -> Iterator[_Batch]:
        """Rows as tuples of driver values, BATCH_ROWS at a time."""
        columns = tuple(rows.columns)
        for start in range(0, len(rows), BATCH_ROWS):
            stop = min(start + BATCH_ROWS, len(rows))
            yield _Batch(rows.table, columns, list(zip(*(self._values(c, start, stop) for c in rows.columns.values()))))

    def insert(self, batch: _Batch) -> None:
        """Insert one batch in the current transaction."""
        raise NotImplementedError

    def _values(self, column: Column, start: int, stop: int) -> list[Any]:
        if isinstance(column, Ts):
            return self._timestamps(column.seconds[start:stop])
        if isinstance(column, Day):
            days = column.days[start:stop]
            null = days == NULL_TS
            return _nullable(np.datetime_as_string(np.where(null, 0, days).astype("datetime64[D]")).astype(object),
                             null)
        if isinstance(column, Flag):
            return self._flags(column.values[start:stop])
        if isinstance(column, Ref):
            values = column.values[start:stop]
            return _nullable(values.astype(object), values == 0)
        return column[start:stop].tolist()

    def _timestamps(self, seconds: np.ndarray) -> list[str | None]:
        null = seconds == NULL_TS
        if null.all():
            return [None] * len(seconds)
        seconds = np.where(null, seconds[~null][0], seconds)
        day = seconds // 86400
        first = day.min()
        dates = np.strings.add(np.datetime_as_string(np.arange(first, day.max() + 1).astype("datetime64[D]")), " ")
        return _nullable(np.strings.add(dates[day - first], self._times[seconds % 86400]).astype(object), null)

    def _flags(self, values: np.ndarray) -> list[Any]:
        return values.tolist()


def _nullable(values: np.ndarray, null: np.ndarray) -> list[Any]:
    values[null] = None
    return values.tolist()


class _SQLiteSink(_Sink):
    """executemany on the sqlite3 connection, timestamps in SQLAlchemy's SQLite text format."""

    ts_suffix = ".000000"

    # A lost demo load is simply loaded again, so durability can wait until it is done. SQLite rebuilds a
    # temporary table for every `channel IN (...)` CHECK on every row, and looks up every foreign key:
    # together they make a bulk load five times slower. The generator only writes values from the same
    # vocabularies and ids it has just written; PostgreSQL enforces both on the same rows in the tests,
    # and the SQLite tests re-check every CHECK and foreign key after loading.
    TUNING = {"synchronous": "OFF", "cache_size": "-262144", "foreign_keys": "OFF", "ignore_check_constraints": "ON"}

    @contextmanager
    def tuned(self) -> Iterator[None]:
        saved = {name: self.driver.execute(f"PRAGMA {name}").fetchone()[0] for name in self.TUNING}
        for name, value in self.TUNING.items():
            self.driver.execute(f"PRAGMA {name}={value}")
        try:
            yield
        finally:
            for name, value in saved.items():
                self.driver.execute(f"PRAGMA {name}={value}")

    def insert(self, batch: _Batch) -> None:
        columns = ", ".join(f'"{c}"' for c in batch.columns)
        marks = ", ".join("?" * len(batch.columns))
        self.driver.executemany(f'INSERT INTO "{batch.table}" ({columns}) VALUES ({marks})', batch.rows)

    def _flags(self, values: np.ndarray) -> list[Any]:
        return values.astype(np.int64).tolist()


class _PostgresSink(_Sink):
    """COPY through psycopg, timestamps as UTC text."""

    ts_suffix = "+00"

    def insert(self, batch: _Batch) -> None:
        columns = ", ".join(f'"{c}"' for c in batch.columns)
        with self.driver.cursor() as cursor, cursor.copy(f'COPY "{batch.table}" ({columns}) FROM STDIN') as copy:
            for row in batch.rows:
                copy.write_row(row)
