"""`accord sync` as a user runs it: what it copied per table, then nothing, and one-line errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from accord.kernel.store import Store
from accord.models import metadata
from stores import settings_for
from support import SECRET_TABLES, expected_tables, fill, open_store

ACCORD = Path(sys.executable).parent / "accord"


def accord(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed command with no ACCORD_* settings but `env`, and no terminal."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k not in ("COLUMNS", "FORCE_COLOR")}
    return subprocess.run([str(ACCORD), *args], env=clean | (env or {}), capture_output=True, text=True, timeout=120)


def test_sync_prints_each_table_it_copied_then_that_nothing_changed(tmp_path):
    store = open_store("sqlite", tmp_path)
    fill(store)
    expected = expected_tables(store)
    store.close()
    folder = str(tmp_path / "store")

    first = accord("--workspace", folder, "sync")
    second = accord("--workspace", folder, "sync")

    assert (first.returncode, first.stderr) == (0, ""), first.stderr
    lines = [line.split() for line in first.stdout.splitlines() if line.strip()]
    assert lines[0] == ["table", "rows", "now", "copied", "removed"]
    assert sorted(lines[1:-1]) == sorted(
        [name, f"{len(rows):,}", f"{len(rows):,}", "0", "created", "afresh"] for name, rows in expected.items()
    )
    total = sum(len(rows) for rows in expected.values())
    where = re.escape(f"Warehouse: {folder}/warehouse.duckdb")
    assert re.fullmatch(
        rf"Copied {total:,} rows into {len(expected)} tables in \d+\.\d s\. {where}",
        first.stdout.splitlines()[-1],
    ), first.stdout
    assert set(expected) == {t.name for t in metadata.sorted_tables} - SECRET_TABLES
    assert (second.returncode, second.stderr) == (0, "")
    assert re.fullmatch(
        rf"Nothing changed since the last sync: copied nothing \(\d+\.\d s\)\. {where}\n",
        second.stdout,
    ), second.stdout


def _refused(result: subprocess.CompletedProcess[str]) -> tuple[int, str, list[str]]:
    return result.returncode, result.stdout, [line for line in result.stderr.splitlines() if line.strip()]


def test_bad_set_ups_are_one_line_and_exit_1(tmp_path):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    no_workspace = tmp_path / "no-workspace"
    Store.open(settings_for("sqlite", no_workspace), upgrade=True).close()
    ready = open_store("sqlite", tmp_path)
    ready.close()
    calls = [
        ("--workspace", str(fresh), "sync"),
        ("--workspace", str(no_workspace), "sync"),
        ("--workspace", str(tmp_path / "store"), "sync"),
    ]
    unreachable = {"ACCORD_WAREHOUSE_URL": "postgres://accord:secret@127.0.0.1:1/reviews"}
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda args: accord(*args, env=unreachable if args[1].endswith("store") else None),
                                 calls))

    assert [_refused(r) for r in results] == [
        (1, "", ["error: the database has no Accord schema yet: run `accord init` (or `accord db upgrade`)"]),
        (1, "", ["error: the store has no workspace yet: run `accord init` before `accord sync`"]),
        (1, "", ["error: cannot open the warehouse at postgres://accord:***@127.0.0.1:1/reviews: connection failed: "
                 "connection to server at \"127.0.0.1\", port 1 failed: Connection refused"]),
    ]
