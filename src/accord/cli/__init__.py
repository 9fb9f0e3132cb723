"""The `accord` command line: set-up, the demo, serving, the database, users and smoke requests."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from accord.errors import AccordError

err = Console(stderr=True, highlight=False)


def main() -> None:
    """Run the CLI; an Accord error, or the database failing underneath, becomes one line on stderr and exit 1."""
    from accord.cli.app import app

    try:
        app(standalone_mode=True)
    except AccordError as exc:
        fail(exc.message)
    except OperationalError as exc:  # locked, full, or gone away: the installation's state, not a bug to trace
        fail(f"the database failed: {str(exc.orig or exc).strip().splitlines()[0]}")


def fail(message: str) -> None:
    """Print one error line (the message is text, never Rich markup) and exit with code 1."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    sys.exit(1)
