"""Alignment scorecard: every figure with its numerator and denominator on a hand-made warehouse, on every kind."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from accord.reviews.alignment import AlignmentQuery, run
from warehouses import WAREHOUSE_PARAMS, warehouse_with

TS = pa.timestamp("us", tz="UTC")
SAST = ZoneInfo("Africa/Johannesburg")
PERIOD = {"from_on": date(2025, 3, 1), "to_on": date(2025, 4, 1)}
HOURS = {str(d): ["08:00", "17:00"] for d in range(5)} | {"5": ["09:00", "13:00"]}
HOLIDAYS = ["2025-03-21"]
SCHEMAS = {
    "workspace": {"id": pa.int64(), "base_currency": pa.string(), "timezone": pa.string(),
                  "business_hours": pa.string(), "holidays": pa.string()},
    "contact": {"id": pa.int64(), "lifecycle_stage": pa.string(), "created_at": TS, "created_day": pa.date32(),
                "merged_into_id": pa.int64()},
    "engagement": {"id": pa.int64(), "contact_id": pa.int64(), "is_spam": pa.bool_(), "occurred_at": TS,
                   "occurred_day": pa.date32(), "answered_at": TS, "answered_day": pa.date32()},
    "conversation": {"id": pa.int64(), "contact_id": pa.int64()},
    "message": {"id": pa.int64(), "conversation_id": pa.int64(), "direction": pa.string(),
                "author_user_id": pa.int64(), "sent_at": TS, "sent_day": pa.date32()},
    "query": {"id": pa.int64(), "contact_id": pa.int64(), "opened_at": TS, "opened_day": pa.date32(),
              "first_response_at": TS, "first_response_day": pa.date32()},
    "insight_query": {"insight_id": pa.int64(), "query_id": pa.int64()},
    "deal": {"id": pa.int64(), "contact_id": pa.int64(), "stage": pa.string(), "created_at": TS,
             "created_day": pa.date32()},
    "deal_stage_change": {"id": pa.int64(), "deal_id": pa.int64(), "from_stage": pa.string(),
                          "to_stage": pa.string(), "changed_at": TS, "changed_day": pa.date32()},
    "consent": {"id": pa.int64(), "contact_id": pa.int64(), "purpose": pa.string(), "granted_at": TS,
                "granted_day": pa.date32()},
    "task": {"id": pa.int64(), "contact_id": pa.int64(), "due_at": TS, "due_day": pa.date32(), "done_at": TS,
             "done_day": pa.date32()},
}


@pytest.fixture(params=WAREHOUSE_PARAMS)
def kind(request) -> str:
    return request.param


def utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def day(moment: datetime | None) -> date | None:
    """The workspace's local day of a UTC instant, as the warehouse's _day columns hold it."""
    return None if moment is None else moment.astimezone(SAST).date()


def stamped(**values) -> dict:
    """A row whose `*_at` texts become UTC instants, each with its local `*_day`."""
    row = {}
    for name, value in values.items():
        if name.endswith("_at"):
            row[name] = utc(value)
            row[name.removesuffix("_at") + "_day"] = day(row[name])
        else:
            row[name] = value
    return row


# contact, occurred (UTC), answered (UTC), spam; SAST is UTC+2, open Mon-Fri 08-17 and Sat 09-13.
ENGAGEMENTS = [
    (1, "2025-03-03T07:00", "2025-03-03T08:30", False),  # Mon 09:00 → 10:30: 1.5 h
    (2, "2025-03-07T14:00", "2025-03-10T07:00", False),  # Fri 16:00 → Mon 09:00: 1 + 4 (Sat) + 1 = 6 h
    (3, "2025-03-20T13:00", "2025-03-24T06:30", False),  # Thu 15:00 → Mon 08:30, Fri a holiday: 2 + 4 + 0.5 = 6.5 h
    (4, "2025-03-15T12:00", "2025-03-18T08:00", False),  # Sat 14:00 (closed) → Tue 10:00: 9 + 2 = 11 h
    (5, "2025-02-28T23:30", None, False),                # 1 March 01:30 in Johannesburg: in the period, waiting
    (6, "2025-03-12T10:00", None, True),                 # spam
    (1, "2025-03-25T10:00", None, False),                # a second one from contact 1, waiting
    (7, "2025-03-26T10:00", None, False),                # waiting, but a person wrote to contact 7 afterwards
    (8, "2025-03-26T10:00", None, False),                # only an automated message afterwards
    (9, "2025-02-10T10:00", "2025-02-10T11:00", False),  # before the period
]
MESSAGES = [  # contact, direction, author, sent (UTC)
    (7, "outbound", 11, "2025-03-27T09:00"),
    (8, "outbound", None, "2025-03-27T09:00"),
    (8, "outbound", 11, "2025-03-20T09:00"),  # before contact 8 engaged
    (5, "inbound", None, "2025-03-02T09:00"),
]
QUERIES = [  # id, opened, first response
    (1, "2025-03-04T08:00", "2025-03-04T09:00"),  # Tue 10:00 → 11:00: 1 h
    (2, "2025-03-28T14:30", "2025-03-31T06:00"),  # Fri 16:30 → Mon 08:00: 0.5 + 4 = 4.5 h
    (3, "2025-03-10T08:00", None),
    (4, "2025-04-02T08:00", "2025-04-02T09:00"),  # after the period
]
LINKS = [(1, 1), (2, 1), (3, 4)]  # insight, query
DEALS = [  # id, contact, stage now, created
    (1, 1, "nurture", "2025-02-01T09:00"), (2, 2, "nurture", "2025-02-10T09:00"),
    (3, 3, "nurture", "2025-03-01T09:00"), (4, 4, "nurture", "2025-01-10T09:00"),
    (5, 1, "nurture", "2025-03-02T09:00"),
    (11, 11, "lost", "2025-03-03T09:00"), (12, 12, "proposal", "2025-03-03T09:00"),
    (14, 14, "new", "2025-03-04T09:00"), (16, 16, "won", "2025-03-05T09:00"),
    (20, 20, "nurture", "2025-03-06T09:00"),
]
CHANGES = [  # deal, from, to, changed
    (1, "new", "nurture", "2025-03-05T09:00"), (2, "qualified", "nurture", "2025-03-12T09:00"),
    (3, "new", "nurture", "2025-03-20T09:00"), (4, "new", "nurture", "2025-02-20T09:00"),
    (5, "new", "nurture", "2025-03-06T09:00"),
    (11, "new", "qualified", "2025-03-04T09:00"), (11, "qualified", "lost", "2025-03-10T09:00"),
    (20, "new", "nurture", "2025-03-07T09:00"),
]
CONSENTS = [(1, "inspiration", "2025-03-05T09:00"), (2, "information", "2025-01-15T09:00"),
            (4, "education", "2025-02-20T09:00")]
TASKS = [  # due, done
    ("2025-03-05T10:00", "2025-03-05T09:00"), ("2025-03-06T10:00", "2025-03-06T10:00"),
    ("2025-03-07T10:00", "2025-03-08T10:00"), ("2025-03-10T10:00", None),
    ("2025-04-03T10:00", "2025-04-03T09:00"),
    ("2025-03-31T22:30", "2025-03-31T20:00"),  # due 1 April 00:30 in Johannesburg: after the period
]
CONTACTS = [(c, "engager", "2025-01-01T09:00", None) for c in range(1, 10)] + [
    (11, "lead", "2025-03-02T09:00", None), (12, "opportunity", "2025-03-02T09:00", None),
    (13, "lead", "2025-03-02T09:00", None), (14, "lead", "2025-03-02T09:00", None),
    (15, "customer", "2025-03-02T09:00", None),  # bought without a deal: not a lead
    (16, "customer", "2025-03-02T09:00", None), (17, "engager", "2025-03-02T09:00", None),
    (18, "lead", "2025-02-27T09:00", None), (19, "lead", "2025-03-02T09:00", 11),
    (20, "lead", "2025-03-02T09:00", None),
]


def tables(workspace_hours: dict | None = None) -> dict[str, pa.Table]:
    rows = {
        "workspace": [{"id": 1, "base_currency": "ZAR", "timezone": "Africa/Johannesburg",
                       "business_hours": json.dumps(workspace_hours or HOURS), "holidays": json.dumps(HOLIDAYS)}],
        "contact": [stamped(id=c, lifecycle_stage=s, created_at=t, merged_into_id=m) for c, s, t, m in CONTACTS],
        "engagement": [stamped(id=i, contact_id=c, is_spam=s, occurred_at=o, answered_at=a)
                       for i, (c, o, a, s) in enumerate(ENGAGEMENTS, 1)],
        "conversation": [{"id": i, "contact_id": c} for i, (c, _, _, _) in enumerate(MESSAGES, 1)],
        "message": [stamped(id=i, conversation_id=i, direction=d, author_user_id=a, sent_at=t)
                    for i, (_, d, a, t) in enumerate(MESSAGES, 1)],
        "query": [stamped(id=i, contact_id=1, opened_at=o, first_response_at=r) for i, o, r in QUERIES],
        "insight_query": [{"insight_id": i, "query_id": q} for i, q in LINKS],
        "deal": [stamped(id=i, contact_id=c, stage=s, created_at=t) for i, c, s, t in DEALS],
        "deal_stage_change": [stamped(id=i, deal_id=d, from_stage=f, to_stage=t, changed_at=a)
                              for i, (d, f, t, a) in enumerate(CHANGES, 1)],
        "consent": [stamped(id=i, contact_id=c, purpose=p, granted_at=g) for i, (c, p, g) in enumerate(CONSENTS, 1)],
        "task": [stamped(id=i, contact_id=1, due_at=d, done_at=f) for i, (d, f) in enumerate(TASKS, 1)],
    }
    return {name: pa.Table.from_pylist(rows[name], schema=pa.schema(schema)) for name, schema in SCHEMAS.items()}


def business_seconds(start: datetime, end: datetime) -> int:
    """Open seconds between two instants, minute by minute in Johannesburg time (independent of the review)."""
    seconds, moment = 0, start
    while moment < end:
        local = moment.astimezone(SAST)
        span = HOURS.get(str(local.weekday()))
        if span and local.date().isoformat() not in HOLIDAYS and span[0] <= f"{local:%H:%M}" < span[1]:
            seconds += 60
        moment += timedelta(minutes=1)
    return seconds


def in_period(moment: datetime) -> bool:
    return PERIOD["from_on"] <= day(moment) < PERIOD["to_on"]


def figures(result) -> list[tuple]:
    return [(m.key, m.numerator, m.denominator, m.value) for m in result.measures]


def test_every_figure_with_its_numerator_and_denominator(kind, tmp_path):
    result = run(warehouse_with(kind, tables(), tmp_path), AlignmentQuery(**PERIOD))

    engagement_times = sorted(business_seconds(utc(o), utc(a)) for _, o, a, spam in ENGAGEMENTS
                              if a and not spam and in_period(utc(o)))
    query_times = sorted(business_seconds(utc(o), utc(r)) for _, o, r in QUERIES if r and in_period(utc(o)))
    assert engagement_times == [5400, 21600, 23400, 39600] and query_times == [3600, 16200]
    assert figures(result) == [
        ("engagers_contacted", 5, 7, round(5 / 7, 4)),            # 1, 2, 3, 4 answered; 7 written to; not 5, 8
        ("engagement_response_median", None, 4, 6.0),             # nearest rank 2 of 4: 21600 s
        ("engagement_response_p90", None, 4, 11.0),               # nearest rank 4 of 4: 39600 s
        ("engagement_within_sla", 3, 8, 0.375),                   # 8 engagements not spam, 3 answered within 8 h
        ("query_response_median", None, 2, 1.0),
        ("query_response_p90", None, 2, 4.5),
        ("query_within_sla", 2, 3, 0.6667),
        ("permission_asked", 1, 4, 0.25),                         # 1, 2, 3, 20 nurtured; only 1 gave consent since
        ("follow_ups_on_time", 2, 4, 0.5),
        ("leads_accepted", 3, 6, 0.5),                            # 11, 12, 16 of 11, 12, 13, 14, 16, 20
        ("queries_to_insights", 1, 3, 0.3333),
    ]
    assert [m.unit for m in result.measures] == ["share"] + ["business hours"] * 2 + ["share"] + [
        "business hours"] * 2 + ["share"] * 5
    assert result.rows()[0] == {"key": "engagers_contacted", "measure": "Engagers contacted personally",
                                "value": 0.7143, "unit": "share", "numerator": 5, "denominator": 7, "note": ""}
    assert result.measures[3].note == "one still waiting counts as not answered in time"
    assert len(result.charts()) == 1


def test_a_tighter_target_and_a_changed_week(tmp_path):
    tight = run(warehouse_with("duckdb", tables(), tmp_path), AlignmentQuery(**PERIOD, sla_hours=1.5))
    assert [figure for figure in figures(tight) if figure[0].endswith("within_sla")] == [
        ("engagement_within_sla", 1, 8, 0.125), ("query_within_sla", 1, 3, 0.3333)]

    # Closed on Saturdays: the Saturday hours no longer count.
    weekdays = {str(d): ["08:00", "17:00"] for d in range(5)}
    result = run(warehouse_with("duckdb", tables(weekdays), tmp_path), AlignmentQuery(**PERIOD))
    assert [f for f in figures(result) if "response" in f[0]] == [
        ("engagement_response_median", None, 4, 2.0), ("engagement_response_p90", None, 4, 11.0),
        ("query_response_median", None, 2, 0.5), ("query_response_p90", None, 2, 1.0)]


def test_zero_denominators_leave_the_value_empty_with_a_note(kind, tmp_path):
    result = run(warehouse_with(kind, tables(), tmp_path), AlignmentQuery(from_on=date(2030, 1, 1)))

    assert figures(result) == [
        ("engagers_contacted", 0, 0, None),
        ("engagement_response_median", None, 0, None), ("engagement_response_p90", None, 0, None),
        ("engagement_within_sla", 0, 0, None),
        ("query_response_median", None, 0, None), ("query_response_p90", None, 0, None),
        ("query_within_sla", 0, 0, None),
        ("permission_asked", 0, 0, None), ("follow_ups_on_time", 0, 0, None), ("leads_accepted", 0, 0, None),
        ("queries_to_insights", 0, 0, None),
    ]
    assert result.notes[4:] == [
        "Engagers contacted personally: no engagers in the period.",
        "Engagements: median first response: none of the period's engagements was answered.",
        "Engagements: p90 first response: none of the period's engagements was answered.",
        "Engagements: answered within 8 business hours: no engagements in the period.",
        "Queries: median first response: none of the period's queries was answered.",
        "Queries: p90 first response: none of the period's queries was answered.",
        "Queries: answered within 8 business hours: no queries in the period.",
        "Not ready to buy: permission to stay in touch given: no deals moved to nurture in the period.",
        "Follow-ups done by their due time: no follow-ups due in the period.",
        "Marketing leads accepted by sales: no new leads in the period.",
        "Queries that support an insight: no queries in the period.",
    ]
    assert result.charts() == []
