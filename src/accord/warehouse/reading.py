"""The store side of a sync: one consistent snapshot, block fingerprints, and rows as Arrow record batches."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Engine

from accord.errors import SetupError
from accord.warehouse.schema import BLOCK_SIZE, TableSpec, block_ranges

ROWS_PER_BATCH = 50_000
HASH_BITS = 44  # a block sums at most 2**19 row hashes without leaving a signed 64-bit integer


def _row_hash(*values: Any) -> int:
    """A row's fingerprint on SQLite, which has no hash function of its own."""
    data = repr(values).encode()
    return (zlib.crc32(data) << 12) | (zlib.adler32(data) & 0xFFF)


def _q(name: str) -> str:
    return f'"{name}"'


class StoreSnapshot:
    """Reads the store inside one read-only transaction, so fingerprints and rows agree with each other."""

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect.name
        # A raw connection: the store's own SQLite transactions take the write lock, which a reader must not hold.
        self._raw = engine.raw_connection()
        self._driver = self._raw.driver_connection
        if self.dialect == "sqlite":
            self._driver.create_function("accord_row_hash", -1, _row_hash, deterministic=True)
            self._execute("BEGIN")
        else:
            self._driver.rollback()
            self._restore = (self._driver.isolation_level, self._driver.read_only)
            self._driver.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self._driver.read_only = True
            # Row text (which the fingerprints hash) depends on these session settings; pin them.
            self._execute("SET LOCAL TIME ZONE 'UTC'")
            self._execute("SET LOCAL DateStyle = 'ISO, YMD'")
            self._execute("SET LOCAL extra_float_digits = 1")

    @property
    def method(self) -> str:
        """How this store fingerprints blocks; fingerprints made another way are never compared with these."""
        return "sqlite-crc44-v1" if self.dialect == "sqlite" else "postgresql-md5-44-v1"

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = self._driver.cursor()
        if params:
            cursor.execute(sql, params)
        else:
            cursor.execute(sql)
        return cursor

    def close(self) -> None:
        """End the read transaction and give the connection back."""
        try:
            self._driver.rollback()
            if self.dialect != "sqlite":
                self._driver.isolation_level, self._driver.read_only = self._restore
        finally:
            self._raw.close()

    def timezone(self) -> str:
        """The workspace's time zone, or SetupError when the store has no workspace yet."""
        row = self._execute('SELECT timezone FROM "workspace" WHERE id = 1').fetchone()
        if row is None:
            raise SetupError("the store has no workspace yet: run `accord init` before `accord sync`")
        return row[0]

    def fingerprints(self, spec: TableSpec) -> dict[int, tuple[int, int]]:
        """{block: (rows, checksum)} for every block of the table that holds rows."""
        names = ", ".join(_q(c.name) for c in spec.columns)
        if self.dialect == "sqlite":
            row_hash = f"accord_row_hash({names})"
        else:
            hex_digits = HASH_BITS // 4
            row_hash = f"('x' || substr(md5(ROW({names})::text), 1, {hex_digits}))::bit({HASH_BITS})::bigint"
        if spec.block_key:
            block = f"{_q(spec.block_key)} / {BLOCK_SIZE}"
            grouped = f" GROUP BY {block}"
        else:
            block, grouped = "0", ""  # one row, with a count of 0 when the table is empty
        sql = f"SELECT {block}, count(*), sum({row_hash}) FROM {_q(spec.name)}{grouped}"
        return {int(block): (int(rows), int(checksum))
                for block, rows, checksum in self._execute(sql).fetchall() if rows}

    def batches(self, spec: TableSpec, blocks: Sequence[int], timezone: str) -> Iterator[pa.RecordBatch]:
        """The rows of these blocks as record batches in the warehouse's schema, a bounded number at a time."""
        select = ", ".join(self._select_expression(c.name, c.kind) for c in spec.columns)
        for low, high in block_ranges(blocks):
            if spec.block_key:
                key = _q(spec.block_key)
                sql = f"SELECT {select} FROM {_q(spec.name)} WHERE {key} >= %s AND {key} < %s"
                params: tuple = (low * BLOCK_SIZE, high * BLOCK_SIZE)
            else:
                sql, params = f"SELECT {select} FROM {_q(spec.name)}", ()
            if self.dialect == "sqlite":
                cursor = self._execute(sql.replace("%s", "?"), params)
            else:
                # A server-side cursor: PostgreSQL would otherwise send the whole range at once.
                cursor = self._driver.cursor(name="accord_sync")
                cursor.execute(sql, params)
            try:
                while rows := cursor.fetchmany(ROWS_PER_BATCH):
                    yield self._batch(spec, rows, timezone)
            finally:
                cursor.close()

    def _select_expression(self, name: str, kind: str) -> str:
        column = _q(name)
        if self.dialect == "sqlite":
            return column
        # Numbers and text from PostgreSQL instead of Python datetimes and parsed JSON: far cheaper to convert.
        if kind == "timestamp":
            return f"(extract(epoch FROM {column}) * 1000000)::bigint"
        if kind == "date":
            return f"({column} - DATE '1970-01-01')"
        if kind == "json":
            return f"{column}::text"
        return column

    def _batch(self, spec: TableSpec, rows: list[tuple], timezone: str) -> pa.RecordBatch:
        arrays = []
        for column, values in zip(spec.columns, zip(*rows, strict=True), strict=True):
            try:
                arrays.append(self._array(column.kind, column.arrow, values))
            except (pa.ArrowException, ValueError, TypeError) as exc:
                raise SetupError(f"{spec.name}.{column.name} holds a value the warehouse cannot take: {exc}") from None
        by_name = {c.name: a for c, a in zip(spec.columns, arrays, strict=True)}
        for at, _day in spec.day_columns:
            local = pc.local_timestamp(by_name[at].cast(pa.timestamp("us", tz=timezone)))
            arrays.append(local.cast(pa.date32()))
        return pa.RecordBatch.from_arrays(arrays, schema=spec.arrow_schema)

    def _array(self, kind: str, arrow: pa.DataType, values: Sequence[Any]) -> pa.Array:
        if kind == "decimal":
            return pa.array([_decimal(v, arrow.scale) for v in values], arrow)
        # Arrow infers a list of str or int several times faster than it checks one against a given type.
        inferred = pa.array(values)
        if kind == "timestamp":
            if self.dialect == "sqlite":  # text such as 2026-01-31 09:15:00.000000, always UTC
                return inferred.cast(pa.string()).cast(pa.timestamp("us")).cast(arrow)
            return inferred.cast(pa.int64()).cast(arrow)
        if kind == "date":
            if self.dialect == "sqlite":
                return inferred.cast(pa.string()).cast(arrow)
            return inferred.cast(pa.int32()).cast(arrow)
        return inferred.cast(arrow)


def _decimal(value: Any, scale: int) -> Decimal | None:
    """A stored number as the Decimal SQLAlchemy would read (SQLite keeps NUMERIC as a float)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(f"{value:.{scale}f}")
    return Decimal(value).quantize(Decimal(1).scaleb(-scale))
