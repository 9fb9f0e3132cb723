"""`accord sync [--full]`: copy what changed in the store into the warehouse the reviews read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.kernel.store import Store

if TYPE_CHECKING:
    from accord.warehouse import SyncReport

out = Console(highlight=False, soft_wrap=True)


def _progress() -> Progress:
    console = Console(stderr=True)
    # Not on a terminal (a pipe, a log file, a test) the bar would only leave blank lines behind.
    return Progress(
        TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )


def _table(report: "SyncReport") -> Table:
    table = Table("table", "rows now", "copied", "removed", "", box=None, pad_edge=False)
    for item in report.changed:
        blocks = f"{item.blocks:,} block{'s' if item.blocks != 1 else ''} changed"
        table.add_row(item.table, f"{item.rows:,}", f"{item.written:,}", f"{item.removed:,}",
                      "created afresh" if item.rebuilt else blocks)
    for name in report.dropped:
        table.add_row(name, "0", "0", "", "dropped: no longer in the store")
    return table


def sync_after_change(settings, store: Store) -> str:
    """Bring the warehouse up to date after a change (an import); one line saying what happened."""
    from accord.errors import AccordError
    from accord.warehouse import connect, sync

    try:
        warehouse = connect(settings)
        try:
            result = sync(store, warehouse)
            return (f"The warehouse the reviews read is up to date: {result.written:,} rows copied into "
                    f"{len(result.changed)} tables.")
        finally:
            warehouse.disconnect()
    except AccordError as exc:
        return f"The warehouse was not updated ({exc.message}); run `accord sync` when it is reachable."


def sync_command(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Copy every table afresh instead of only what changed.")] = False,
) -> None:
    """Copy what changed in the store into the warehouse (DuckDB in the workspace, or ACCORD_WAREHOUSE_URL)."""
    from accord.cli.app import settings_from
    from accord.warehouse import connect, sync  # Arrow, DuckDB and psycopg load only when a sync runs
    from accord.warehouse.connection import describe

    settings = settings_from(ctx)
    store = Store.open(settings)
    warehouse = connect(settings)
    try:
        with _progress() as bar:
            tasks: dict[str, int] = {}

            def report(table: str, done: int, total: int) -> None:
                if total == 0:
                    return
                if table not in tasks:
                    tasks[table] = bar.add_task(table, total=total)
                bar.update(tasks[table], completed=done, total=total)

            result = sync(store, warehouse, full=full, progress=report)
    finally:
        warehouse.disconnect()
        store.close()
    if result.changed or result.dropped:
        out.print(_table(result))
    where = describe(settings.warehouse_url) if settings.warehouse_url else str(settings.workspace / "warehouse.duckdb")
    out.print(f"{result.summary()} Warehouse: {where}")
