"""Benchmark: `accord import engagements` into SQLite against a raw sqlite3 INSERT … ON CONFLICT DO NOTHING.

    .venv/bin/python bench/import_engagements.py [--rows 1000000 2000000] [--keep DIR]

For each size a synthetic comments CSV is written (tests/connectors/synthetic.py: about rows/5 people,
heavy repeats, three spellings of each handle), then imported twice, each time in a fresh process:

- accord: the real command (streaming reader, validation, identity resolution, dedupe, ledger, audit)
  into a new SQLite workspace, with `--no-sync`: the import alone, without the warehouse sync that
  `accord import` runs afterwards by default (bench/warehouse_sync.py measures that);
- peer: what a user could do by hand, csv.reader + one sqlite3 executemany per 10,000 rows of
  `INSERT … ON CONFLICT DO NOTHING` into a bare table keyed by comment id, no identities;
- store floor: the rows the accord import stored (contacts, identities, audit rows, engagements), inserted
  again from ready-made tuples by sqlite3 executemany into an empty database with the workspace's schema,
  50,000 rows per transaction, with the import's page cache and checkpoint settings: what SQLite alone
  costs for the import's writes, before a byte of the file is read, validated or resolved.

It prints a Markdown table with wall time, CPU time, rows per second and peak RSS (ru_maxrss of the child),
and the load average when each size started, because the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "connectors"))
from synthetic import MAPPING, write_engagements  # noqa: E402

ACCORD = Path(sys.executable).parent / "accord"


def peer(data: Path, database: Path) -> None:
    """The hand-written import: parse, insert in batches of 10,000, ignore repeats."""
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE comment (external_id TEXT PRIMARY KEY, author TEXT, published_at TEXT, text TEXT)")
    sql = "INSERT INTO comment VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
    with data.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 10_000:
                with connection:
                    connection.executemany(sql, batch)
                batch = []
        with connection:
            connection.executemany(sql, batch)
    connection.close()


FLOOR_TABLES = ("contact", "identity", "audit_event", "engagement")


def store_floor(workspace_db: Path, database: Path) -> float:
    """Seconds SQLite takes to insert, from ready-made tuples, the rows an import stored in `workspace_db`."""
    source = sqlite3.connect(workspace_db)
    schema = [sql for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC")]
    tables = {name: source.execute(f'SELECT * FROM "{name}" ORDER BY id').fetchall() for name in FLOOR_TABLES}
    source.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    target = sqlite3.connect(database, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-65536",
                   "wal_autocheckpoint=16384"):
        target.execute(f"PRAGMA {pragma}")
    for sql in schema:
        target.execute(sql)
    started = time.perf_counter()
    for name, rows in tables.items():
        if rows:
            insert = f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(rows[0]))})'
            for start in range(0, len(rows), 50_000):
                target.execute("BEGIN")
                target.executemany(insert, rows[start:start + 50_000])
                target.execute("COMMIT")
    seconds = time.perf_counter() - started
    target.close()
    return seconds


def run_child(args: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Run a command in a child we reap ourselves, so its own usage can be read: seconds, CPU seconds, MB, stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        os.dup2(write_fd, 1)
        os.close(read_fd)
        os.execve(args[0], args, env)
    os.close(write_fd)
    with os.fdopen(read_fd) as out:
        printed = out.read()
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    if status:
        raise SystemExit(f"{' '.join(args)} exited with status {status}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, printed.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--keep", type=Path, help="keep the files here instead of a temporary folder")
    parser.add_argument("--peer-only", type=Path, nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.peer_only:
        peer(*options.peer_only)
        return
    folder = options.keep or Path(tempfile.mkdtemp(prefix="accord-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "map.toml").write_text(MAPPING, encoding="utf-8")
    print(f"{date.today()} · {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · SQLite {sqlite3.sqlite_version}")
    print()
    print("| rows | load | accord s | accord CPU s | accord rows/s | accord peak RSS MB | peer s | peer CPU s | "
          "peer rows/s | peer peak RSS MB | store floor s | store floor rows/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in options.rows:
        data = folder / f"comments-{rows}.csv"
        if not data.exists():
            write_engagements(data, rows, seed=5)
        workspace = folder / f"ws-{rows}"
        shutil.rmtree(workspace, ignore_errors=True)
        run_child([str(ACCORD), "--workspace", str(workspace), "init"], folder)
        load = os.getloadavg()[0]
        seconds, cpu, rss, printed = run_child(
            [str(ACCORD), "--workspace", str(workspace), "import", "engagements", "--no-sync", "--mapping", "map.toml",
             str(data)], folder)
        assert f"{rows:,} written" in printed, printed
        database = folder / f"peer-{rows}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        peer_seconds, peer_cpu, peer_rss, _ = run_child(
            [sys.executable, __file__, "--peer-only", str(data), str(database)], folder)
        floor = store_floor(workspace / "accord.sqlite3", folder / f"floor-{rows}.sqlite3")
        print(f"| {rows:,} | {load:.1f} | {seconds:.1f} | {cpu:.1f} | {rows / seconds:,.0f} | {rss:.0f} | "
              f"{peer_seconds:.1f} | {peer_cpu:.1f} | {rows / peer_seconds:,.0f} | {peer_rss:.0f} | "
              f"{floor:.1f} | {rows / floor:,.0f} |", flush=True)
    if not options.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
