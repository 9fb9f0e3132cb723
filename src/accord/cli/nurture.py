"""`accord tasks`: a user's follow-ups, overdue, due today and later this week, in the workspace's calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from accord.accounts import service as accounts
from accord.errors import Invalid, NotFound
from accord.kernel.clock import utcnow
from accord.kernel.store import Store
from accord.nurture.queries import BUCKETS, DueList, due_list

HEADINGS = {"overdue": "Overdue", "today": "Due today", "week": "Later this week"}


def _moment(text: str | None) -> datetime:
    if text is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("--at", f"'{text}' is not a date and time such as 2026-06-10T12:00+02:00") from None
    if moment.tzinfo is None:
        raise Invalid("--at", f"'{text}' has no time zone; add one, e.g. {text}+02:00")
    return moment


def _lines(listing: DueList, due: str | None) -> list[str]:
    window = listing.window
    lines = [f"Follow-ups for {listing.user_name} on {window.day:%A %d %B %Y} ({window.tz.key})"]
    for bucket in (due,) if due else BUCKETS:
        tasks = listing.tasks(bucket)
        lines.append(f"{HEADINGS[bucket]}: {listing.counts[bucket]}")
        for task in tasks:
            when = task.due_at.astimezone(window.tz)
            lines.append(f"  {when:%a %d %b %H:%M}  {task.contact_name}: {task.title}  (task {task.id})")
        if listing.counts[bucket] > len(tasks):
            lines.append(f"  … and {listing.counts[bucket] - len(tasks)} more")
    if due is None:
        if listing.later:
            lines.append(f"After this week: {listing.later}")
        on_time = listing.on_time
        share = f" ({on_time.share:.0%})" if on_time.due else ""
        lines.append(f"Done on time, last 30 days: {on_time.done_on_time} of {on_time.due}{share}")
    return lines


def tasks_command(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Their email (default: the first owner).")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Only overdue, today or week (later this week).")] = None,
    at: Annotated[str | None, typer.Option("--at", help="As of this moment (ISO, with zone); default now.")] = None,
) -> None:
    """Print a user's follow-ups: overdue, due today and later this week."""
    from accord.cli.app import settings_from

    if due is not None and due not in BUCKETS:
        raise Invalid("--due", f"'{due}' is not one of {', '.join(BUCKETS)}")
    moment = _moment(at)
    store = Store.open(settings_from(ctx))
    try:
        with store.transaction() as session:
            person = accounts.user_by_email(session, user) if user else accounts.first_owner(session)
            if person is None:
                raise NotFound("there is no owner yet: run `accord init` first")
            listing = due_list(session, person.id, now=moment)
    finally:
        store.close()
    for line in _lines(listing, due):
        typer.echo(line)
