"""`accord import <kind> FILE...`: one command per kind of record, each a run per file with a progress bar."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from accord.connectors.importing.mapping import Mapping, load_mapping
from accord.connectors.importing.presets import load_preset, preset_names
from accord.connectors.importing.runner import Rejects, RunReport, import_file
from accord.errors import Invalid
from accord.cli.warehouse import sync_after_change
from accord.kernel.store import Store

import_app = typer.Typer(
    help="Import records from CSV or JSON Lines files; re-importing a file adds nothing.", no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)

Files = Annotated[list[Path], typer.Argument(help="CSV or JSON Lines files (.jsonl/.ndjson).", show_default=False)]
MappingOption = Annotated[Path | None, typer.Option("--mapping", help="A mapping file (TOML); see docs/importing.md.")]
PresetOption = Annotated[str | None, typer.Option("--preset", help=f"A bundled mapping: {', '.join(preset_names())}.")]
RejectsOption = Annotated[
    Path | None,
    typer.Option("--rejects", help="Write every rejected row of every file here (default: "
                                   "<workspace>/rejects/<file>.rejects.csv, only when a row is rejected)."),
]
BatchOption = Annotated[int | None, typer.Option("--batch-size", min=1, max=100_000,
                                                 help="Rows per transaction (default: the mapping's, else 50,000 for "
                                                      "engagements, 10,000 for orders and touches, 5,000 for the rest).")]
SyncOption = Annotated[bool, typer.Option("--sync/--no-sync",
                                          help="Bring the warehouse up to date afterwards (default), or leave it "
                                               "for one `accord sync` after several imports.")]


def _mapping(mapping: Path | None, preset: str | None) -> Mapping:
    if (mapping is None) == (preset is None):
        raise Invalid("--mapping", f"give either a --mapping file or a --preset ({', '.join(preset_names())})")
    return load_mapping(mapping) if mapping is not None else load_preset(preset or "")


def _progress() -> Progress:
    console = Console(stderr=True)
    # Not on a terminal (a pipe, a log file, a test) the bar would only leave blank lines behind.
    return Progress(
        TextColumn("{task.description:<24}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )


def _summary(report: RunReport) -> str:
    return (f"{report.file_name}: {report.rows_read:,} rows read, {report.rows_written:,} written, "
            f"{report.rows_duplicate:,} already there, {report.rows_rejected:,} rejected (run {report.run_id})")


def run_imports(ctx: typer.Context, kind: str, files: list[Path], mapping: Path | None, preset: str | None,
                rejects: Path | None, batch_size: int | None, sync: bool = True) -> None:
    """Import each file in turn and print one line per file, then where the rejected rows are."""
    from accord.cli.app import settings_from

    chosen = _mapping(mapping, preset)
    settings = settings_from(ctx)
    store = Store.open(settings)
    shared = Rejects(rejects) if rejects is not None else None
    who = f"cli:{getpass.getuser()}"
    reports: list[RunReport] = []
    synced = ""
    try:
        with _progress() as bar:
            for path in files:
                task = bar.add_task(escape(path.name), total=max(path.stat().st_size if path.is_file() else 1, 1))
                own = shared or Rejects(settings.workspace / "rejects" / f"{path.name}.rejects.csv")
                if shared is None:
                    own.path.unlink(missing_ok=True)  # an earlier run's rejects of this file would mislead
                try:
                    reports.append(import_file(
                        store, kind, path, chosen, rejects=own, started_by=who, preset=preset, batch_size=batch_size,
                        progress=lambda _name, done, total, task=task: bar.update(task, completed=done, total=total),
                    ))
                finally:
                    if shared is None:
                        own.close()
        if sync and any(r.rows_written for r in reports):
            synced = sync_after_change(settings, store)  # the reviews read the warehouse: keep it current
    finally:
        if shared is not None:
            shared.close()
        store.close()
    for report in reports:
        out.print(escape(_summary(report)))
    places = list(dict.fromkeys(str(r.rejects_path) for r in reports if r.rejects_path is not None))
    for place in places:
        out.print(f"Rejected rows are in {escape(place)}")
    if synced:
        out.print(escape(synced))


def _command(kind: str, summary: str):
    def command(ctx: typer.Context, files: Files, mapping: MappingOption = None, preset: PresetOption = None,
                rejects: RejectsOption = None, batch_size: BatchOption = None, sync: SyncOption = True) -> None:
        run_imports(ctx, kind, files, mapping, preset, rejects, batch_size, sync)
    command.__doc__ = summary
    return command


for _kind, _summary_text in (
    ("engagements", "Comments, likes, follows… each attached to a contact found or created by identity."),
    ("contacts", "People: found or created by email, phone or handle; their details brought up to date."),
    ("orders", "Order lines: lines sharing an order id make one order; refunds are negative lines."),
    ("leads", "Leads: a contact per lead, with the visit that brought them and, when mapped, a deal."),
    ("spend", "What campaigns cost per day; campaigns are found or created by name."),
    ("touches", "Outbound exposures (ad clicks, email opens, visits) with UTM data."),
):
    import_app.command(_kind)(_command(_kind, _summary_text))
