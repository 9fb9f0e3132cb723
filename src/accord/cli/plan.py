"""`accord plan`: the plan with its goals' progress, closing a review cycle, and the written plan as .md or .pdf."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.cli.reviews import print_table
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.store import Store

plan_app = typer.Typer(help="The marketing plan: goals, campaigns, review cycles and the written plan.",
                       no_args_is_help=True)
PlanOption = Annotated[int | None, typer.Option("--plan", help="The plan's id (default: the current plan).")]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _store(ctx: typer.Context) -> Store:
    from accord.cli.app import settings_from

    return Store.open(settings_from(ctx))


def _read(ctx: typer.Context, plan_id: int | None):
    """The plan's view and its goals' progress, from a store opened for the reading."""
    from accord.planning.progress import plan_progress

    store = _store(ctx)
    try:
        return plan_progress(store, plan_id)
    finally:
        store.close()


def _goals_table(progress) -> Table:
    from accord.planning.metrics import TITLE_OF, value_text

    table = Table("id", "goal", "metric", "target", "period", "so far", "status")
    for column in (table.columns[3], table.columns[5]):
        column.justify = "right"
    for p in progress:
        g = p.goal
        metric = TITLE_OF[g.metric] + (" (at most)" if g.direction == "at_most" else "")
        table.add_row(str(g.id), escape(g.name), metric,
                      value_text(g.unit, g.target, g.currency), f"{g.period_start} – {g.period_end}",
                      value_text(g.unit, p.actual, g.currency), p.status)
    return table


@plan_app.command("show")
def show(ctx: typer.Context, plan: PlanOption = None) -> None:
    """Print the plan: vision, personas, goals with progress, campaigns with budget and spend, the open cycle."""
    from accord.kernel.money import Money

    view, progress = _read(ctx, plan)
    console = _console()
    if view.plan is None:
        console.print("[bold]No written plan yet[/]: every goal and campaign follows. Write one on the plan page "
                      "or with POST /api/v1/plans.")
    else:
        console.print(f"[bold]{escape(view.plan.title)}[/] (plan {view.plan.id}), "
                      f"{view.plan.period_start} to {view.plan.period_end}")
    if view.vision:
        console.print(f"Vision: {escape(view.vision)}" + (f" (from the {view.vision_source})"
                                                         if view.vision_source != "the plan" else ""))
    console.print("Personas: " + (", ".join(escape(p.name) for p in view.personas) or "none yet"))
    print_table(_goals_table(progress))
    campaigns = Table("id", "campaign", "channel", "dates", "budget", f"spent ({view.base_currency})")
    for column in campaigns.columns[4:]:
        column.justify = "right"
    for c in view.campaigns:
        campaigns.add_row(str(c.id), escape(c.name), c.channel, f"{c.starts_on} – {c.ends_on}",
                          str(Money(c.budget_minor, c.currency)), str(Money(c.spent_base_minor, view.base_currency)))
    print_table(campaigns)
    base = view.base_currency
    console.print(f"Total budget {Money(view.budget.budget_base_minor, base)}, spent to date "
                  f"{Money(view.budget.spent_base_minor, base)}")
    cycle = view.open_cycle
    console.print(f"Open review cycle: {cycle.id}, {cycle.starts_on} to {cycle.ends_on}" if cycle else
                  "No review cycle is open.")


@plan_app.command("goals")
def goals(ctx: typer.Context, plan: PlanOption = None) -> None:
    """Print the plan's goals with their live progress and whether each is on course."""
    _, progress = _read(ctx, plan)
    print_table(_goals_table(progress))
    console = _console()
    for source in sorted({p.source for p in progress if p.status != "unavailable"}):
        console.print(f"[yellow]source:[/] {escape(source)}")
    for p in progress:
        if p.status == "unavailable":
            console.print(f"[yellow]note:[/] goal {p.goal.id}: {escape(p.note)}")


@plan_app.command("close-cycle")
def close_cycle(
    ctx: typer.Context,
    learned: Annotated[str, typer.Option("--learned", help="What the cycle taught.", show_default=False)],
    changes: Annotated[str, typer.Option("--changes", help="What changes next cycle (its agenda).")] = "",
    cycle: Annotated[int | None, typer.Option("--cycle", help="The cycle's id (default: the current plan's "
                                                              "open cycle).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Email of who closes it (default: the first owner).")] = None,
) -> None:
    """Close a review cycle with its snapshot and what was learned; the next cycle opens from it."""
    from accord.accounts import service as accounts
    from accord.kernel.audit import Actor
    from accord.kernel.money import Money
    from accord.planning import service
    from accord.planning.progress import measure_for_close
    from accord.planning.queries import plan_view
    from accord.planning.schemas import CycleCloseIn

    store = _store(ctx)
    try:
        with store.transaction() as session:
            person = accounts.user_by_email(session, by) if by else accounts.first_owner(session)
            if person is None:
                raise NotFound("there is no owner yet: run `accord init` first")
            actor = Actor.user(person)
            found = plan_view(session).open_cycle if cycle is None else None
        if cycle is None:
            if found is None:
                raise Conflict("no review cycle is open; give --cycle ID")
            cycle = found.id
        measures = measure_for_close(store, cycle)
        with store.transaction() as session:
            closed, following = service.close_cycle(session, cycle, CycleCloseIn(learned=learned, changes=changes),
                                                    measures=measures, actor=actor)
    finally:
        store.close()
    snapshot = closed.snapshot or {}
    base = snapshot.get("base_currency", "")
    console = _console()
    console.print(f"Closed review cycle {closed.id} ({closed.starts_on} to {closed.ends_on}).")
    table = Table("campaign", "planned", "spent", "difference")
    for column in table.columns[1:]:
        column.justify = "right"
    for e in snapshot.get("campaigns", []):
        planned = "–" if e["planned_minor"] is None else str(Money(e["planned_minor"], base))
        difference = "–" if e["variance_minor"] is None else str(Money(e["variance_minor"], base))
        table.add_row(escape(e["name"]), planned, str(Money(e["spent_minor"], base)), difference)
    print_table(table)
    for g in snapshot.get("goals", []):
        console.print(f"{escape(g['name'])}: {g['actual_text']} of {g['target_text']}, {g['status']}")
    console.print(f"Opened review cycle {following.id} ({following.starts_on} to {following.ends_on}).")


@plan_app.command("export")
def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="FILE.md or FILE.pdf.", show_default=False)],
    plan: PlanOption = None,
) -> None:
    """Write the plan down: vision, personas, goals, campaigns, budget and calendar, as Markdown or PDF."""
    from accord.planning.export import FORMATS, write_plan, written_plan

    if out.suffix.lower() not in FORMATS:
        raise Invalid("--out", f"{out.name} must end in .md or .pdf")
    view, progress = _read(ctx, plan)
    if view.plan is None:
        raise Invalid("--plan", "there is no plan to export yet; write one first")
    write_plan(written_plan(view, progress), out)
    _console().print(f"Wrote {escape(view.plan.title)} to {escape(str(out))} ({out.stat().st_size // 1024:,} KB)")
