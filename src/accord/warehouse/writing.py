"""The warehouse side of a sync: tables, the sync state beside them, and transactions that hold both."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from accord.errors import SetupError
from accord.warehouse.schema import BLOCK_SIZE, TableSpec, block_ranges

STATE_TABLE = "_accord_sync"
BLOCKS_TABLE = "_accord_sync_block"


def _q(name: str) -> str:
    return f'"{name}"'


def sql_type(kind: pa.DataType) -> str:
    """The column type both DuckDB and PostgreSQL spell this way."""
    if pa.types.is_int64(kind):
        return "BIGINT"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_string(kind):
        return "TEXT"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP WITH TIME ZONE"
    if pa.types.is_date32(kind):
        return "DATE"
    if pa.types.is_decimal(kind):
        return f"NUMERIC({kind.precision}, {kind.scale})"
    if pa.types.is_float64(kind):
        return "DOUBLE PRECISION"
    raise TypeError(f"no warehouse column type for {kind}")


class SqlWriter:
    """Writes through a DB-API connection with transactions (DuckDB, PostgreSQL): data and state commit together."""

    placeholder = "?"

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def _execute(self, sql: str, params: tuple = ()) -> Any:
        sql = sql.replace("?", self.placeholder)
        return self.connection.execute(sql, params) if params else self.connection.execute(sql)

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._execute(sql, params).fetchall()

    def ensure_state(self) -> None:
        """Create the sync-state tables on first use (each statement commits on its own)."""
        self._execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (table_name TEXT, signature TEXT, "
                      "row_count BIGINT, synced_at TIMESTAMP WITH TIME ZONE)")
        self._execute(f"CREATE TABLE IF NOT EXISTS {BLOCKS_TABLE} (table_name TEXT, block BIGINT, "
                      "row_count BIGINT, checksum BIGINT)")

    def signatures(self) -> dict[str, str]:
        """{table: signature} of every synced table that is still there (someone may have dropped one)."""
        present = {name for (name,) in self._rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
        return {name: signature for name, signature in self._rows(f"SELECT table_name, signature FROM {STATE_TABLE}")
                if name in present}

    def blocks(self, table: str) -> dict[int, tuple[int, int]]:
        """{block: (rows, checksum)} as of the last copy of each block."""
        rows = self._rows(f"SELECT block, row_count, checksum FROM {BLOCKS_TABLE} WHERE table_name = ?", (table,))
        return {int(block): (int(count), int(checksum)) for block, count, checksum in rows}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One warehouse transaction: everything inside it is kept, or nothing is."""
        self._execute("BEGIN TRANSACTION")
        try:
            self._serialise()
            yield
        except BaseException:
            self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def _serialise(self) -> None:
        """Keep two syncs into one warehouse from interleaving (DuckDB: one writing process per file anyway)."""

    def forget_all(self) -> None:
        """Drop every sync state, so the next sync copies every table afresh (accord sync --full)."""
        with self.transaction():
            self._execute(f"DELETE FROM {STATE_TABLE}")
            self._execute(f"DELETE FROM {BLOCKS_TABLE}")

    def recreate(self, spec: TableSpec, signature: str) -> None:
        """Replace the table with an empty one of the current shape and forget its blocks."""
        columns = ", ".join(f"{_q(f.name)} {sql_type(f.type)}" for f in spec.arrow_schema)
        self.drop(spec.name)
        self._execute(f"CREATE TABLE {_q(spec.name)} ({columns})")
        self._execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?, 0, CURRENT_TIMESTAMP)", (spec.name, signature))

    def drop(self, table: str) -> None:
        """Drop a table and its sync state."""
        self._execute(f"DROP TABLE IF EXISTS {_q(table)}")
        self._execute(f"DELETE FROM {BLOCKS_TABLE} WHERE table_name = ?", (table,))
        self._execute(f"DELETE FROM {STATE_TABLE} WHERE table_name = ?", (table,))

    def delete_blocks(self, spec: TableSpec, blocks: list[int]) -> int:
        """Remove the rows of these blocks; returns how many went."""
        if not blocks:
            return 0
        if spec.block_key is None:  # the whole table is its one block
            removed = self._rows(f"SELECT count(*) FROM {_q(spec.name)}")[0][0]
            self._execute(f"DELETE FROM {_q(spec.name)}")
            return removed
        removed = 0
        key = _q(spec.block_key)
        for low, high in block_ranges(blocks):
            bounds = (low * BLOCK_SIZE, high * BLOCK_SIZE)
            removed += self._rows(f"SELECT count(*) FROM {_q(spec.name)} WHERE {key} >= ? AND {key} < ?", bounds)[0][0]
            self._execute(f"DELETE FROM {_q(spec.name)} WHERE {key} >= ? AND {key} < ?", bounds)
        return removed

    def save_blocks(self, spec: TableSpec, blocks: Mapping[int, tuple[int, int] | None]) -> None:
        """Record each block's fingerprint as copied (None: the block is gone from the store)."""
        for block, fingerprint in blocks.items():
            self._execute(f"DELETE FROM {BLOCKS_TABLE} WHERE table_name = ? AND block = ?", (spec.name, block))
            if fingerprint is not None:
                self._execute(f"INSERT INTO {BLOCKS_TABLE} VALUES (?, ?, ?, ?)", (spec.name, block, *fingerprint))
        self._execute(
            f"UPDATE {STATE_TABLE} SET row_count = (SELECT coalesce(sum(row_count), 0) FROM {BLOCKS_TABLE} "
            f"WHERE table_name = ?), synced_at = CURRENT_TIMESTAMP WHERE table_name = ?", (spec.name, spec.name),
        )

    def append(self, spec: TableSpec, batch: pa.RecordBatch) -> None:
        """Add one batch of rows."""
        raise NotImplementedError


