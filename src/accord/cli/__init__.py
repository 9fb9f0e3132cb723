"""The `accord` command line: set-up, the demo, serving, the database, users and smoke requests."""

from __future__ import annotations

import sys

from rich.console import Console

from accord.errors import AccordError

err = Console(stderr=True, highlight=False)


def main() -> None:
    """Run the CLI; any Accord error becomes one line on stderr and exit code 1."""
    from accord.cli.app import app

    try:
        app(standalone_mode=True)
    except AccordError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", soft_wrap=True)
        sys.exit(1)
