"""`accord review NAME` prints one review; `accord report` writes every review of a period to HTML or PDF."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from accord.errors import Invalid

if TYPE_CHECKING:
    from accord.reviews.base import ReviewQuery, ReviewResult

reviews_app = typer.Typer()
FORMATS = ("table", "json", "csv")
UNBOUNDED = 100_000
# The options named on the command line for the query fields every review has.
OPTION_OF = {"from_on": "--from", "to_on": "--to", "by": "--by"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_table(table: Table) -> None:
    """Print a table on stdout; piped or redirected, with whole rows at their natural width."""
    console = _console()
    if not console.is_terminal:  # a pipe or a file: print whole rows rather than squeeze them to 80 columns
        console.width = UNBOUNDED
        console.width = console.measure(table).maximum
    console.print(table)


def _list() -> None:
    from accord.reviews.forms import in_reading_order, query_fields

    table = Table("review", "title", "what it shows", "options")
    for review in in_reading_order():
        options = ", ".join(OPTION_OF.get(f.name, f"--set {f.name}=…") for f in query_fields(review.query_type))
        table.add_row(review.name, escape(review.title), escape(review.summary), options)
    print_table(table)


def _pairs(from_: str | None, to: str | None, by: str | None, settings: list[str]) -> list[tuple[str, str]]:
    pairs = [(name, value) for name, value in (("from_on", from_), ("to_on", to), ("by", by)) if value is not None]
    for setting in settings:
        name, equals, value = setting.partition("=")
        if not equals or not name.strip():
            raise Invalid("--set", f"{setting!r} is not FIELD=VALUE")
        pairs.append((name.strip(), value))
    return pairs


@reviews_app.command("review")
def review(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The review, e.g. revenue (see --list).",
                                               show_default=False)] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the reviews and their options.")] = False,
    from_: Annotated[str | None, typer.Option("--from", help="First day included (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="First day not included (YYYY-MM-DD).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="How the review splits its numbers, if it does.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Any other option: FIELD=VALUE (repeatable).")] = None,
    format_: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Run one review over the warehouse and print it (table, JSON or CSV), or --list the reviews."""
    # Imported here: every other `accord` command starts without the reviews' libraries.
    from accord.cli.app import settings_from
    from accord.reviews.forms import csv_text, parse_query, result_json, review_named

    if list_:
        _list()
        return
    if name is None:
        raise Invalid("NAME", "give a review's name, or --list to see them")
    if format_ not in FORMATS:
        raise Invalid("--format", f"{format_!r} is not one of {', '.join(FORMATS)}")
    pairs = _pairs(from_, to, by, set_ or [])
    chosen = review_named(name)
    try:
        query = parse_query(chosen, pairs)
    except Invalid as exc:
        option = OPTION_OF.get(exc.field, f"--set {exc.field}")
        raise Invalid(option, exc.reason) from None
    from accord.reviews.report import run_review, warehouse_for, workspace_of

    with warehouse_for(settings_from(ctx)) as warehouse:
        result = run_review(warehouse, chosen, query)
        base_currency = workspace_of(warehouse)["base_currency"]
    if format_ == "json":
        typer.echo(json.dumps(result_json(query, result), ensure_ascii=False, indent=2))
    elif format_ == "csv":
        sys.stdout.write(csv_text(result.rows()))
    else:
        _print_result(chosen.title, query, result, base_currency)


def _print_result(title: str, query: ReviewQuery, result: ReviewResult, base_currency: str) -> None:
    from accord.reviews.forms import display_table, headline, period_text

    console = _console()
    console.print(f"[bold]{escape(title)}[/]")
    console.print(period_text(query))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    for label, text in headline(result, query, base_currency):
        console.print(f"{escape(label)}: [bold]{escape(text)}[/]")
    shown = display_table(result.rows(), result, base_currency)
    table = Table(*(c.label for c in shown.columns))
    for column, spec in zip(table.columns, shown.columns, strict=True):
        column.justify = "right" if spec.numeric else "left"
    for row in shown.rows:
        table.add_row(*(escape(cell) for cell in row))
    print_table(table)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(option, f"{text!r} is not a date (YYYY-MM-DD)") from None


@reviews_app.command("report")
def report(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", help="First day included (YYYY-MM-DD).", show_default=False)],
    to: Annotated[str, typer.Option("--to", help="First day not included (YYYY-MM-DD).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="FILE.html or FILE.pdf.", show_default=False)],
) -> None:
    """Write every review of a period to one printable file: HTML, or PDF through Chromium."""
    from accord.cli.app import settings_from
    from accord.reviews.report import build_report, warehouse_for, write_report

    if out.suffix.lower() not in (".html", ".pdf"):
        raise Invalid("--out", f"{out.name} must end in .html or .pdf")
    from_on, to_on = _day(from_, "--from"), _day(to, "--to")
    if to_on <= from_on:
        raise Invalid("--to", f"{to_on} is not after --from {from_on}")
    console = Console(stderr=True)
    bar = Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), console=console,
                   transient=True, disable=not console.is_terminal)
    with bar:
        task = bar.add_task("reviews", total=None)
        with warehouse_for(settings_from(ctx)) as warehouse:
            html = build_report(warehouse, from_on=from_on, to_on=to_on,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
        bar.update(task, description=f"writing {out.suffix.lower()[1:]}")
        write_report(html, out)
    _console().print(f"Wrote the review of {from_on} to {to_on} (to not included) to {escape(str(out))}"
                     f" ({out.stat().st_size // 1024:,} KB)")
