"""Helpers for the import tests: run an import with a mapping given as TOML text, and read the store back."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from sqlalchemy import func, select

from accord.connectors.importing.mapping import parse_mapping
from accord.connectors.importing.runner import Rejects, RunReport, import_file
from accord.kernel.store import Store


def run(store: Store, kind: str, path: Path, mapping_toml: str, *, tmp: Path, batch_size: int | None = None,
        name: str = "test.toml") -> RunReport:
    """Import one file with a mapping given as TOML text; rejects go to tmp/rejects.csv."""
    rejects = Rejects(tmp / "rejects.csv")
    try:
        return import_file(store, kind, path, parse_mapping(tomllib.loads(mapping_toml), name=name),
                           rejects=rejects, started_by="test", batch_size=batch_size)
    finally:
        rejects.close()


def count(store: Store, model) -> int:
    """Rows in a table."""
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def count_where(store: Store, model, *conditions) -> int:
    """Rows in a table that meet the conditions."""
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions))


def rows(store: Store, statement) -> list[tuple]:
    """The rows a select returns, as tuples."""
    with store.transaction() as session:
        return [tuple(row) for row in session.execute(statement)]


ACCORD = Path(sys.executable).parent / "accord"
_TERMINAL_VARS = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES")


def accord(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `accord` command with a clean environment (no ACCORD_* variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k not in _TERMINAL_VARS}
    return subprocess.run([str(ACCORD), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
