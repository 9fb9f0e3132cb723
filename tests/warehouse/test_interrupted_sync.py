"""A sync killed with SIGKILL part-way through 250,000 engagements keeps what it committed and finishes on re-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import duckdb
import ibis
from sqlalchemy import text

from accord.contacts.models import Contact
from accord.kernel.db import bulk_insert
from accord.warehouse import connect, sync
from accord.warehouse.schema import BLOCK_SIZE
from accord.warehouse.sync import GROUP_ROWS
from support import open_store

ENGAGEMENTS = 250_000
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)

CHILD = textwrap.dedent("""
    import sys, time
    from accord.kernel.store import Store
    from accord.settings import Settings
    from accord.warehouse import connect, sync

    settings = Settings(workspace=sys.argv[1])

    def progress(table, done, total):
        if table == "engagement" and done:
            print(done, flush=True)
            time.sleep(0.3)  # a window for the parent's kill, between two batches of one transaction

    sync(Store.open(settings), connect(settings), progress=progress)
    print("finished", flush=True)
""")


def _big_store(tmp_path):
    """1,000 people and 300,000 likes, seven minutes apart, written by SQLite itself in well under a second."""
    store = open_store("sqlite", tmp_path)
    with store.transaction() as session:
        bulk_insert(session, Contact, [
            {"id": n, "display_name": f"Person {n}", "lifecycle_stage": "engager", "first_channel": "instagram",
             "created_at": T0, "updated_at": T0} for n in range(1, 1001)
        ])
        # The timestamp text is the form SQLAlchemy stores on SQLite: seconds with six decimals, in UTC.
        session.execute(text(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ENGAGEMENTS})
            INSERT INTO engagement (id, source, external_id, contact_id, channel, kind, occurred_at, is_spam,
                                    recorded_at)
            SELECT i, 'bench', 'e' || i, 1 + i % 1000, 'instagram', 'like',
                   strftime('%Y-%m-%d %H:%M:%S', {int(T0.timestamp())} + 420 * i, 'unixepoch') || '.000000', 0,
                   '2026-01-01 00:00:00.000000'
            FROM n"""))
    return store


def _rows_of_first_transaction() -> int:
    """Engagement ids start at 1, so block 0 holds BLOCK_SIZE - 1 of them; whole blocks until GROUP_ROWS."""
    rows, block = 0, 0
    while rows < GROUP_ROWS:
        rows += BLOCK_SIZE - 1 if block == 0 else BLOCK_SIZE
        block += 1
    return rows


def test_a_killed_sync_resumes_and_ends_equal_to_an_uninterrupted_one(tmp_path):
    store = _big_store(tmp_path)
    workspace = tmp_path / "store"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(workspace)], stdout=subprocess.PIPE, text=True)
    committed = _rows_of_first_transaction()
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if int(line) > committed:  # the first transaction committed; the second is half-written
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, seen
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as killed:
        assert killed.sql("SELECT count(*), max(id) FROM engagement").fetchall() == [(committed, committed)]

    resumed = sync(store, connect(store.settings))

    engagement = next(t for t in resumed.tables if t.table == "engagement")
    assert (engagement.written, engagement.removed, engagement.rebuilt) == (ENGAGEMENTS - committed, 0, False)
    reference = ibis.duckdb.connect(tmp_path / "reference.duckdb")
    sync(store, reference)
    reference.disconnect()
    _assert_same_warehouses(workspace / "warehouse.duckdb", tmp_path / "reference.duckdb")
    store.close()


def _assert_same_warehouses(left, right) -> None:
    """Every table, the sync state included, holds the same rows in both files (sync times aside)."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{left}' AS l (READ_ONLY)")
        con.execute(f"ATTACH '{right}' AS r (READ_ONLY)")
        names = [n for (n,) in con.sql("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_catalog = 'l' ORDER BY 1").fetchall()]
        assert names == [n for (n,) in con.sql("SELECT table_name FROM information_schema.tables "
                                               "WHERE table_catalog = 'r' ORDER BY 1").fetchall()]
        assert "engagement" in names and "_accord_sync_block" in names
        for name in names:
            columns = "table_name, signature, row_count" if name == "_accord_sync" else "*"
            left_only = f'SELECT {columns} FROM l."{name}" EXCEPT ALL SELECT {columns} FROM r."{name}"'
            right_only = f'SELECT {columns} FROM r."{name}" EXCEPT ALL SELECT {columns} FROM l."{name}"'
            differ = con.sql(f"({left_only}) UNION ALL ({right_only})")
            assert differ.fetchall() == [], name
