"""Wall time, rows per second and peak memory of loading the large demo into a fresh SQLite workspace.

Run: .venv/bin/python bench/demo_large.py  (about ten minutes; add --verify to re-check every CHECK and
foreign key afterwards, --no-record to leave BENCHMARKS.md alone, --scale small for a quick try).
The load runs in a child process, so its peak RSS is the child's alone; the result replaces the
"Demo load (large scale)" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "BENCHMARKS.md"
SECTION = "## Demo load (large scale)"
ANCHOR = date(2026, 11, 15)  # fixed, so every run loads the same rows

CHILD = """
import json, sys, time
from datetime import date
from pathlib import Path
from sqlalchemy import CheckConstraint, text
from accord.demo.loader import DEMO_TABLES, load_demo
from accord.kernel.db import Base
from accord.kernel.store import Store
from accord.settings import Settings

workspace, scale, anchor, verify = Path(sys.argv[1]), sys.argv[2], date.fromisoformat(sys.argv[3]), sys.argv[4] == "1"
store = Store.open(Settings(workspace=workspace), upgrade=True)
shown = [0.0]

def progress(label, done, total):
    if time.monotonic() - shown[0] > 30 or done == total:
        shown[0] = time.monotonic()
        print(f"  {label}: {done:,}/{total:,}", file=sys.stderr, flush=True)

summary = load_demo(store, scale=scale, anchor_on=anchor, progress=progress)
again = load_demo(store, scale=scale, anchor_on=anchor)
result = {"seconds": summary.seconds, "counts": summary.counts, "again_seconds": again.seconds,
          "again_loaded": again.already_loaded}
if verify:
    started = time.perf_counter()
    with store.engine.connect() as connection:
        checks = sum(connection.scalar(text(f'SELECT count(*) FROM "{t}" WHERE NOT ({c.sqltext})'))
                     for t in DEMO_TABLES for c in Base.metadata.tables[t].constraints
                     if isinstance(c, CheckConstraint))
        keys = sum(1 for _ in connection.exec_driver_sql("PRAGMA foreign_key_check"))
    result["verify"] = {"check_violations": checks, "foreign_key_violations": keys,
                        "seconds": time.perf_counter() - started}
store.close()
print(json.dumps(result))
"""


def machine() -> dict[str, str]:
    """The machine the figures come from."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    meminfo = Path("/proc/meminfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    total_kib = int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1))
    return {
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cores": str(os.cpu_count()),
        "ram": f"{total_kib / 1024 / 1024:.1f} GiB",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "date": date.today().isoformat(),
    }


def run(scale: str, verify: bool, workspace: Path) -> dict:
    """Load the demo in a child process; its wall time and peak RSS come from outside it."""
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", CHILD, str(workspace), scale, ANCHOR.isoformat(), str(int(verify))],
                           cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    wall = time.perf_counter() - started
    result = json.loads(child.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    result["database_mib"] = sum(p.stat().st_size for p in workspace.glob("accord.sqlite3*")) / 1024 / 1024
    return result


def section(scale: str, result: dict, host: dict[str, str]) -> str:
    """The BENCHMARKS.md section for one run."""
    counts = result["counts"]
    rows = sum(counts.values())
    lines = [
        SECTION,
        "",
        f"`bench/demo_large.py` loads the {scale} demo (seed 7, anchor {ANCHOR}) into a fresh embedded SQLite",
        "workspace in a child process: the same code path as `accord demo --scale large`, without the web server.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| rows written | {rows:,} in {len(counts)} tables |",
        f"| contacts / engagements / order lines | {counts['contact']:,} / {counts['engagement']:,} / "
        f"{counts['order_line']:,} |",
        f"| load time (inside `load_demo`) | {result['seconds']:.0f} s |",
        f"| wall time of the child process (start-up, migrations, second call and re-check included) | "
        f"{result['wall_seconds']:.0f} s |",
        f"| rows per second | {rows / result['seconds']:,.0f} |",
        f"| peak RSS of the process | {result['peak_rss_mib']:,.0f} MiB |",
        f"| database on disk | {result['database_mib']:,.0f} MiB |",
        f"| second identical call (writes nothing) | {result['again_seconds'] * 1000:.0f} ms |",
    ]
    if "verify" in result:
        check = result["verify"]
        lines.append(f"| re-check afterwards | {check['check_violations']} CHECK and "
                     f"{check['foreign_key_violations']} foreign-key violations, in {check['seconds']:.0f} s |")
    lines += ["", "Rows per table:", "", "| table | rows |", "|---|---|"]
    lines += [f"| {table} | {n:,} |" for table, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    lines += ["", "Machine:", ""] + [f"- {key}: {value}" for key, value in host.items()]
    lines += [
        "",
        "Notes: one process, with a second thread generating and formatting rows (numpy, seeded per chunk)",
        "while the first inserts them with sqlite3 `executemany` in one transaction per 20,000 contacts. During",
        "the load `synchronous=OFF`, a 256 MiB page cache, and foreign keys and CHECK constraints off; all are",
        "restored afterwards, and `--verify` re-checks every CHECK and foreign key. The machine is shared, so",
        "the load average above says how much of it the run had.",
        "",
    ]
    return "\n".join(lines)


def record(text: str) -> None:
    """Replace (or add) this benchmark's section of BENCHMARKS.md, leaving the others alone."""
    current = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    BENCHMARKS.write_text(updated.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=("small", "large"))
    parser.add_argument("--verify", action="store_true", help="re-check every CHECK and foreign key afterwards")
    parser.add_argument("--no-record", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    host = machine()
    with tempfile.TemporaryDirectory(prefix="accord-demo-bench-") as folder:
        print(f"loading the {args.scale} demo into {folder} ...", flush=True)
        result = run(args.scale, args.verify, Path(folder))
    text = section(args.scale, result, host)
    print(text)
    if not args.no_record:
        record(text)
        print(f"recorded in {BENCHMARKS}")


if __name__ == "__main__":
    main()
