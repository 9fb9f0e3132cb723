"""The review tests' warehouses hold exactly the tables given, on DuckDB, PostgreSQL and Spark; Spark from a URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date, datetime, timezone
from decimal import Decimal

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from warehouses import WAREHOUSE_PARAMS, warehouse_with

UTC = timezone.utc
ORDERS = pa.table({
    "id": pa.array([1, 2, 3], pa.int64()),
    "ordered_at": pa.array([datetime(2026, 3, 28, 23, 30, tzinfo=UTC), datetime(2026, 3, 29, 23, 30, tzinfo=UTC),
                            None], pa.timestamp("us", tz="UTC")),
    "ordered_day": pa.array([date(2026, 3, 29), date(2026, 3, 30), None], pa.date32()),
    "currency": ["ZAR", "USD", None],
    "rate": pa.array([Decimal("1"), Decimal("18.1234567891"), None], pa.decimal128(20, 10)),
    "refunded": [False, True, None],
})
EMPTY = pa.table({"id": pa.array([], pa.int64()), "spent_on": pa.array([], pa.date32())})
SPEND = pd.DataFrame({"id": [7], "spent_on": [date(2026, 1, 2)]})


def _plain(rows: list[dict]) -> list[dict]:
    """Instants as UTC (Spark hands them back naive, in its UTC session), the rest as they are."""
    return [{k: (v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v) for k, v in r.items()}
            for r in rows]


def _table_names(warehouse) -> list[str]:
    if warehouse.name == "duckdb":  # ibis 12's list_tables needs a DuckDB call that DuckDB 2 removed
        return sorted(n for (n,) in warehouse.con.execute("SELECT table_name FROM information_schema.tables")
                      .fetchall())
    return sorted(warehouse.list_tables())


@pytest.mark.parametrize("kind", WAREHOUSE_PARAMS)
def test_a_warehouse_holds_exactly_the_tables_given(kind, tmp_path):
    earlier = warehouse_with(kind, {"spend": EMPTY, "leftover": EMPTY}, tmp_path / "earlier")
    warehouse = warehouse_with(kind, {"sales_order": ORDERS, "spend": SPEND, "empty": EMPTY}, tmp_path)

    assert _table_names(warehouse) == ["empty", "sales_order", "spend"]
    orders = warehouse.table("sales_order")
    assert _plain(orders.order_by("id").to_pyarrow().to_pylist()) == ORDERS.to_pylist()
    assert orders.rate.sum().execute() == Decimal("19.1234567891")
    assert orders.filter(orders.ordered_day == date(2026, 3, 30)).id.to_list() == [2]
    assert warehouse.table("spend").to_pyarrow().to_pylist() == [{"id": 7, "spent_on": date(2026, 1, 2)}]
    assert warehouse.table("empty").count().execute() == 0
    assert list(warehouse.table("empty").schema().types) == [ibis.dtype("int64"), ibis.dtype("date")]
    assert "leftover" in _table_names(earlier)


def test_ibis_reads_raw_sql_and_lists_tables_on_duckdb():
    """ibis 12 with DuckDB 2 fails here (it calls fetch_arrow_table, which DuckDB 2 removed): pin duckdb<2."""
    warehouse = ibis.duckdb.connect()
    warehouse.create_table("spend", EMPTY)
    assert warehouse.list_tables() == ["spend"]
    assert warehouse.sql("SELECT 41 + 1 AS answer").to_pyarrow().to_pylist() == [{"answer": 42}]


SPARK_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import pyarrow as pa
    from accord.settings import Settings
    from accord.warehouse import connect

    workspace = Path(sys.argv[1])
    warehouse = connect(Settings(workspace=workspace, warehouse_url="pyspark://local"))
    warehouse.create_table("spend", pa.table({"id": [1, 2], "amount_minor": [500, -20]}))
    session = warehouse._session
    print(json.dumps({
        "name": warehouse.name,
        "time_zone": session.conf.get("spark.sql.session.timeZone"),
        "catalog": session.conf.get("spark.sql.catalogImplementation"),
        "total": int(warehouse.table("spend").amount_minor.sum().execute()),
        "files": (workspace / "spark" / "warehouse" / "spend").is_dir(),
        "metastore": (workspace / "spark" / "metastore_db").is_dir(),
    }))
""")


@pytest.mark.spark
def test_pyspark_url_opens_a_local_spark_in_utc_with_its_files_in_the_workspace(tmp_path):
    if os.environ.get("CI") != "true":  # CI must have Spark: there, a missing pyspark fails below
        pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]'")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    done = subprocess.run([sys.executable, "-c", SPARK_CHILD, str(tmp_path)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "name": "pyspark", "time_zone": "UTC", "catalog": "hive", "total": 480, "files": True, "metastore": True,
    }
