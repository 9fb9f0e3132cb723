"""Business time: SLAs count only opening hours in the workspace's zone; periods are local calendar months."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from accord.errors import Invalid
from accord.kernel.clock import BusinessHours, month_bounds, utcnow, zone
from accord.kernel.models import Workspace
from accord.kernel.workspace import DEFAULT_HOURS, business_hours

LONDON = ZoneInfo("Europe/London")
JOBURG = ZoneInfo("Africa/Johannesburg")
WEEKDAYS_8_TO_5 = {str(day): ["08:00", "17:00"] for day in range(5)}
HOUR = 3600


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def office() -> BusinessHours:
    """Monday to Friday 08:00–17:00 in London, closed on Christmas Day 2026 (a Friday)."""
    return BusinessHours.from_config("Europe/London", WEEKDAYS_8_TO_5, ["2026-12-25"])


def test_from_config_reads_the_stored_shape():
    hours = BusinessHours.from_config("Africa/Johannesburg", {"0": ["08:00", "17:00"], "5": ["09:00", "13:00"]},
                                      ["2026-12-16"])

    assert hours == BusinessHours(
        JOBURG,
        {0: (time(8), time(17)), 5: (time(9), time(13))},
        frozenset({datetime(2026, 12, 16).date()}),
    )


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        # Within one day.
        (london(2026, 3, 23, 9, 15, 30), london(2026, 3, 23, 9, 45), 1770),
        # Before opening to after closing counts the whole day.
        (london(2026, 3, 23, 6, 0), london(2026, 3, 23, 20, 0), 9 * HOUR),
        # Overnight: Monday 16:00 to Tuesday 09:00 is one hour each side of the night.
        (london(2026, 3, 23, 16, 0), london(2026, 3, 24, 9, 0), 2 * HOUR),
        # Over a weekend: Friday 16:00 to Monday 09:00.
        (london(2026, 3, 20, 16, 0), london(2026, 3, 23, 9, 0), 2 * HOUR),
        # Entirely within a weekend.
        (london(2026, 3, 21, 9, 0), london(2026, 3, 22, 17, 0), 0),
        # A holiday: Thursday 24 Dec 12:00 to Monday 28 Dec 12:00 skips Christmas Day and the weekend.
        (london(2026, 12, 24, 12, 0), london(2026, 12, 28, 12, 0), 5 * HOUR + 4 * HOUR),
        # A whole working week.
        (london(2026, 3, 23, 0, 0), london(2026, 3, 30, 0, 0), 5 * 9 * HOUR),
        # Times given in UTC are read in the office's zone: Friday 12:00 GMT to Monday 12:00 UTC = 13:00 BST.
        (datetime(2026, 3, 27, 12, tzinfo=timezone.utc), datetime(2026, 3, 30, 12, tzinfo=timezone.utc), 10 * HOUR),
        # End before start, or equal, is no time at all.
        (london(2026, 3, 24, 9, 0), london(2026, 3, 23, 16, 0), 0),
        (london(2026, 3, 24, 9, 0), london(2026, 3, 24, 9, 0), 0),
    ],
)
def test_seconds_between_counts_only_opening_hours(office, start, end, seconds):
    assert office.seconds_between(start, end) == seconds


def test_a_week_across_the_clock_change_still_has_45_business_hours(office):
    # Clocks go forward on Sunday 29 March 2026; Monday 08:00 BST is 07:00 UTC.
    start, end = datetime(2026, 3, 27, 0, tzinfo=timezone.utc), datetime(2026, 4, 3, 0, tzinfo=timezone.utc)

    assert office.seconds_between(start, end) == 5 * 9 * HOUR
    assert office.seconds_between(start, datetime(2026, 3, 30, 7, 30, tzinfo=timezone.utc)) == 9 * HOUR + HOUR // 2


@pytest.mark.parametrize(
    ("sunday", "real_hours"),
    [
        # 00:00–05:00 local holds four real hours when the clocks go forward and six when they go back.
        ("2026-03-29", 4),
        ("2026-10-25", 6),
        ("2026-06-28", 5),
    ],
)
def test_opening_hours_that_span_a_clock_change_count_real_seconds(sunday, real_hours):
    night_shift = BusinessHours.from_config("Europe/London", {"6": ["00:00", "05:00"]})
    day = datetime.fromisoformat(sunday).replace(tzinfo=timezone.utc)

    start, end = day - timedelta(days=1), day + timedelta(days=1)

    assert night_shift.seconds_between(start, end) == real_hours * HOUR


def test_a_span_inside_the_clock_change_given_in_local_time_counts_real_seconds():
    night_shift = BusinessHours.from_config("Europe/London", {"6": ["00:00", "05:00"]})

    # 00:30 GMT to 04:30 BST on 29 March 2026 is three real hours.
    assert night_shift.seconds_between(london(2026, 3, 29, 0, 30), london(2026, 3, 29, 4, 30)) == 3 * HOUR


def test_seconds_between_refuses_naive_times(office):
    with pytest.raises(ValueError) as refused:
        office.seconds_between(datetime(2026, 3, 23, 9), london(2026, 3, 23, 10))

    assert str(refused.value) == "seconds_between needs timezone-aware datetimes"


def test_the_workspace_default_hours_include_saturday_morning():
    workspace = Workspace(timezone="Africa/Johannesburg", business_hours=DEFAULT_HOURS, holidays=["2026-12-16"])
    hours = business_hours(workspace)

    # Friday 16:00 to Monday 09:00 SAST: 1 h Friday, 4 h Saturday, 1 h Monday.
    friday, monday = datetime(2026, 3, 20, 16, tzinfo=JOBURG), datetime(2026, 3, 23, 9, tzinfo=JOBURG)
    assert hours.seconds_between(friday, monday) == 6 * HOUR
    # Wednesday 16 December (Day of Reconciliation) is closed.
    assert hours.seconds_between(datetime(2026, 12, 16, tzinfo=JOBURG), datetime(2026, 12, 17, tzinfo=JOBURG)) == 0


@pytest.mark.parametrize(
    ("moment", "tz", "bounds"),
    [
        (
            datetime(2026, 12, 15, 12, tzinfo=timezone.utc),
            JOBURG,
            ("2026-11-30T22:00:00+00:00", "2026-12-31T22:00:00+00:00"),
        ),
        # 23:00 UTC on 30 November is already 1 December in Johannesburg.
        (
            datetime(2026, 11, 30, 23, tzinfo=timezone.utc),
            JOBURG,
            ("2026-11-30T22:00:00+00:00", "2026-12-31T22:00:00+00:00"),
        ),
        (
            datetime(2026, 11, 30, 21, 59, tzinfo=timezone.utc),
            JOBURG,
            ("2026-10-31T22:00:00+00:00", "2026-11-30T22:00:00+00:00"),
        ),
        # March in London starts in GMT and ends in BST.
        (
            datetime(2026, 3, 15, tzinfo=timezone.utc),
            LONDON,
            ("2026-03-01T00:00:00+00:00", "2026-03-31T23:00:00+00:00"),
        ),
    ],
)
def test_month_bounds_are_the_local_month_in_utc(moment, tz, bounds):
    start, end = month_bounds(moment, tz)

    assert (start.isoformat(), end.isoformat()) == bounds
    assert start.tzinfo is end.tzinfo is timezone.utc


def test_utcnow_is_aware_utc():
    now = utcnow()

    assert now.tzinfo is timezone.utc
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("name", "field", "message"),
    [
        ("Mars/Olympus", "timezone", "timezone: 'Mars/Olympus' is not an IANA time zone such as Africa/Johannesburg"),
        ("", "timezone", "timezone: '' is not an IANA time zone such as Africa/Johannesburg"),
        ("../../etc/passwd", "tz", "tz: '../../etc/passwd' is not an IANA time zone such as Africa/Johannesburg"),
    ],
)
def test_an_unknown_zone_is_invalid(name, field, message):
    with pytest.raises(Invalid) as refused:
        zone(name, field=field)

    assert (refused.value.field, refused.value.message) == (field, message)


def test_zone_accepts_iana_names():
    assert zone("Africa/Johannesburg") is JOBURG


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"0": ["17:00", "08:00"]}, "business_hours: weekday 0 closes at 08:00, not after it opens at 17:00"),
        ({"2": ["09:00", "09:00"]}, "business_hours: weekday 2 closes at 09:00, not after it opens at 09:00"),
        ({"7": ["08:00", "17:00"]}, "business_hours: weekday 7 is not 0 (Monday) to 6 (Sunday)"),
        ({"Mon": ["08:00", "17:00"]}, "business_hours: weekday Mon is not 0 (Monday) to 6 (Sunday)"),
        (
            {"0": ["8am", "5pm"]},
            "business_hours: weekday 0 has ['8am', '5pm'], not two times such as ['08:00', '17:00']",
        ),
        ({"0": ["08:00"]}, "business_hours: weekday 0 has ['08:00'], not two times such as ['08:00', '17:00']"),
    ],
)
def test_invalid_hours_are_refused(config, message):
    with pytest.raises(Invalid) as refused:
        BusinessHours.from_config("Europe/London", config)

    assert (refused.value.field, refused.value.message) == ("business_hours", message)


def test_invalid_zone_in_business_hours_is_refused():
    with pytest.raises(Invalid) as refused:
        BusinessHours.from_config("Europe/Atlantis", WEEKDAYS_8_TO_5)

    assert refused.value.message == "timezone: 'Europe/Atlantis' is not an IANA time zone such as Africa/Johannesburg"


def test_a_holiday_that_is_not_a_date_names_the_field():
    from accord.errors import Invalid
    from accord.kernel.clock import BusinessHours

    with pytest.raises(Invalid) as caught:
        BusinessHours.from_config("Africa/Johannesburg", {"0": ["08:00", "17:00"]}, ["2026-13-01"])
    assert caught.value.message == "holidays: '2026-13-01' is not a date such as 2026-12-25"
