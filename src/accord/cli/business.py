"""`accord business`: print the business review (any version), how it changed between two, and the competitors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.orm import Session

from accord.business.queries import VersionDiff, VersionView, diff, latest_version, list_competitors, version_by_number
from accord.business.service import KIND_TITLES
from accord.errors import NotFound
from accord.kernel.store import Store
from accord.kernel.workspace import workspace_zone

business_app = typer.Typer(help="The business review: vision, needs, strengths… and competitors.",
                           no_args_is_help=True)
T = TypeVar("T")


def _read(ctx: typer.Context, reading: Callable[[Session], T]) -> T:
    from accord.cli.app import settings_from

    store = Store.open(settings_from(ctx))
    try:
        with store.transaction() as session:
            return reading(session)
    finally:
        store.close()


def _show_lines(view: VersionView, tz: ZoneInfo) -> list[str]:
    saved = view.created_at.astimezone(tz).strftime("%d %b %Y %H:%M")
    by = f" by {view.created_by}" if view.created_by else ""
    note = f": {view.note}" if view.note else ""
    lines = [f"Business review, version {view.number} (saved {saved}{by}{note})", "", "Vision"]
    lines += [f"  {line}" for line in view.vision.splitlines()] or ["  (none written)"]
    for kind, texts in view.entries.items():
        lines += ["", KIND_TITLES[kind]]
        lines += [f"  {position}. {text}" for position, text in enumerate(texts, start=1)] or ["  (none)"]
    return lines


@business_app.command("show")
def show(
    ctx: typer.Context,
    version: Annotated[int | None, typer.Option("--version", min=1, help="A saved version (default the latest).")]
    = None,
) -> None:
    """Print a version of the business review: the vision, then each kind of entry in order."""
    def reading(session: Session) -> tuple[VersionView, ZoneInfo]:
        found = version_by_number(session, version) if version is not None else latest_version(session)
        if found is None:
            raise NotFound("no business review saved yet; write the first on the Business page")
        return found, workspace_zone(session)

    found, tz = _read(ctx, reading)
    for line in _show_lines(found, tz):
        typer.echo(line)


def _diff_lines(found: VersionDiff) -> list[str]:
    if found.unchanged:
        return [f"Nothing changed between version {found.from_number} and version {found.to_number}."]
    lines = [f"Business review: version {found.from_number} → version {found.to_number}",
             "(+ added, - removed, ~ reworded: before → after)"]
    if found.vision.changed:
        lines += ["", "Vision", f"  - {found.vision.before or '(none)'}", f"  + {found.vision.after or '(none)'}"]
    for kind in found.kinds:
        if kind.unchanged:
            continue
        lines += ["", KIND_TITLES[kind.kind]]
        lines += [f"  + {text}" for text in kind.added]
        lines += [f"  - {text}" for text in kind.removed]
        lines += [f"  ~ {change.before} → {change.after}" for change in kind.changed]
        if kind.reordered:
            lines.append("  (the order changed)")
    return lines


@business_app.command("diff")
def compare(
    ctx: typer.Context,
    from_number: Annotated[int, typer.Argument(metavar="A", help="The version to start from.", show_default=False)],
    to_number: Annotated[int, typer.Argument(metavar="B", help="The version to compare it with.", show_default=False)],
) -> None:
    """Print what changed from version A to version B: added, removed and reworded entries, and the vision."""
    for line in _diff_lines(_read(ctx, lambda session: diff(session, from_number, to_number))):
        typer.echo(line)


@business_app.command("competitors")
def competitors(ctx: typer.Context) -> None:
    """Print the competitors, local then international, each with its newest observations."""
    found = _read(ctx, list_competitors)
    if not found:
        typer.echo("No competitors watched yet.")
        return
    for scope in ("local", "international"):
        group = [c for c in found if c.scope == scope]
        if not group:
            continue
        typer.echo(scope.capitalize())
        for competitor in group:
            website = f" ({competitor.website})" if competitor.website else ""
            typer.echo(f"  {competitor.name}{website}")
            for seen in competitor.observations:
                typer.echo(f"    {seen.observed_on}  {seen.text}")
            older = competitor.observation_count - len(competitor.observations)
            if older:
                typer.echo(f"    … and {older} older")
