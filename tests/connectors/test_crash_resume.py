"""An engagements import killed with SIGKILL part-way and run again ends exactly where an uninterrupted one does."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from import_support import ACCORD, accord
from synthetic import MAPPING, write_engagements

ROWS = 1_000_000
BATCH = 10_000
# Fingerprints of what an import leaves behind, independent of row ids and of when it ran.
CONTENT = {
    "engagements": "SELECT e.source, e.external_id, i.value, e.channel, e.kind, e.occurred_at, e.text, e.is_spam, "
                   "e.spam_decided_by FROM engagement e JOIN identity i ON i.contact_id = e.contact_id "
                   "ORDER BY e.source, e.external_id",
    "contacts": "SELECT i.kind, i.channel, i.value, c.display_name, c.first_channel, c.lifecycle_stage, c.created_at, "
                "c.merged_into_id IS NULL FROM contact c JOIN identity i ON i.contact_id = c.id ORDER BY i.value",
    "contact audit": "SELECT i.value, a.actor, a.action, a.summary, a.before, a.after FROM audit_event a "
                     "JOIN identity i ON i.contact_id = a.contact_id WHERE a.entity = 'contact' "
                     "ORDER BY i.value, a.action",
}
COUNTS = ("SELECT (SELECT count(*) FROM contact), (SELECT count(*) FROM identity), (SELECT count(*) FROM engagement), "
          "(SELECT count(*) FROM audit_event WHERE entity = 'contact')")


def query(database: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def fingerprint(database: Path) -> dict[str, str]:
    digests = {}
    for name, sql in CONTENT.items():
        digest = hashlib.sha256()
        for row in query(database, sql):
            digest.update(repr(row).encode())
        digests[name] = digest.hexdigest()
    return digests


def start_import(folder: Path, workspace: str, data: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return subprocess.Popen(
        [str(ACCORD), "--workspace", workspace, "import", "engagements", "--no-sync", "--mapping", "map.toml",
         "--batch-size", str(BATCH), str(data)],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_killed_import_rerun_ends_where_an_uninterrupted_one_does(tmp_path):
    data = tmp_path / "comments.csv"
    write_engagements(data, ROWS, seed=5)
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    for workspace in ("killed", "whole"):
        assert accord("--workspace", workspace, "init", cwd=tmp_path).returncode == 0
    killed_db, whole_db = tmp_path / "killed" / "accord.sqlite3", tmp_path / "whole" / "accord.sqlite3"

    whole = start_import(tmp_path, "whole", data)
    victim = start_import(tmp_path, "killed", data)
    stored = 0
    while stored < 3 * BATCH:
        assert victim.poll() is None, victim.communicate()
        time.sleep(0.2)
        stored = query(killed_db, "SELECT count(*) FROM engagement")[0][0]
    time.sleep(0.5)  # most likely in the middle of the next batch
    victim.send_signal(signal.SIGKILL)
    victim.wait()

    at_kill = query(killed_db, "SELECT count(*) FROM engagement")[0][0]
    assert at_kill % BATCH == 0 and at_kill >= 3 * BATCH  # whole batches only
    assert query(killed_db, "SELECT status, rows_read, rows_written, rows_rejected FROM import_run") == [
        ("running", at_kill, at_kill, 0)]

    rerun = accord("--workspace", "killed", "import", "engagements", "--no-sync", "--mapping", "map.toml",
                   "--batch-size", str(BATCH), str(data), cwd=tmp_path, timeout=1800)
    out, err = whole.communicate(timeout=1800)

    assert (whole.returncode, err, out.splitlines()) == (0, "", [
        f"comments.csv: {ROWS:,} rows read, {ROWS:,} written, 0 already there, 0 rejected (run 1)"])
    assert (rerun.returncode, rerun.stderr, rerun.stdout.splitlines()) == (0, "", [
        f"comments.csv: {ROWS:,} rows read, {ROWS - at_kill:,} written, {at_kill:,} already there, 0 rejected (run 2)"])
    assert query(killed_db, "SELECT id, status, error FROM import_run ORDER BY id") == [
        (1, "failed", "interrupted before it finished; run 2 imports the same file again"), (2, "finished", None)]
    assert query(killed_db, COUNTS) == query(whole_db, COUNTS)
    assert query(whole_db, COUNTS)[0][2] == ROWS
    assert fingerprint(killed_db) == fingerprint(whole_db)
