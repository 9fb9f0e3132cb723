"""Copy what changed in the store into the warehouse: incremental, idempotent and safe to interrupt.

Every table is cut into blocks of BLOCK_SIZE key values. The store fingerprints each block (row count and
a sum of row hashes over every copied column) in one aggregate query; the warehouse keeps the fingerprint
each block had when it was copied. A block whose fingerprint differs (new, changed or gone) is deleted and
copied again, and its new fingerprint is written in the same warehouse transaction as its rows. Hashing
every column, rather than trusting ids or `updated_at`, matters because most tables have neither a
change time nor append-only rows: merges move engagements, answers and spam decisions update them, and
ids drawn from a PostgreSQL sequence can commit out of order.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import psycopg

from accord.errors import SetupError
from accord.kernel.store import Store
from accord.warehouse.reading import StoreSnapshot
from accord.warehouse.schema import TableSpec, table_specs
from accord.warehouse.writing import SqlWriter, writer_for

GROUP_ROWS = 200_000  # rows per warehouse transaction: an interrupted sync keeps what it committed
GROUP_BLOCKS = 512

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableReport:
    """What one sync did to one table."""

    table: str
    rows: int  # rows the warehouse table holds after the sync
    written: int  # rows copied from the store
    removed: int  # rows deleted from the warehouse before their blocks were copied again
    blocks: int  # blocks copied again (or dropped)
    rebuilt: bool  # created afresh: first sync, new columns, another time zone, or --full

    @property
    def changed(self) -> bool:
        """True when the sync touched this table."""
        return bool(self.written or self.removed or self.blocks or self.rebuilt)


@dataclass(frozen=True)
class SyncReport:
    """What a sync did, table by table."""

    tables: tuple[TableReport, ...]
    dropped: tuple[str, ...]  # warehouse tables whose store table no longer exists
    seconds: float

    @property
    def written(self) -> int:
        """Rows copied in all."""
        return sum(t.written for t in self.tables)

    @property
    def changed(self) -> list[TableReport]:
        """The tables this sync touched."""
        return [t for t in self.tables if t.changed]

    def summary(self) -> str:
        """One line for people."""
        if not self.changed and not self.dropped:
            return f"Nothing changed since the last sync: copied nothing ({self.seconds:.1f} s)."
        removed = sum(t.removed for t in self.tables)
        return (f"Copied {self.written:,} rows into {len(self.changed)} tables"
                + (f", removed {removed:,} old rows" if removed else "")
                + (f", dropped {len(self.dropped)} tables the store no longer has" if self.dropped else "")
                + f" in {self.seconds:.1f} s.")


def sync(store: Store, warehouse: Any, *, full: bool = False, progress: Progress | None = None) -> SyncReport:
    """Make the warehouse equal to the store, copying only blocks that changed (everything with full=True)."""
    started = time.perf_counter()
    writer = writer_for(warehouse)
    report = progress or (lambda _table, _done, _total: None)
    # Every fetched row is a new tuple; at the default threshold the collector would rescan the heap every
    # 700 of them, which costs a fifth of a large copy. The rows hold no cycles, so collect far less often.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    try:
        writer.ensure_state()
        if full:
            writer.forget_all()
        snapshot = StoreSnapshot(store.engine)
        try:
            timezone = snapshot.timezone()
            signatures = writer.signatures()
            specs = table_specs()
            tables = tuple(_sync_table(spec, snapshot, writer, timezone, signatures.get(spec.name), report)
                           for spec in specs)
        finally:
            snapshot.close()
        dropped = _drop_vanished(writer, set(signatures) - {spec.name for spec in specs})
    except (sqlite3.Error, psycopg.Error, duckdb.Error) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise SetupError(f"the sync stopped ({reason}); what it copied is kept: run it again to finish") from None
    finally:
        gc.set_threshold(*thresholds)
    return SyncReport(tables, dropped, time.perf_counter() - started)


def _sync_table(spec: TableSpec, snapshot: StoreSnapshot, writer: SqlWriter, timezone: str,
                known_signature: str | None, report: Progress) -> TableReport:
    signature = spec.signature(timezone, snapshot.method)
    in_store = snapshot.fingerprints(spec)
    rebuilt = known_signature != signature
    if rebuilt:
        with writer.transaction():
            writer.recreate(spec, signature)
        copied: dict[int, tuple[int, int]] = {}
    else:
        copied = writer.blocks(spec.name)
    changed = sorted(b for b in in_store.keys() | copied.keys() if in_store.get(b) != copied.get(b))
    total = sum(in_store[b][0] for b in changed if b in in_store)
    written = removed = 0
    report(spec.name, 0, total)
    for group in _groups(changed, in_store):
        with writer.transaction():
            removed += writer.delete_blocks(spec, [b for b in group if b in copied])
            for batch in snapshot.batches(spec, [b for b in group if b in in_store], timezone):
                writer.append(spec, batch)
                written += batch.num_rows
                report(spec.name, written, total)
            writer.save_blocks(spec, {b: in_store.get(b) for b in group})
    rows = sum(count for count, _ in in_store.values())
    return TableReport(spec.name, rows, written, removed, len(changed), rebuilt)


def _groups(blocks: list[int], in_store: dict[int, tuple[int, int]]) -> Iterator[list[int]]:
    """Blocks in runs of about GROUP_ROWS rows, each run one warehouse transaction."""
    group: list[int] = []
    rows = 0
    for block in blocks:
        group.append(block)
        rows += in_store.get(block, (0, 0))[0]
        if rows >= GROUP_ROWS or len(group) >= GROUP_BLOCKS:
            yield group
            group, rows = [], 0
    if group:
        yield group


def _drop_vanished(writer: SqlWriter, names: set[str]) -> tuple[str, ...]:
    """Drop warehouse tables whose store table a migration removed."""
    for name in sorted(names):
        with writer.transaction():
            writer.drop(name)
    return tuple(sorted(names))