class DuckDBWriter(SqlWriter):
    """DuckDB reads the Arrow batch in place."""

    def append(self, spec: TableSpec, batch: pa.RecordBatch) -> None:
        """Add one batch of rows."""
        self.connection.register("_accord_batch", batch)
        try:
            self._execute(f"INSERT INTO {_q(spec.name)} SELECT * FROM _accord_batch")
        finally:
            self.connection.unregister("_accord_batch")


class PostgresWriter(SqlWriter):
    """PostgreSQL loads each batch with COPY, as CSV that Arrow writes."""

    placeholder = "%s"

    def __init__(self, connection: Any) -> None:
        super().__init__(connection)
        # Our own BEGIN/COMMIT: psycopg must not open transactions of its own around them.
        connection.autocommit = True

    def _serialise(self) -> None:
        # Another sync's delete could miss rows this one has not committed yet and leave them twice.
        self._execute(f"LOCK TABLE {BLOCKS_TABLE} IN EXCLUSIVE MODE")

    def append(self, spec: TableSpec, batch: pa.RecordBatch) -> None:
        """Add one batch of rows."""
        buffer = io.BytesIO()
        # Every value quoted and NULL left empty: that is how PostgreSQL's CSV tells '' from NULL.
        pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
        names = ", ".join(_q(name) for name in batch.schema.names)
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {_q(spec.name)} ({names}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())


def writer_for(warehouse: Any) -> SqlWriter:
    """The writer for an Ibis backend, or SetupError for a backend `accord sync` cannot write."""
    name = getattr(warehouse, "name", "")
    if name == "duckdb":
        return DuckDBWriter(warehouse.con)
    if name == "postgres":
        return PostgresWriter(warehouse.con)
    raise SetupError(
        f"accord sync writes DuckDB and PostgreSQL warehouses, not {name or type(warehouse).__name__}; "
        "sync into one of those and point Spark at it, or leave ACCORD_WAREHOUSE_URL unset"
    )
