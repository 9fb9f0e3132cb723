"""Time: stored in UTC, read in the workspace's time zone, counted in its business hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.errors import Invalid


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """An IANA time zone, or Invalid naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(field, f"'{name}' is not an IANA time zone such as Africa/Johannesburg") from None


def month_bounds(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start and end of the local calendar month that contains `moment`."""
    local = moment.astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def months_after(first_of_month: date, months: int) -> date:
    """The first day of the month that comes `months` months after the one `first_of_month` begins."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_twelve_months(today: date) -> tuple[date, date]:
    """[from_on, to_on) of the twelve months up to and including `today`."""
    to_on = today + timedelta(days=1)
    try:
        return to_on.replace(year=to_on.year - 1), to_on
    except ValueError:  # 29 February: a year before is the first of March
        return date(to_on.year - 1, 3, 1), to_on


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours per weekday (Monday=0) in a time zone, with closed holidays."""

    tz: ZoneInfo
    hours: dict[int, tuple[time, time]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_config(cls, tz_name: str, config: dict[str, list[str]], holidays: list[str] = ()) -> "BusinessHours":
        """Build from {"0": ["08:00", "17:00"], ...} as stored on the workspace."""
        hours: dict[int, tuple[time, time]] = {}
        for day, span in config.items():
            if not str(day).isdigit() or not 0 <= int(day) <= 6:
                raise Invalid("business_hours", f"weekday {day} is not 0 (Monday) to 6 (Sunday)")
            try:
                opens, closes = span
                start, end = time.fromisoformat(opens), time.fromisoformat(closes)
            except (TypeError, ValueError):
                raise Invalid(
                    "business_hours", f"weekday {day} has {span!r}, not two times such as ['08:00', '17:00']"
                ) from None
            if end <= start:
                raise Invalid("business_hours", f"weekday {day} closes at {closes}, not after it opens at {opens}")
            hours[int(day)] = (start, end)
        closed: set[date] = set()
        for text in holidays:
            try:
                closed.add(date.fromisoformat(text))
            except (TypeError, ValueError):
                raise Invalid("holidays", f"{text!r} is not a date such as 2026-12-25") from None
        return cls(zone(tz_name), hours, frozenset(closed))

    def _open_spans(self, day: date) -> tuple[datetime, datetime] | None:
        if day in self.holidays or day.weekday() not in self.hours:
            return None
        opens, closes = self.hours[day.weekday()]
        # In UTC, because subtracting two datetimes that share a tzinfo ignores a DST change between them.
        return (
            datetime.combine(day, opens, self.tz).astimezone(timezone.utc),
            datetime.combine(day, closes, self.tz).astimezone(timezone.utc),
        )

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Business seconds from start to end (0 when end is not after start)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("seconds_between needs timezone-aware datetimes")
        if end <= start:
            return 0
        start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
        total = 0
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            span = self._open_spans(day)
            if span:
                lo, hi = max(span[0], start), min(span[1], end)
                if hi > lo:
                    total += int((hi - lo).total_seconds())
            day += timedelta(days=1)
        return total

