"""One import run over one file: check the mapping, stream and validate rows, write good ones in batches,
send bad ones to the rejects file, and keep the ImportRun row's counts in step with what is committed.

Each batch commits in one transaction together with the run's counts, so a run killed at any moment
leaves whole batches behind and an honest record of them; running the same file again skips what is
stored (every record has a stable external id) and ends where an uninterrupted run would.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from accord.connectors.models import ImportRun
from accord.errors import AccordError, Invalid
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.store import Store
from accord.kernel.workspace import get_workspace

from .common import Context, Kind
from .kinds import KINDS
from .mapping import Mapping, check_columns
from .reader import RowStream, detect_format, raw_text
from .values import zone

REJECTS_HEADER = ("file", "row", "line", "field", "reason", "raw")
BULK_CACHE_KIB = 64 * 1024
BULK_CHECKPOINT_PAGES = 16_384
Progress = Callable[[str, int, int], None]  # (file name, bytes done, bytes in all)


@dataclass(frozen=True)
class RunReport:
    """What one run did, as stored in its ImportRun row."""

    run_id: int
    file_name: str
    rows_read: int
    rows_written: int
    rows_duplicate: int
    rows_rejected: int
    rejects_path: Path | None
    seconds: float


class Rejects:
    """The rejects file: one CSV line per bad row (file, row, line, field, reason, raw). Created on the first reject."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self._writer = None
        self.count = 0

    def add(self, file_name: str, row: int, line: int, field: str, reason: str, raw: str) -> None:
        """Write one rejected row."""
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(REJECTS_HEADER)
        self._writer.writerow((file_name, row, line, field, reason, raw))
        self.count += 1

    def flush(self) -> None:
        """Put what was written on disk (before the batch it belongs to commits)."""
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        """Close the file, if one was started."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def bulk_load(session: Session) -> None:
    """Settings for a run of large write transactions on this session's connection (SQLite only).

    A page cache big enough for the indexes a batch touches, so a page is written to the WAL once per batch rather
    than each time the default 2 MB cache spills it; and a checkpoint every 64 MB of WAL instead of every 4 MB, so a
    page rewritten by consecutive batches is copied into the database once. Neither changes what a commit makes
    durable: a run killed at any moment still leaves whole batches behind.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size=-{BULK_CACHE_KIB}"))
        session.execute(text(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}"))


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_mapping(kind: Kind, mapping: Mapping) -> None:
    """The mapping suits the kind: known fields, the required ones present, an identity where one is needed."""
    if mapping.kind is not None and mapping.kind != kind.name:
        raise Invalid("mapping", f"{mapping.name} is a mapping for {mapping.kind} imports, not {kind.name}")
    known = (*kind.required, *kind.optional)
    for name in mapping.fields:
        if name not in known:
            raise Invalid("mapping", f"'{name}' is not a field of {kind.name} imports (fields: {', '.join(known)})")
    for name in kind.required:
        if name not in mapping.fields:
            raise Invalid("mapping", f"{kind.name} imports need the field '{name}'")
    if kind.needs_identity and not mapping.identities:
        raise Invalid("mapping", f"{kind.name} imports need at least one [[identity]] (an email, phone or handle column)")
    if mapping.attributes and not getattr(kind, "takes_attributes", False):
        takers = " and ".join(k.name for k in KINDS.values() if getattr(k, "takes_attributes", False))
        raise Invalid("mapping", f"[attributes] is read by {takers} imports only, not by {kind.name} imports")


def import_file(
    store: Store, kind_name: str, path: Path, mapping: Mapping, *, rejects: Rejects, started_by: str,
    preset: str | None = None, batch_size: int | None = None, progress: Progress | None = None,
) -> RunReport:
    """Import one file: one ImportRun, batches committed one by one, bad rows to `rejects`."""
    kind = KINDS[kind_name]
    check_mapping(kind, mapping)
    if not path.is_file():
        raise Invalid("file", f"{path} does not exist or is not a file")
    options = mapping.file
    file_format = detect_format(path, encoding=options.get("encoding"), delimiter=options.get("delimiter"),
                                quotechar=options.get("quotechar"), kind=options.get("format"))
    with store.transaction() as session:
        workspace = get_workspace(session)
        region, tz_name = workspace.default_region, workspace.timezone
    with RowStream(path, file_format) as stream:
        check_columns(mapping, stream.header)
        ctx = Context(mapping, stream.header, path.name, mapping.region or region,
                      zone(mapping.timezone or tz_name, field="mapping"), mapping.currency, utcnow())
        to_record = kind.compile(ctx)
        size = batch_size or mapping.batch_size or kind.batch_size
        return _run(store, kind, path, stream, to_record, size, rejects=rejects, started_by=started_by,
                    preset=preset, progress=progress)


def _run(store: Store, kind: Kind, path: Path, stream: RowStream, to_record, batch_size: int, *,
         rejects: Rejects, started_by: str, preset: str | None, progress: Progress | None) -> RunReport:
    started = time.perf_counter()
    total_bytes = path.stat().st_size
    digest = file_sha256(path)
    actor = Actor(f"import:{path.name}"[:120])
    now = utcnow()
    with store.transaction() as session:
        run = ImportRun(kind=kind.name, file_name=str(path)[-500:], file_sha256=digest, preset=preset,
                        status="running", rows_read=0, rows_written=0, rows_duplicate=0, rows_rejected=0,
                        rejects_path=None, started_at=now, started_by=started_by[:120])
        session.add(run)
        session.flush()
        run_id = run.id
        session.execute(
            update(ImportRun)
            .where(ImportRun.kind == kind.name, ImportRun.file_sha256 == digest, ImportRun.status == "running",
                   ImportRun.id != run_id)
            .values(status="failed", finished_at=now,
                    error=f"interrupted before it finished; run {run_id} imports the same file again")
        )
    counts = {"rows_read": 0, "rows_written": 0, "rows_duplicate": 0, "rows_rejected": 0}
    rejected_before = rejects.count
    file_name = path.name

    def commit(batch: list, read: int, rejected: int) -> None:
        rejects.flush()
        with store.transaction() as session:
            bulk_load(session)
            written = kind.write(session, batch, actor=actor) if batch else None
            counts["rows_read"] += read
            counts["rows_rejected"] += rejected
            if written is not None:
                counts["rows_written"] += written.written
                counts["rows_duplicate"] += written.duplicates
            session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
                **counts, rejects_path=str(rejects.path) if rejects.count > rejected_before else None,
            ))
        if progress is not None:
            progress(file_name, stream.bytes_read(), total_bytes)

    # Records and batches hold no reference cycles; the collector's automatic passes over the hundreds of thousands
    # of live records of a batch cost more than a tenth of the import, so it is off while importing, and the young
    # generations are collected once per batch instead, after the batch is let go, so only the few cyclic objects
    # its session left behind are walked and memory stays flat.
    collecting = gc.isenabled()
    gc.disable()
    try:
        batch: list = []
        read = rejected = 0
        for row in stream:
            read += 1
            problem = row.problem
            if problem is None:
                try:
                    batch.append(to_record(row.values))
                except Invalid as exc:
                    problem = (exc.field, exc.reason)
            if problem is not None:
                rejected += 1
                rejects.add(file_name, row.number, row.line, problem[0], problem[1], raw_text(row.values))
            if len(batch) >= batch_size:
                commit(batch, read, rejected)
                batch, read, rejected = [], 0, 0
                gc.collect(1)
        commit(batch, read, rejected)
        if progress is not None:
            progress(file_name, total_bytes, total_bytes)
    except BaseException as exc:
        reason = exc.message if isinstance(exc, AccordError) else (
            "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}")
        with store.transaction() as session:
            session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
                status="failed", finished_at=utcnow(), error=reason.splitlines()[0][:1000] if reason else None,
            ))
        raise
    finally:
        if collecting:
            gc.enable()
    with store.transaction() as session:
        session.execute(update(ImportRun).where(ImportRun.id == run_id).values(status="finished", finished_at=utcnow()))
    return RunReport(run_id, file_name, counts["rows_read"], counts["rows_written"], counts["rows_duplicate"],
                     counts["rows_rejected"], rejects.path if rejects.count > rejected_before else None,
                     time.perf_counter() - started)
