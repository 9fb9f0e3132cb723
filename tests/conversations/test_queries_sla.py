"""Queries against SLA targets in business time: due-by instants around weekends, holidays and clock changes,
business minutes, the breach list, response figures per channel and person, and the writes that feed them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import func, select

from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.conversations.models import Query
from accord.conversations.queries import (
    Breach, OpenQuery, ResponseFigures, breaches, open_queries, response_figures, sla_targets,
)
from accord.conversations.queries_service import assign_query, open_query, resolve_query, set_sla_target
from accord.conversations.service import Outgoing, send_message
from accord.conversations.sla import Timers, timers
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from accord.kernel.workspace import business_hours, ensure_workspace
from factories import contact

ACTOR = Actor("test")
LONDON = ZoneInfo("Europe/London")
WEEKDAYS_8_TO_5 = {str(day): ["08:00", "17:00"] for day in range(5)}


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def shop(session):
    """A London workspace open Monday to Friday 08:00–17:00, closed on the Christmas bank holidays of 2026."""
    workspace = ensure_workspace(session, name="Test Kitchen", timezone="Europe/London", default_region="GB")
    workspace.business_hours = WEEKDAYS_8_TO_5
    workspace.holidays = ["2026-12-25", "2026-12-28"]
    session.flush()
    return workspace


def asked(session, who, channel, opened, *, kind="question", text="Do you deliver?", assigned=None) -> Query:
    return open_query(session, who.id, kind, channel, text, actor=ACTOR, at=opened, assigned_user_id=assigned)


def answered(session, query: Query, at: datetime) -> None:
    # send_message stamps the first response with the real clock; tests need it at a chosen instant.
    query.first_response_at = at
    session.flush()


def only_open(session, now) -> OpenQuery:
    [item] = open_queries(session, at=now)
    return item


def test_a_friday_afternoon_query_falls_due_on_monday_morning(session, shop):
    set_sla_target(session, "email", 60, None, actor=ACTOR)
    naledi = contact(session, name="Naledi")
    query = asked(session, naledi, "email", london(2026, 1, 16, 16, 30))

    expected = dict(query_id=query.id, contact_id=naledi.id, contact_name="Naledi", kind="question", channel="email",
                    text="Do you deliver?", opened_at=utc(2026, 1, 16, 16, 30), first_response_at=None,
                    assigned_user_id=None, assigned_name=None, waiting_for="first response",
                    due=utc(2026, 1, 19, 8, 30))
    assert open_queries(session, at=london(2026, 1, 17, 10, 0)) == [
        OpenQuery(**expected, minutes_left=30, overdue=False)]
    assert open_queries(session, at=london(2026, 1, 19, 8, 30)) == [
        OpenQuery(**expected, minutes_left=0, overdue=False)]
    assert open_queries(session, at=london(2026, 1, 19, 9, 0)) == [
        OpenQuery(**expected, minutes_left=-30, overdue=True)]


def test_due_by_across_the_march_clock_change(session, shop):
    set_sla_target(session, "email", 120, None, actor=ACTOR)
    # Friday 27 March 16:00 GMT: 60 minutes on Friday, then 60 from Monday 08:00 BST (07:00 UTC).
    query = asked(session, contact(session), "email", london(2026, 3, 27, 16, 0))
    assert only_open(session, utc(2026, 3, 28, 12, 0)).due == utc(2026, 3, 30, 8, 0)

    answered(session, query, london(2026, 3, 30, 10, 0))
    [late] = breaches(session, at=utc(2026, 3, 30, 12, 0))
    assert (late.target, late.due, late.met_at, late.late_minutes) == (
        "first response", utc(2026, 3, 30, 8, 0), utc(2026, 3, 30, 9, 0), 60)


def test_a_clock_change_inside_opening_hours_shortens_or_lengthens_that_day(session, shop):
    # Sunday 00:30–03:00: on 29 March the hour from 01:00 is skipped (90 real minutes open), on 25 October
    # the hour from 01:00 is lived twice (210 real minutes open).
    shop.business_hours = WEEKDAYS_8_TO_5 | {"6": ["00:30", "03:00"]}
    set_sla_target(session, "whatsapp", 100, 200, actor=ACTOR)
    spring = asked(session, contact(session, name="Spring"), "whatsapp", london(2026, 3, 28, 12, 0))
    autumn = asked(session, contact(session, name="Autumn"), "whatsapp", london(2026, 10, 24, 12, 0))
    now = utc(2026, 11, 2, 12, 0)

    answered(session, spring, london(2026, 3, 29, 3, 0))
    answered(session, autumn, london(2026, 10, 25, 3, 0))
    resolve_query(session, spring.id, actor=ACTOR, at=london(2026, 3, 30, 10, 0))
    resolve_query(session, autumn.id, actor=ACTOR, at=london(2026, 10, 25, 3, 0))

    # Spring: 90 minutes on Sunday, so the 100-minute response falls due Monday 08:10 BST; the 200-minute
    # resolution Monday 09:50 BST. Answered at Sunday's close after 90 business minutes: in time.
    # Resolved Monday 10:00 BST after 90 + 120 = 210 business minutes: 10 minutes late.
    # Autumn: Sunday opens 00:30 BST (23:30 UTC on Saturday); the 100-minute response is due 01:10 GMT (the
    # second 01:10 of the night) and the 200-minute resolution 02:50 GMT. Both met at 03:00 GMT: late.
    assert breaches(session, at=now) == [
        Breach(autumn.id, autumn.contact_id, "Autumn", "question", "whatsapp", "Do you deliver?",
               utc(2026, 10, 24, 11, 0), None, "resolution", utc(2026, 10, 25, 2, 50), utc(2026, 10, 25, 3, 0), 10),
        Breach(autumn.id, autumn.contact_id, "Autumn", "question", "whatsapp", "Do you deliver?",
               utc(2026, 10, 24, 11, 0), None, "first response", utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 3, 0),
               110),
        Breach(spring.id, spring.contact_id, "Spring", "question", "whatsapp", "Do you deliver?",
               utc(2026, 3, 28, 12, 0), None, "resolution", utc(2026, 3, 30, 8, 50), utc(2026, 3, 30, 9, 0), 10),
    ]
    hours, target = business_hours(shop), sla_targets(session)["whatsapp"]
    assert timers(hours, spring, target, now) == Timers(
        response_due=utc(2026, 3, 30, 7, 10), resolution_due=utc(2026, 3, 30, 8, 50), response_minutes=90,
        resolution_minutes=210, response_late=False, resolution_late=True)
    assert timers(hours, autumn, target, now) == Timers(
        response_due=utc(2026, 10, 25, 1, 10), resolution_due=utc(2026, 10, 25, 2, 50), response_minutes=210,
        resolution_minutes=210, response_late=True, resolution_late=True)


def test_bank_holidays_are_skipped_and_time_running_out_at_closing_falls_due_at_the_next_opening(session, shop):
    set_sla_target(session, "phone", 180, 600, actor=ACTOR)
    query = asked(session, contact(session), "phone", london(2026, 12, 24, 16, 0), kind="complaint")
    # Thursday 60 minutes; Friday 25th and Monday 28th are holidays, the weekend is closed; Tuesday 29th
    # 08:00 + 120 = 10:00. The 600-minute resolution: 60 + Tuesday's 540 run out exactly at 17:00 Tuesday,
    # so it is due when Wednesday opens.
    item = only_open(session, london(2026, 12, 29, 9, 0))
    assert (item.due, item.minutes_left, item.overdue) == (utc(2026, 12, 29, 10, 0), 60, False)

    answered(session, query, london(2026, 12, 29, 9, 30))
    item = only_open(session, london(2026, 12, 29, 17, 30))
    assert (item.waiting_for, item.due, item.minutes_left, item.overdue) == (
        "resolution", utc(2026, 12, 30, 8, 0), 0, False)
    assert breaches(session, at=london(2026, 12, 30, 8, 0)) == []
    assert [(b.target, b.late_minutes) for b in breaches(session, at=london(2026, 12, 30, 8, 1))] == [
        ("resolution", 1)]


@pytest.fixture
def people(session):
    """Two people who answer queries, and a viewer."""
    made = {}
    for name, role in (("Thandi", "sales"), ("Sipho", "marketing"), ("Vusi", "viewer")):
        made[name] = accounts.create_user(session, UserIn(email=f"{name.lower()}@kitchen.example", name=name,
                                                          role=role, password="a long password"), actor=ACTOR)
    return made


def test_the_breach_list_holds_every_missed_target_and_nothing_in_time(session, shop, people):
    set_sla_target(session, "email", 60, 480, actor=ACTOR)
    set_sla_target(session, "whatsapp", 30, None, actor=ACTOR)
    naledi, sipho = contact(session, name="Naledi"), contact(session, name="Sipho")
    in_time = asked(session, naledi, "email", london(2026, 1, 12, 9, 0))
    answered(session, in_time, london(2026, 1, 12, 9, 45))
    resolve_query(session, in_time.id, actor=ACTOR, at=london(2026, 1, 12, 16, 0))
    both_late = asked(session, naledi, "email", london(2026, 1, 12, 9, 0), kind="complaint", text="Cold food",
                      assigned=people["Thandi"].id)
    answered(session, both_late, london(2026, 1, 12, 10, 30))
    resolve_query(session, both_late.id, actor=ACTOR, at=london(2026, 1, 13, 9, 0))
    waiting = asked(session, sipho, "whatsapp", london(2026, 1, 12, 16, 50), text="Menu?")
    not_yet_due = asked(session, sipho, "whatsapp", london(2026, 1, 13, 10, 45), text="Halal?")
    asked(session, sipho, "phone", london(2026, 1, 12, 9, 0), text="No target on phone")

    now = london(2026, 1, 13, 11, 0)
    common = dict(contact_id=naledi.id, contact_name="Naledi", kind="complaint", channel="email", text="Cold food",
                  opened_at=utc(2026, 1, 12, 9, 0), assigned_name="Thandi")
    assert breaches(session, at=now) == [
        # 10 business minutes on Monday and 20 on Tuesday: due 08:20, still waiting at 11:00.
        Breach(waiting.id, sipho.id, "Sipho", "question", "whatsapp", "Menu?", utc(2026, 1, 12, 16, 50), None,
               "first response", utc(2026, 1, 13, 8, 20), None, 160),
        # 480 minutes run out at Monday's close, so resolution was due Tuesday 08:00; resolved 09:00.
        Breach(query_id=both_late.id, **common, target="resolution", due=utc(2026, 1, 13, 8, 0),
               met_at=utc(2026, 1, 13, 9, 0), late_minutes=60),
        Breach(query_id=both_late.id, **common, target="first response", due=utc(2026, 1, 12, 10, 0),
               met_at=utc(2026, 1, 12, 10, 30), late_minutes=30),
    ]
    assert not_yet_due.id not in {b.query_id for b in breaches(session, at=london(2026, 1, 13, 11, 15))}
    newest = breaches(session, at=london(2026, 1, 13, 11, 16))[0]
    assert (newest.query_id, newest.due, newest.met_at, newest.late_minutes) == (
        not_yet_due.id, utc(2026, 1, 13, 11, 15), None, 1)
    assert breaches(session, since=utc(2026, 1, 13), at=now) == []


def test_response_figures_per_channel_and_person(session, shop, people):
    set_sla_target(session, "email", 60, None, actor=ACTOR)
    set_sla_target(session, "whatsapp", 30, None, actor=ACTOR)
    who = contact(session)
    monday = london(2026, 2, 2, 8, 0)
    thandi, sipho = people["Thandi"], people["Sipho"]
    # (channel, person, opened, answered, business minutes to the answer, answered in time)
    answers = [
        ("email", thandi, monday, monday + timedelta(minutes=5), 5, True),
        ("email", thandi, monday, monday + timedelta(minutes=12), 12, True),
        ("email", sipho, monday, monday + timedelta(minutes=30), 30, True),
        ("email", None, monday, monday + timedelta(minutes=45), 45, True),
        ("email", thandi, monday, monday + timedelta(minutes=61), 61, False),
        ("email", sipho, monday, monday + timedelta(minutes=90), 90, False),
        ("email", thandi, monday, monday + timedelta(minutes=200), 200, False),
        ("whatsapp", sipho, monday, monday + timedelta(minutes=10), 10, True),
        ("whatsapp", thandi, monday, monday + timedelta(minutes=20), 20, True),
        ("whatsapp", sipho, monday, monday + timedelta(minutes=40), 40, False),
        # 60 minutes on Monday afternoon and 60 on Tuesday morning.
        ("whatsapp", None, london(2026, 2, 2, 16, 0), london(2026, 2, 3, 9, 0), 120, False),
        ("phone", sipho, monday, monday + timedelta(minutes=15), 15, None),
    ]
    for channel, person, opened, at, _, _ in answers:
        answered(session, asked(session, who, channel, opened, assigned=person.id if person else None), at)
    now = london(2026, 2, 4, 12, 0)
    asked(session, who, "email", london(2026, 2, 2, 9, 0), assigned=thandi.id)  # due 10:00 Monday, never answered
    asked(session, who, "email", london(2026, 2, 4, 11, 50))  # still has time to be answered
    asked(session, who, "email", london(2026, 1, 30, 9, 0))  # before the period

    def expected(key, rows, late_waiting, waiting):
        minutes = [r[4] for r in rows]
        decided = [r[5] for r in rows if r[5] is not None] + [False] * late_waiting
        median, p90 = (int(np.percentile(minutes, q, method="inverted_cdf")) for q in (50, 90))
        return ResponseFigures(key=key, queries=len(rows) + waiting, answered=len(rows), median_minutes=median,
                               p90_minutes=p90, in_time=sum(decided),
                               decided=len(decided), share_in_time=sum(decided) / len(decided) if decided else None)

    def rows(**match):
        return [r for r in answers if all(r[{"channel": 0, "person": 1}[k]] == v for k, v in match.items())]

    report = response_figures(session, since=london(2026, 2, 1), at=now)
    assert report.by_channel == [
        expected("email", rows(channel="email"), late_waiting=1, waiting=2),
        expected("whatsapp", rows(channel="whatsapp"), 0, 0),
        expected("phone", rows(channel="phone"), 0, 0),
    ]
    assert report.by_person == [
        expected("Sipho", rows(person=sipho), 0, 0),
        expected("Thandi", rows(person=thandi), late_waiting=1, waiting=1),
        expected("Unassigned", rows(person=None), 0, 1),
    ]
    # Spelled out once, so a wrong percentile definition in both places cannot hide.
    assert (report.by_channel[0].median_minutes, report.by_channel[0].p90_minutes,
            report.by_channel[0].share_in_time) == (45, 200, 0.5)


def test_open_queries_come_longest_overdue_first_and_those_without_a_target_last(session, shop):
    set_sla_target(session, "email", 60, None, actor=ACTOR)
    set_sla_target(session, "whatsapp", 15, None, actor=ACTOR)
    who = contact(session)
    untimed = asked(session, who, "phone", london(2026, 5, 5, 8, 0))
    email = asked(session, who, "email", london(2026, 5, 5, 9, 0))  # due 10:00
    whatsapp = asked(session, who, "whatsapp", london(2026, 5, 5, 9, 30))  # due 09:45
    fresh = asked(session, who, "email", london(2026, 5, 5, 10, 30))  # due 11:30

    items = open_queries(session, at=london(2026, 5, 5, 11, 0))
    assert [(i.query_id, i.minutes_left) for i in items] == [
        (whatsapp.id, -75), (email.id, -60), (fresh.id, 30), (untimed.id, None)]


def test_a_reply_that_answers_the_query_starts_its_response_time(session, shop):
    set_sla_target(session, "whatsapp", 30, None, actor=ACTOR)
    naledi = contact(session, name="Naledi")
    query = asked(session, naledi, "whatsapp", datetime.now(timezone.utc) - timedelta(days=400))
    send_message(session, Outgoing(naledi.id, "whatsapp", "Yes, we deliver.", answering_query_id=query.id),
                 actor=ACTOR)
    [late] = breaches(session)
    assert (late.query_id, late.met_at) == (query.id, query.first_response_at)
    assert open_queries(session)[0].waiting_for == "resolution"


def test_open_query_refuses_bad_input_naming_the_field_and_writes_nothing(session, shop, people):
    who = contact(session)
    cases = [
        (dict(kind="rant"), "kind", "'rant' is not one of question, concern, complaint, suggestion"),
        (dict(channel="telegraph"), "channel", "'telegraph' is not one of "),
        (dict(text="   "), "text", "empty; write what they asked or said"),
        (dict(at=datetime(2026, 1, 1, 9, 0)), "at",
         "2026-01-01T09:00:00 has no time zone; give one such as +02:00 or Z"),
        (dict(conversation_id=424242), "conversation_id", "no conversation 424242"),
        (dict(assigned_user_id=people["Vusi"].id), "assigned_user_id", "Vusi is a viewer and cannot answer queries"),
        (dict(assigned_user_id=424242), "assigned_user_id", "no active user 424242"),
    ]
    for change, field, reason in cases:
        given = dict(kind="question", channel="email", text="Open on Sunday?", at=london(2026, 1, 5, 9, 0)) | change
        with pytest.raises(Invalid) as caught:
            open_query(session, who.id, given.pop("kind"), given.pop("channel"), given.pop("text"), actor=ACTOR,
                       **given)
        assert (caught.value.field, caught.value.reason[:len(reason)]) == (field, reason)
    with pytest.raises(NotFound, match="no contact 424242"):
        open_query(session, 424242, "question", "email", "Hello?", actor=ACTOR)
    assert session.scalar(select(func.count()).select_from(Query)) == 0


def test_resolving_twice_is_a_conflict_and_every_change_is_audited(session, shop, people):
    query = asked(session, contact(session), "email", london(2026, 1, 5, 9, 0))
    assign_query(session, query.id, people["Thandi"].id, actor=ACTOR)
    assign_query(session, query.id, people["Thandi"].id, actor=ACTOR)  # no change, no audit row
    with pytest.raises(Invalid) as early:
        resolve_query(session, query.id, actor=ACTOR, at=london(2026, 1, 5, 8, 0))
    resolve_query(session, query.id, actor=ACTOR, at=london(2026, 1, 5, 9, 20))
    with pytest.raises(Conflict) as twice:
        resolve_query(session, query.id, actor=ACTOR, at=london(2026, 1, 5, 9, 30))
    with pytest.raises(NotFound, match="no query 424242"):
        resolve_query(session, 424242, actor=ACTOR)

    assert early.value.field == "at"
    assert twice.value.message == f"query {query.id} was already resolved at 2026-01-05 09:20 UTC"
    # Resolving a query nobody had answered answers it at the same moment.
    assert (query.first_response_at, query.resolved_at) == (utc(2026, 1, 5, 9, 20), utc(2026, 1, 5, 9, 20))
    rows = session.execute(select(AuditEvent.action, AuditEvent.summary).where(
        AuditEvent.entity == "query", AuditEvent.entity_id == query.id).order_by(AuditEvent.id)).all()
    assert [tuple(r) for r in rows] == [
        ("opened", "Question on email: Do you deliver?"),
        ("assigned", "Assigned to Thandi"),
        ("resolved", "Resolved the question: Do you deliver?"),
    ]


def test_sla_targets_are_checked_replaced_and_audited(session, shop):
    with pytest.raises(Invalid) as short:
        set_sla_target(session, "email", 120, 60, actor=ACTOR)
    with pytest.raises(Invalid) as zero:
        set_sla_target(session, "email", 0, None, actor=ACTOR)
    with pytest.raises(Invalid) as channel:
        set_sla_target(session, "fax", 60, None, actor=ACTOR)
    set_sla_target(session, "email", 60, 480, actor=ACTOR)
    set_sla_target(session, "email", 30, None, actor=ACTOR)

    assert (short.value.field, short.value.reason) == (
        "resolution_minutes", "60 is less than the first-response target of 120 minutes")
    assert (zero.value.field, zero.value.reason) == ("first_response_minutes", "0 is not between 1 and 525,600 "
                                                                              "business minutes")
    assert channel.value.field == "channel"
    assert {c: (t.first_response_minutes, t.resolution_minutes) for c, t in sla_targets(session).items()} == {
        "email": (30, None)}
    audit = session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "sla_target_set")
                            .order_by(AuditEvent.id)).all()
    assert audit == ["SLA on email: first response within 60 business minutes, resolved within 480",
                     "SLA on email: first response within 30 business minutes"]
