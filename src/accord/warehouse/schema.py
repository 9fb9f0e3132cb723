"""What the warehouse holds: every store table except secrets, same names, plus a local day per UTC instant."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import JSON, Boolean, Date, Float, Integer, Numeric, String, Table

from accord.kernel.db import UTCDateTime

# Sign-in secrets stay in the store: reviews never need them, and a warehouse is often shared more widely.
SECRET_TABLES = frozenset({"web_session", "api_token"})
SECRET_COLUMNS = {"app_user": frozenset({"password_hash"})}
# Tables keyed by two ids: the key that spreads rows over blocks (the other one has a handful of values).
BLOCK_KEYS = {"persona_fit": "contact_id", "deal_offer": "deal_id", "insight_query": "query_id"}
BLOCK_SIZE = 4096  # key values per block: a changed row re-copies at most this many rows


@dataclass(frozen=True)
class Column:
    """One store column as the warehouse holds it."""

    name: str
    kind: str  # int, bool, text, json, timestamp, date, decimal, float
    arrow: pa.DataType


@dataclass(frozen=True)
class TableSpec:
    """One store table as the warehouse holds it: its columns, its local-day columns and its block key."""

    name: str
    columns: tuple[Column, ...]
    block_key: str | None  # None: a key that is not a number (a small settings table), one block in all

    @property
    def day_columns(self) -> tuple[tuple[str, str], ...]:
        """(timestamp column, its local-day column) for every UTC timestamp."""
        return tuple((c.name, day_name(c.name)) for c in self.columns if c.kind == "timestamp")

    @property
    def arrow_schema(self) -> pa.Schema:
        """The warehouse table's columns: the store's, then the local days."""
        fields = [pa.field(c.name, c.arrow) for c in self.columns]
        fields += [pa.field(day, pa.date32()) for _, day in self.day_columns]
        return pa.schema(fields)

    def signature(self, timezone: str, method: str) -> str:
        """Changes when the columns, the workspace's time zone or the way blocks are fingerprinted change."""
        text = "|".join([method, timezone if self.day_columns else "", self.block_key or "",
                         *(f"{f.name}:{f.type}" for f in self.arrow_schema)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def block_ranges(blocks: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive blocks merged into [first, end) ranges, so neighbouring blocks cost one range scan."""
    merged: list[tuple[int, int]] = []
    for block in sorted(blocks):
        if merged and merged[-1][1] == block:
            merged[-1] = (merged[-1][0], block + 1)
        else:
            merged.append((block, block + 1))
    return merged


def day_name(column: str) -> str:
    """`ordered_at` → `ordered_day`, `at` → `day`."""
    if column == "at":
        return "day"
    return column.removesuffix("_at") + "_day"


def _column(table: Table, name: str) -> Column:
    kind_of = table.c[name].type
    if isinstance(kind_of, UTCDateTime):
        return Column(name, "timestamp", pa.timestamp("us", tz="UTC"))
    if isinstance(kind_of, Boolean):
        return Column(name, "bool", pa.bool_())
    if isinstance(kind_of, Integer):  # BigInteger and Integer alike: one integer type in every engine
        return Column(name, "int", pa.int64())
    if isinstance(kind_of, JSON):  # JSON as its text: every engine can store and parse that
        return Column(name, "json", pa.string())
    if isinstance(kind_of, Float):
        return Column(name, "float", pa.float64())
    if isinstance(kind_of, Numeric):
        return Column(name, "decimal", pa.decimal128(kind_of.precision or 38, kind_of.scale or 0))
    if isinstance(kind_of, Date):
        return Column(name, "date", pa.date32())
    if isinstance(kind_of, String):  # Text too
        return Column(name, "text", pa.string())
    raise TypeError(f"{table.name}.{name}: the warehouse has no mapping for {kind_of!r}")


def table_specs() -> list[TableSpec]:
    """Every store table the warehouse copies, parents before children."""
    from accord.models import metadata

    specs = []
    for table in metadata.sorted_tables:
        if table.name in SECRET_TABLES:
            continue
        hidden = SECRET_COLUMNS.get(table.name, frozenset())
        columns = tuple(_column(table, c.name) for c in table.columns if c.name not in hidden)
        key = BLOCK_KEYS.get(table.name) or [c.name for c in table.primary_key.columns][0]
        specs.append(TableSpec(table.name, columns, key if _column(table, key).kind == "int" else None))
    return specs
