"""Run the installed `accord` command as a user would: a subprocess with a clean environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from accord.accounts import service as accounts
from accord.errors import NotAuthenticated
from accord.kernel.store import Store
from accord.settings import Settings

ACCORD = Path(sys.executable).parent / "accord"
# Variables that would make Rich write escape codes or change its idea of the terminal.
_TERMINAL_VARS = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES")
OWNER_LOGIN = re.compile(
    r"Owner login: (?P<email>\S+) / (?P<password>\S+) \(shown once; change it under Settings\)"
)


@dataclass(frozen=True)
class Call:
    """One command line, the ACCORD_* variables it runs with, and the folder it runs in."""

    args: Sequence[str]
    cwd: Path
    env: dict[str, str] | None = None


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without any ACCORD_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k not in _TERMINAL_VARS}
    env.update(extra or {})
    return env


def run(call: Call, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `accord` once and capture what it printed."""
    return subprocess.run(
        [str(ACCORD), *call.args], cwd=call.cwd, env=clean_env(call.env),
        capture_output=True, text=True, timeout=timeout,
    )


def run_all(calls: Sequence[Call], *, timeout: float = 60) -> list[subprocess.CompletedProcess[str]]:
    """Run independent commands side by side (each start-up costs seconds of imports).

    At most one of them may write to a given SQLite workspace: the store begins SQLite transactions
    DEFERRED, so a second writer that read first gets "database is locked" at once (see the report).
    """
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda call: run(call, timeout=timeout), calls))


def lines(stream: str) -> list[str]:
    """The non-empty lines of a captured stream."""
    return [line for line in stream.splitlines() if line.strip()]


def described(result: subprocess.CompletedProcess[str]) -> str:
    """The command and everything it printed, for an assertion message."""
    command = "accord " + " ".join(result.args[1:])
    return f"{command}\nexit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr}"


def assert_refused(result: subprocess.CompletedProcess[str], line: str | re.Pattern[str]) -> None:
    """Exit code 1, nothing on stdout, and one stderr line equal to `line` (or matching it): no traceback."""
    assert "Traceback" not in result.stderr, described(result)
    printed = lines(result.stderr)
    if isinstance(line, re.Pattern) and len(printed) == 1 and line.fullmatch(printed[0]):
        line = printed[0]
    assert (result.returncode, result.stdout, printed) == (1, "", [line]), described(result)


def logs_in(settings: Settings, email: str, password: str) -> bool:
    """True when this email and password authenticate against the store."""
    store = Store.open(settings)
    try:
        with store.transaction() as session:
            accounts.authenticate(session, email, password)
        return True
    except NotAuthenticated:
        return False
    finally:
        store.close()


def fetch(settings: Settings, sql: str) -> list[tuple]:
    """The rows a read-only query returns from the store."""
    engine = create_engine(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()
