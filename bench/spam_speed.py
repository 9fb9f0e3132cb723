"""Microseconds per comment for spam_verdict, over the 1,956 comments of the YouTube Spam Collection.

Run: .venv/bin/python bench/spam_speed.py  (reads ../shared/data/youtube-spam-collection; a sanity
figure for the importer's budget of about 2 µs per comment, not a test).
"""

from __future__ import annotations

import csv
import platform
import statistics
import time
from pathlib import Path

from accord.engagement.spam import spam_verdict

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "youtube-spam-collection"
PASSES = 100  # each run reads every comment this many times
RUNS = 7


def main() -> None:
    comments = []
    for path in sorted(DATA.glob("Youtube0*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            comments += [row["CONTENT"] for row in csv.DictReader(handle)]
    if not comments:
        raise SystemExit(f"no comments found under {DATA}")
    workload = comments * PASSES
    wall, cpu = [], []
    for _ in range(RUNS):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for text in workload:
            spam_verdict(text)
        cpu.append((time.process_time() - cpu_start) / len(workload) * 1e6)
        wall.append((time.perf_counter() - wall_start) / len(workload) * 1e6)
    print(f"spam_verdict: {len(comments)} comments x {PASSES}, {RUNS} runs on "
          f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    # CPU time is the cost of a call; wall time also counts waiting for a CPU on a busy machine.
    for name, figures in (("CPU", cpu), ("wall", wall)):
        print(f"µs per comment ({name} time): median {statistics.median(figures):.2f}, "
              f"best {min(figures):.2f}, worst {max(figures):.2f}")


if __name__ == "__main__":
    main()
