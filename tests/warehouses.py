"""Warehouses for review tests: the same tables on DuckDB, PostgreSQL and Spark, through Ibis.

Parametrise with WAREHOUSE_PARAMS (Spark carries the `spark` mark) and build each warehouse with
`warehouse_with(kind, {"sales_order": frame, ...}, tmp_path)`. Timestamps are UTC everywhere; DuckDB and
PostgreSQL return them time-zone aware, Spark returns them naive (its session runs in UTC), so compare
periods on the `_day` columns or normalise before comparing instants.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy.engine import make_url

from stores import settings_for

WAREHOUSE_KINDS = ["duckdb", "postgres", "spark"]
WAREHOUSE_PARAMS = [pytest.param(kind, marks=[pytest.mark.spark] if kind == "spark" else [])
                    for kind in WAREHOUSE_KINDS]

_calls = itertools.count(1)
_spark: dict[str, Any] = {}


Rate = tuple[str, date, str]  # (currency, valid from, units of the base currency per unit, as text)


def rate_table(rates: Sequence[Rate]) -> tuple[list[dict], dict]:
    """The warehouse's currency_rate rows and schema for these rates, as tables() builders take them."""
    return ([{"id": i, "currency": c, "valid_from": d, "rate": Decimal(r)} for i, (c, d, r) in enumerate(rates, 1)],
            {"id": pa.int64(), "currency": pa.string(), "valid_from": pa.date32(), "rate": pa.decimal128(20, 10)})


def reference_in_base(minor: int, currency: str, day: date, rates: Sequence[Rate], base: str = "ZAR") -> int | None:
    """The reference conversion of minor units between two-decimal currencies: Decimal, the latest rate on or before
    the day, half-even; None without a rate."""
    if currency == base:
        return minor
    in_force = [(d, Decimal(r)) for c, d, r in rates if c == currency and d <= day]
    if not in_force:
        return None
    return int((Decimal(minor) * max(in_force)[1]).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def warehouse_with(kind: str, tables: dict[str, pa.Table | pd.DataFrame], tmp_path: Path) -> Any:
    """An Ibis backend holding exactly these tables (and nothing else) on the given kind of warehouse."""
    arrow = {name: _arrow(table) for name, table in tables.items()}
    if kind == "duckdb":
        tmp_path.mkdir(parents=True, exist_ok=True)
        con = ibis.duckdb.connect(tmp_path / f"warehouse-{next(_calls)}.duckdb")
        for name, table in arrow.items():
            con.create_table(name, table)
        return con
    if kind == "postgres":
        return _postgres(arrow, tmp_path)
    if kind == "spark":
        return _spark_backend(arrow)
    raise ValueError(f"unknown warehouse kind {kind!r}; use one of {WAREHOUSE_KINDS}")


def built_once(tables: Callable[[], dict[str, pa.Table | pd.DataFrame]], tmp_path_factory) -> Callable[[str], Any]:
    """kind → a warehouse holding `tables()`, built the first time a kind is asked for (reviews only read it)."""
    built: dict[str, Any] = {}

    def get(kind: str) -> Any:
        if kind not in built:
            built[kind] = warehouse_with(kind, tables(), tmp_path_factory.mktemp(kind))
        return built[kind]
    return get


def _arrow(table: pa.Table | pd.DataFrame) -> pa.Table:
    return table if isinstance(table, pa.Table) else pa.Table.from_pandas(table, preserve_index=False)


def _postgres(tables: dict[str, pa.Table], tmp_path: Path) -> Any:
    """A fresh database per call, named with this run's process id and dropped at the end of the session."""
    settings = settings_for("postgresql", tmp_path, database=f"accord_w{next(_calls)}")
    url = make_url(settings.database_url)
    con = ibis.postgres.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                                database=url.database)
    for name, table in tables.items():
        con.create_table(name, table)
    for name in con.list_tables(like="^ibis_.*_memtable_"):  # ibis's staging copies of the data given
        con.drop_table(name)
    return con


def _spark_backend(tables: dict[str, pa.Table]) -> Any:
    """Temporary views in a new session of the one local SparkSession of this test run."""
    root = _spark_root()
    session = root.newSession()
    for name, table in tables.items():
        # ibis routes in-memory tables through pandas, which loses NULL decimals; Spark reads Arrow itself.
        session.createDataFrame(table, schema=_spark_schema(table.schema)).createOrReplaceTempView(name)
    return ibis.pyspark.connect(session)


def _spark_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema, so that empty tables and all-NULL columns keep their types."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _spark_root() -> Any:
    if "session" not in _spark:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            if os.environ.get("CI") == "true":
                raise
            pytest.skip("pyspark is not installed: pip install -e '.[spark]' to run the Spark warehouse tests")
        from accord.warehouse.connection import spark_session

        folder = Path(tempfile.mkdtemp(prefix="accord-spark-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _spark["session"] = spark_session(folder, persistent=False)
    return _spark["session"]
