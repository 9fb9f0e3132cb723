"""How fast `accord sync` copies the store into the DuckDB warehouse, and what it costs when little changed.

Run: .venv/bin/python bench/warehouse_sync.py [--engagements 1000000] [--store sqlite|postgresql]
Two workspaces in a temporary folder:
  - the small demo (accord demo --scale small): first sync, a sync with nothing changed, and one after
    the 100 newest engagements were answered;
  - a store with --engagements likes from 10,000 people: the same three syncs (the change: the 1,000 newest
    answered), a worst case (1,000 answers spread so that every block changes), and the peer a user would
    reach for, a full copy of the engagement table with pandas.read_sql in chunks into DuckDB (no local
    days, no change detection).
Each sync runs in a child process that prints its time and its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from accord.kernel.store import Store
from accord.settings import Settings
from accord.warehouse import connect, sync
settings = Settings(workspace=sys.argv[1], database_url=sys.argv[2] or None)
store = Store.open(settings)
warehouse = connect(settings)
started = time.perf_counter()
report = sync(store, warehouse)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "written": report.written, "rss_mib": resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PEER = """
import json, resource, sys, time
import duckdb, pandas as pd, pyarrow as pa
from sqlalchemy import create_engine
engine = create_engine(sys.argv[2])
con = duckdb.connect(sys.argv[1] + "/peer.duckdb")
started = time.perf_counter()
first = True
rows = 0
for frame in pd.read_sql_query("SELECT * FROM engagement", engine, chunksize=50_000):
    # Through Arrow: DuckDB reads an all-NULL pandas column as type NULL, which later chunks cannot fill.
    chunk = pa.Table.from_pandas(frame, preserve_index=False)
    if first:  # a column still all NULL has no type yet: text takes whatever comes later
        chunk = chunk.cast(pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                                      for f in chunk.schema]))
        con.execute("CREATE OR REPLACE TABLE engagement AS SELECT * FROM chunk")
        first = False
    else:
        con.execute("INSERT INTO engagement SELECT * FROM chunk")
    rows += len(frame)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "written": rows, "rss_mib": resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, workspace: Path, url: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, str(workspace), url], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.splitlines()[-1])


def _line(label: str, result: dict) -> None:
    rate = result["written"] / result["seconds"] if result["written"] else 0
    print(f"  {label:<44} {result['seconds']:8.2f} s {result['written']:>11,} rows {rate:>11,.0f} rows/s "
          f"{result['rss_mib']:7.0f} MiB peak")


def _settings(kind: str, workspace: Path, name: str):
    from accord.settings import Settings

    if kind == "sqlite":
        return Settings(workspace=workspace)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(os.environ.get("ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x"))
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return Settings(workspace=workspace, database_url=base.set(database=name).render_as_string(hide_password=False))


def _answer(store, count: int, *, spread: bool) -> None:
    """Answer the `count` newest engagements (a day's work in the inbox), or `count` spread over the whole table."""
    from sqlalchemy import func, select, update

    from accord.engagement.models import Engagement

    with store.transaction() as session:
        total = session.scalar(select(func.max(Engagement.id)))
        step = max(total // count, 1) if spread else 1
        ids = list(range(1 if spread else total - count + 1, total + 1, step))[:count]
        session.execute(update(Engagement).where(Engagement.id.in_(ids))
                        .values(answered_at=func.coalesce(Engagement.answered_at, Engagement.occurred_at)))


def _fill_engagements(store, count: int) -> None:
    """`count` likes from 10,000 people, a minute apart, written by the database itself."""
    from sqlalchemy import text

    dialect = store.engine.dialect.name

    def numbers(upto: int) -> str:
        if dialect == "sqlite":
            return f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {upto}) "
        return f"WITH n(i) AS (SELECT generate_series(1, {upto})) "

    people, likes = numbers(10_000), numbers(count)
    if dialect == "sqlite":
        at = "strftime('%Y-%m-%d %H:%M:%S', 1735689600 + 60 * i, 'unixepoch') || '.000000'"
        now, false = "'2025-01-01 00:00:00.000000'", "0"
    else:
        at = "to_timestamp(1735689600 + 60 * i)"
        now, false = "to_timestamp(1735689600)", "false"
    with store.transaction() as session:
        session.execute(text(
            people + "INSERT INTO contact (id, display_name, lifecycle_stage, first_channel, created_at, updated_at) "
            f"SELECT i, 'Person ' || i, 'engager', 'instagram', {now}, {now} FROM n"))
        session.execute(text(
            likes + "INSERT INTO engagement (id, source, external_id, contact_id, channel, kind, occurred_at, is_spam, "
            f"recorded_at) SELECT i, 'bench', 'e' || i, 1 + i % 10000, 'instagram', 'like', {at}, {false}, {now} "
            "FROM n"))
        if dialect != "sqlite":
            session.execute(text("SELECT setval(pg_get_serial_sequence('engagement', 'id'), max(id)) FROM engagement"))


def main() -> None:
    """Build both workspaces, time the syncs, print the figures."""
    from accord.demo.loader import load_demo
    from accord.kernel.store import Store
    from accord.kernel.workspace import ensure_workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagements", type=int, default=1_000_000)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}; store: {args.store}, warehouse: DuckDB")
    with tempfile.TemporaryDirectory(prefix="accord-sync-bench-") as folder:
        demo = _settings(args.store, Path(folder) / "demo", "accord_bench_sync_demo")
        store = Store.open(demo, upgrade=True)
        load_demo(store, scale="small")
        url = demo.database_url or ""
        print("small demo")
        _line("first sync", _child(CHILD, demo.workspace, url))
        _line("nothing changed", _child(CHILD, demo.workspace, url))
        _answer(store, 100, spread=False)
        _line("the 100 newest engagements answered", _child(CHILD, demo.workspace, url))
        store.close()

        big = _settings(args.store, Path(folder) / "big", "accord_bench_sync_big")
        store = Store.open(big, upgrade=True)
        with store.transaction() as session:
            ensure_workspace(session, name="Bench")
        started = time.perf_counter()
        _fill_engagements(store, args.engagements)
        print(f"{args.engagements:,} engagements (written in {time.perf_counter() - started:.1f} s)")
        url = big.database_url or f"sqlite:///{big.sqlite_path}"
        _line("first sync", _child(CHILD, big.workspace, big.database_url or ""))
        _line("nothing changed", _child(CHILD, big.workspace, big.database_url or ""))
        _answer(store, 1_000, spread=False)
        _line("the 1,000 newest engagements answered", _child(CHILD, big.workspace, big.database_url or ""))
        _answer(store, 1_000, spread=True)
        _line("1,000 answered across the table (every block)", _child(CHILD, big.workspace, big.database_url or ""))
        _line("peer: pandas.read_sql chunks into DuckDB", _child(PEER, big.workspace, url))
        store.close()


if __name__ == "__main__":
    main()
