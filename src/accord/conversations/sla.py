"""SLA timers in business time: when a query falls due, how many business minutes it took, and whether it was late."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from accord.conversations.models import Query, SlaTarget
from accord.errors import Invalid
from accord.kernel.clock import BusinessHours


def due_at(hours: BusinessHours, start: datetime, minutes: int) -> datetime:
    """The instant `minutes` business minutes after `start`, in UTC.

    Nights, closed weekdays and holidays are skipped in the workspace's zone, so a clock change moves the
    due instant with the opening hours. Time that runs out exactly at closing falls due at the next opening,
    so nothing is ever "overdue by 0 minutes" overnight.
    """
    if start.tzinfo is None:
        raise ValueError("due_at needs a timezone-aware start")
    if not hours.hours:
        raise Invalid("business_hours", "the workspace is never open, so no target can fall due; set opening hours")
    remaining = minutes * 60
    cursor = start.astimezone(timezone.utc)
    day = cursor.astimezone(hours.tz).date()
    while True:
        if day.weekday() in hours.hours:
            closes = datetime.combine(day, hours.hours[day.weekday()][1], hours.tz).astimezone(timezone.utc)
            # seconds_between already leaves out holidays and the night before; one day is one open span.
            available = hours.seconds_between(cursor, closes)
            if available > remaining:
                return closes - timedelta(seconds=available - remaining)
            remaining -= available
            cursor = max(cursor, closes)
        day += timedelta(days=1)


def business_minutes(hours: BusinessHours, start: datetime, end: datetime) -> int:
    """Whole business minutes from start to end (0 when end is not after start)."""
    return hours.seconds_between(start, end) // 60


def minutes_left(hours: BusinessHours, due: datetime, now: datetime) -> int:
    """Business minutes until `due`; negative once past it (a part-minute late counts as a minute)."""
    if now <= due:
        return business_minutes(hours, now, due)
    return -math.ceil(hours.seconds_between(due, now) / 60)


def nearest_rank(ordered: list[int], share: float) -> int:
    """Nearest-rank percentile of sorted values: the smallest value that at least `share` of them do not exceed."""
    return ordered[math.ceil(share * len(ordered)) - 1]


@dataclass(frozen=True)
class Timers:
    """One query's clocks against its channel's targets, as of a moment."""

    response_due: datetime | None
    resolution_due: datetime | None
    response_minutes: int  # to the first response, or so far while unanswered
    resolution_minutes: int  # to resolution, or so far while open
    response_late: bool
    resolution_late: bool


def timers(hours: BusinessHours, query: Query, target: SlaTarget | None, now: datetime) -> Timers:
    """The query's due-by instants, business minutes used, and whether it was (or already is) late."""
    responded, resolved = query.first_response_at or now, query.resolved_at or now
    response_due = due_at(hours, query.opened_at, target.first_response_minutes) if target else None
    resolution_due = (due_at(hours, query.opened_at, target.resolution_minutes)
                      if target and target.resolution_minutes else None)
    return Timers(
        response_due=response_due,
        resolution_due=resolution_due,
        response_minutes=business_minutes(hours, query.opened_at, responded),
        resolution_minutes=business_minutes(hours, query.opened_at, resolved),
        response_late=response_due is not None and responded > response_due,
        resolution_late=resolution_due is not None and resolved > resolution_due,
    )
