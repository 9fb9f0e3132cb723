"""`accord personas list|discover|fit`: the customer templates, finding them in the data, and scoring contacts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.cli.warehouse import sync_after_change
from accord.kernel.audit import Actor
from accord.kernel.store import Store

personas_app = typer.Typer(help="Personas: the templates of the true customer, declared or discovered.",
                           no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
SyncOption = Annotated[bool, typer.Option("--sync/--no-sync",
                                          help="Bring the warehouse up to date afterwards, so the reviews see the "
                                               "new fits (default).")]


def _store(ctx: typer.Context) -> Store:
    from accord.cli.app import settings_from

    return Store.open(settings_from(ctx))


def _table(personas) -> Table:
    table = Table("id", "persona", "kind", "fitting", "what sets them apart", box=None, pad_edge=False)
    table.columns[3].justify = "right"
    for p in personas:
        apart = "; ".join(p.rules_text) if p.kind == "declared" else p.description
        table.add_row(str(p.id), escape(p.name), p.kind, f"{p.contacts_fitting:,}", escape(apart))
    return table


@personas_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every persona: kind, how many contacts fit it (0.5 or more), and its rules or distinguishing attributes."""
    from accord.personas.queries import list_personas

    store = _store(ctx)
    try:
        with store.transaction() as session:
            personas = list_personas(session)
    finally:
        store.close()
    if not personas:
        out.print("No personas yet: declare one on the Personas page or with POST /api/v1/personas, or run "
                  "`accord personas discover`.")
        return
    out.print(_table(personas))


@personas_app.command("discover")
def discover_command(
    ctx: typer.Context,
    clusters: Annotated[int | None, typer.Option("--clusters", help="2, 3 or 4 (default: chosen by the "
                                                                    "Calinski-Harabasz index).")] = None,
    sync: SyncOption = True,
) -> None:
    """Find 2 to 4 personas in the contacts (replacing the discovered ones), name and describe them, score everyone."""
    from accord.personas.discovery import CRITERION
    from accord.personas.queries import persona_summary
    from accord.personas.service import discover_personas

    store = _store(ctx)
    try:
        with store.transaction() as session:
            found = discover_personas(session, clusters=clusters, actor=Actor("cli"))
            summaries = [persona_summary(session, p.id) for p in found.personas]
        scores = ", ".join(f"{k} clusters: {v:,.1f}" for k, v in found.scores.items())
        how = "as asked" if found.asked else f"by the highest {CRITERION} ({scores})"
        out.print(f"Discovered {found.clusters} personas, {how}.")
        for summary in summaries:
            out.print(f"[bold]{escape(summary.name)}[/] (persona {summary.id}): {escape(summary.description)}")
        if found.removed:
            out.print("Removed: " + ", ".join(escape(name) for name in found.removed))
        if sync:
            out.print(sync_after_change(store.settings, store))
    finally:
        store.close()


@personas_app.command("fit")
def fit_command(ctx: typer.Context, sync: SyncOption = True) -> None:
    """Score every live contact against every persona again; print how many fit each."""
    from accord.personas.service import compute_fits

    store = _store(ctx)
    try:
        with store.transaction() as session:
            counts = compute_fits(session)
        if not counts:
            out.print("No personas yet, so there is nothing to score.")
            return
        table = Table("id", "persona", "kind", "fitting", box=None, pad_edge=False)
        table.columns[3].justify = "right"
        for count in counts:
            table.add_row(str(count.persona_id), escape(count.name), count.kind, f"{count.contacts:,}")
        out.print(table)
        if sync:
            out.print(sync_after_change(store.settings, store))
    finally:
        store.close()
