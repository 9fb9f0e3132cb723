"""Cadences, tasks, the due list and referrals, on both stores, with time frozen by explicit moments."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from accord.kernel.money import Money
from accord.kernel.workspace import ensure_workspace
from accord.nurture import queries, service
from accord.nurture.models import Cadence, Referral, Task
from factories import contact, deal, engagement, order

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
SAST = ZoneInfo("Africa/Johannesburg")
ACTOR = Actor("test")


def user(session, name: str = "Sipho", role: str = "sales", active: bool = True) -> User:
    row = User(email=f"{name.lower()}@kitchen.example", name=name, role=role, password_hash="-", active=active,
               created_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.add(row)
    session.flush()
    return row


def audit(session, contact_id: int | None = None, entity: str | None = None) -> list[tuple]:
    """(entity, action, summary) of the audit rows about a contact (or an entity), oldest first."""
    query = select(AuditEvent.entity, AuditEvent.action, AuditEvent.summary).order_by(AuditEvent.id)
    if contact_id is not None:
        query = query.where(AuditEvent.contact_id == contact_id)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    return [tuple(row) for row in session.execute(query)]


def dues(tasks) -> list[tuple[str, datetime]]:
    return [(t.title, t.due_at) for t in tasks]


# --- cadences ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("steps", "field", "reason"), [
    ([], "steps", 'a cadence needs at least one step, such as {"after_days": 7, "title": "Check-in"}'),
    ([{"after_days": 7, "title": "Check-in"}, {"after_days": -1, "title": "Call"}], "steps[1].after_days",
     "-1 is not a whole number of days from 0 to 3650"),
    ([{"after_days": 3651, "title": "Check-in"}], "steps[0].after_days",
     "3651 is not a whole number of days from 0 to 3650"),
    ([{"after_days": "7", "title": "Check-in"}], "steps[0].after_days",
     "'7' is not a whole number of days from 0 to 3650"),
    ([{"after_days": True, "title": "Check-in"}], "steps[0].after_days",
     "True is not a whole number of days from 0 to 3650"),
    ([{"after_days": 7, "title": "Check-in"}, {"after_days": 30, "title": "  "}], "steps[1].title",
     "'  ' is empty; say what is to be done, e.g. 'Check-in after purchase'"),
    ([{"after_days": 7, "title": "x" * 301}], "steps[0].title", "301 characters; the limit is 300"),
    ([{"after_days": 7, "title": "Check-in", "when": "later"}], "steps[0].when",
     "is not part of a step; a step has after_days and title"),
    (["7 days"], "steps[0]", "'7 days' is not a step with after_days and title"),
])
def test_bad_steps_are_refused_naming_the_step_and_nothing_is_stored(session, steps, field, reason):
    with pytest.raises(Invalid) as refused:
        service.define_cadence(session, "Care", steps, actor=ACTOR)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert session.scalar(select(func.count()).select_from(Cadence)) == 0
    assert audit(session) == []


def test_a_cadence_is_stored_normalised_audited_and_its_name_is_unique(session):
    cadence = service.define_cadence(session, "  Catering care ", [
        {"after_days": 0, "title": " Thank-you call "}, {"after_days": 3650, "title": "Ten-year anniversary"}],
        actor=ACTOR)

    assert (cadence.name, cadence.steps) == ("Catering care", [
        {"after_days": 0, "title": "Thank-you call"}, {"after_days": 3650, "title": "Ten-year anniversary"}])
    assert audit(session, entity="cadence") == [
        ("cadence", "created",
         "Cadence 'Catering care': Thank-you call after 0 days, Ten-year anniversary after 3650 days")]
    with pytest.raises(Conflict) as again:
        service.define_cadence(session, "Catering care", [{"after_days": 1, "title": "x"}], actor=ACTOR)
    assert again.value.message == "a cadence named 'Catering care' already exists"
    with pytest.raises(Invalid) as nameless:
        service.define_cadence(session, " ", [{"after_days": 1, "title": "x"}], actor=ACTOR)
    assert (nameless.value.field, nameless.value.reason) == ("name", "' ' is not a name of 1 to 120 characters")


def test_after_purchase_is_created_on_first_use_and_keeps_local_time_across_the_spring_change(session):
    ensure_workspace(session, timezone="Europe/London")
    naledi, sipho = contact(session, name="Naledi"), user(session)
    # 15:00 in London on Wed 25 March 2026 is 15:00 UTC; clocks go forward on Sunday 29 March.
    bought = datetime(2026, 3, 25, 15, 0, tzinfo=UTC)

    started = service.start_cadence(session, "After purchase", naledi.id, start_at=bought,
                                    assigned_user_id=sipho.id, actor=ACTOR)

    assert (started.created, started.cadence.name, started.cadence.steps) == (True, "After purchase", [
        {"after_days": 7, "title": "Check-in after purchase"}, {"after_days": 30, "title": "Care call"}])
    # 15:00 BST (UTC+1) is 14:00 UTC: seven local days, not 7 × 24 hours.
    assert dues(started.tasks) == [("Check-in after purchase", datetime(2026, 4, 1, 14, 0, tzinfo=UTC)),
                                   ("Care call", datetime(2026, 4, 24, 14, 0, tzinfo=UTC))]
    assert [t.due_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for t in started.tasks] == [
        "2026-04-01 15:00", "2026-04-24 15:00"]
    assert [(t.contact_id, t.assigned_user_id, t.cadence_id, t.deal_id, t.created_at, t.done_at)
            for t in started.tasks] == [(naledi.id, sipho.id, started.cadence.id, None, bought, None)] * 2
    assert audit(session, naledi.id) == [
        ("task", "created", "Follow-up for Sipho, due Wed 01 Apr 2026 15:00: Check-in after purchase (After purchase)"),
        ("task", "created", "Follow-up for Sipho, due Fri 24 Apr 2026 15:00: Care call (After purchase)"),
    ]
    assert audit(session, entity="cadence") == [
        ("cadence", "created", "Cadence 'After purchase': Check-in after purchase after 7 days, Care call after 30 days")]


def test_due_times_keep_local_time_across_the_autumn_change_and_a_skipped_hour_moves_forward(session):
    ensure_workspace(session, timezone="Europe/London")
    thandi, sipho = contact(session, name="Thandi"), user(session)
    cadence = service.define_cadence(session, "Night owls", [{"after_days": 7, "title": "Check-in"}], actor=ACTOR)
    # 09:30 BST on Tue 20 Oct 2026 is 08:30 UTC; clocks go back on Sunday 25 October.
    autumn = service.start_cadence(session, cadence.id, thandi.id, start_at=datetime(2026, 10, 20, 8, 30, tzinfo=UTC),
                                   assigned_user_id=sipho.id, actor=ACTOR)
    # 01:30 GMT on Sun 22 March 2026; seven days later 01:30 does not exist in London (01:00 jumps to 02:00).
    gap = service.start_cadence(session, cadence.id, thandi.id, start_at=datetime(2026, 3, 22, 1, 30, tzinfo=UTC),
                                assigned_user_id=sipho.id, actor=ACTOR)

    assert dues(autumn.tasks) == [("Check-in", datetime(2026, 10, 27, 9, 30, tzinfo=UTC))]
    assert dues(gap.tasks) == [("Check-in", datetime(2026, 3, 29, 1, 30, tzinfo=UTC))]
    assert gap.tasks[0].due_at.astimezone(LONDON).strftime("%H:%M %Z") == "02:30 BST"


def test_starting_the_same_cadence_again_creates_nothing_even_after_its_tasks_moved(session):
    ensure_workspace(session, timezone="Africa/Johannesburg")
    naledi, sipho = contact(session, name="Naledi"), user(session)
    function = deal(session, naledi)
    won = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)

    def start(at=won, deal_id=function.id):
        return service.start_cadence(session, service.AFTER_PURCHASE, naledi.id, start_at=at,
                                     assigned_user_id=sipho.id, deal_id=deal_id, actor=ACTOR)

    first = start()
    service.complete_task(session, first.tasks[0].id, actor=ACTOR, at=won + timedelta(days=6))
    service.reschedule_task(session, first.tasks[1].id, date(2026, 7, 6), actor=ACTOR)
    again = start()
    # Given in another zone, the same moment is the same start.
    same_moment = start(at=won.astimezone(SAST))

    assert (again.created, same_moment.created) == (False, False)
    assert [t.id for t in again.tasks] == [t.id for t in same_moment.tasks] == [t.id for t in first.tasks]
    assert session.scalar(select(func.count()).select_from(Task)) == 2
    assert session.scalar(select(func.count()).select_from(Cadence)) == 1

    later, without_deal = start(at=won + timedelta(days=40)), start(deal_id=None)
    assert (later.created, without_deal.created) == (True, True)
    assert session.scalar(select(func.count()).select_from(Task)) == 6
    assert [t.deal_id for t in without_deal.tasks] == [None, None]


def test_starting_refuses_what_does_not_exist_before_writing_anything(session):
    ensure_workspace(session)
    naledi, sipho, viewer = contact(session), user(session), user(session, "Vusi", role="viewer")
    other = deal(session, contact(session, name="Other"))
    start_at = datetime(2026, 6, 1, tzinfo=UTC)
    cases = [
        (dict(cadence="Nope", contact_id=naledi.id, user_id=sipho.id), NotFound, "no cadence named 'Nope'"),
        (dict(cadence=999_999, contact_id=naledi.id, user_id=sipho.id), NotFound, "no cadence 999999"),
        (dict(contact_id=999_999, user_id=sipho.id), Invalid, "contact_id: no contact 999999"),
        (dict(contact_id=naledi.id, user_id=viewer.id), Invalid,
         f"assigned_user_id: user {viewer.id} (vusi@kitchen.example) is a viewer, who cannot mark tasks done"),
        (dict(contact_id=naledi.id, user_id=sipho.id, deal_id=other.id), Invalid,
         f"deal_id: deal {other.id} is with contact {other.contact_id}, not contact {naledi.id}"),
        (dict(contact_id=naledi.id, user_id=sipho.id, start_at=datetime(2026, 6, 1)), Invalid,
         "start_at: datetime.datetime(2026, 6, 1, 0, 0) is not a date and time with a time zone, "
         "such as 2026-03-20T15:00:00+02:00"),
    ]
    for given, error, message in cases:
        with pytest.raises(error) as refused:
            service.start_cadence(session, given.get("cadence", service.AFTER_PURCHASE), given["contact_id"],
                                  start_at=given.get("start_at", start_at), assigned_user_id=given["user_id"],
                                  deal_id=given.get("deal_id"), actor=ACTOR)
        assert refused.value.message == message
    assert session.scalar(select(func.count()).select_from(Task)) == 0
    assert session.scalar(select(func.count()).select_from(Cadence)) == 0


# --- tasks ------------------------------------------------------------------------------------------------------


def test_a_task_is_created_done_once_and_a_second_completion_is_a_conflict(session):
    ensure_workspace(session)
    naledi, sipho = contact(session, name="Naledi"), user(session)
    due = datetime(2026, 6, 10, 13, 0, tzinfo=UTC)  # 15:00 in Johannesburg
    task = service.create_task(session, naledi.id, " Deliver the tasting menu ", due_at=due, assigned_user_id=sipho.id,
                               notes="She prefers mornings", actor=ACTOR, at=datetime(2026, 6, 1, tzinfo=UTC))
    done_at = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)

    service.complete_task(session, task.id, actor=ACTOR, at=done_at)
    with pytest.raises(Conflict) as twice:
        service.complete_task(session, task.id, actor=ACTOR, at=done_at + timedelta(hours=1))

    assert twice.value.message == f"task {task.id} ('Deliver the tasting menu') was already done on Wed 10 Jun 2026 14:00"
    session.expire_all()
    stored = session.get(Task, task.id)
    assert (stored.title, stored.notes, stored.due_at, stored.done_at, stored.created_at) == (
        "Deliver the tasting menu", "She prefers mornings", due, done_at, datetime(2026, 6, 1, tzinfo=UTC))
    assert audit(session, naledi.id) == [
        ("task", "created", "Follow-up for Sipho, due Wed 10 Jun 2026 15:00: Deliver the tasting menu"),
        ("task", "done", "Follow-up done on time: Deliver the tasting menu"),
    ]
    done_row = session.scalars(select(AuditEvent).where(AuditEvent.action == "done")).one()
    assert (done_row.at, done_row.before, done_row.after) == (
        done_at, {"done_at": None}, {"done_at": "2026-06-10T12:00:00+00:00", "on_time": True})


def test_reschedule_keeps_the_local_time_on_a_new_day_reassign_hands_over_and_done_tasks_stay_put(session):
    ensure_workspace(session, timezone="Europe/London")
    naledi, sipho, lerato = contact(session, name="Naledi"), user(session), user(session, "Lerato", role="marketing")
    task = service.create_task(session, naledi.id, "Care call", due_at=datetime(2026, 3, 27, 15, 0, tzinfo=UTC),
                               assigned_user_id=sipho.id, actor=ACTOR)

    service.reschedule_task(session, task.id, date(2026, 3, 30), actor=ACTOR)
    moved_on_day = task.due_at
    service.reschedule_task(session, task.id, datetime(2026, 3, 31, 8, 0, tzinfo=UTC), actor=ACTOR)
    service.reschedule_task(session, task.id, datetime(2026, 3, 31, 9, 0, tzinfo=LONDON), actor=ACTOR)  # the same time
    service.reassign_task(session, task.id, lerato.id, actor=ACTOR)
    service.reassign_task(session, task.id, lerato.id, actor=ACTOR)  # unchanged
    service.complete_task(session, task.id, actor=ACTOR, at=datetime(2026, 4, 2, 9, 0, tzinfo=UTC))

    assert moved_on_day == datetime(2026, 3, 30, 14, 0, tzinfo=UTC)  # 15:00 BST
    assert (task.due_at, task.assigned_user_id) == (datetime(2026, 3, 31, 8, 0, tzinfo=UTC), lerato.id)
    assert audit(session, naledi.id) == [
        ("task", "created", "Follow-up for Sipho, due Fri 27 Mar 2026 15:00: Care call"),
        ("task", "rescheduled", "Follow-up moved from Fri 27 Mar 2026 15:00 to Mon 30 Mar 2026 15:00: Care call"),
        ("task", "rescheduled", "Follow-up moved from Mon 30 Mar 2026 15:00 to Tue 31 Mar 2026 09:00: Care call"),
        ("task", "reassigned", "Follow-up handed from Sipho to Lerato: Care call"),
        ("task", "done", "Follow-up done late: Care call"),
    ]
    for change in (lambda: service.reschedule_task(session, task.id, date(2026, 4, 9), actor=ACTOR),
                   lambda: service.reassign_task(session, task.id, sipho.id, actor=ACTOR)):
        with pytest.raises(Conflict) as done:
            change()
        assert done.value.message.startswith(f"task {task.id} ('Care call') is already done; there is nothing to ")
    with pytest.raises(NotFound) as missing:
        service.complete_task(session, 999_999, actor=ACTOR)
    assert missing.value.message == "no task 999999"


@pytest.mark.parametrize(("change", "field", "reason"), [
    (dict(title=" "), "title", "' ' is empty; say what is to be done, e.g. 'Check-in after purchase'"),
    (dict(due_at=datetime(2026, 6, 1, 9, 0)), "due_at",
     "datetime.datetime(2026, 6, 1, 9, 0) is not a date and time with a time zone, such as 2026-03-20T15:00:00+02:00"),
    (dict(notes="n" * 5001), "notes", "5,001 characters; the limit is 5,000"),
    (dict(user="ghost"), "assigned_user_id", "no user 999999"),
    (dict(user="former"), "assigned_user_id",
     "user {former} (former@kitchen.example) is no longer active; give the task to someone who is"),
    (dict(contact_id=999_999), "contact_id", "no contact 999999"),
    (dict(deal_id=999_999), "deal_id", "no deal 999999"),
])
def test_bad_tasks_are_refused_naming_the_field(session, change, field, reason):
    ensure_workspace(session)
    naledi, sipho, former = contact(session), user(session), user(session, "Former", active=False)
    users = {"ghost": 999_999, "former": former.id}
    with pytest.raises(Invalid) as refused:
        service.create_task(session, change.get("contact_id", naledi.id), change.get("title", "Call"),
                            due_at=change.get("due_at", datetime(2026, 6, 1, tzinfo=UTC)),
                            assigned_user_id=users.get(change.get("user"), sipho.id), deal_id=change.get("deal_id"),
                            notes=change.get("notes", ""), actor=ACTOR)
    assert (refused.value.field, refused.value.reason) == (field, reason.format(former=former.id))
    assert session.scalar(select(func.count()).select_from(Task)) == 0


# --- the due list -------------------------------------------------------------------------------------------------


def sast(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SAST)


def test_the_due_list_buckets_by_the_workspace_calendar_and_counts_follow_ups_done_on_time(session):
    ensure_workspace(session, timezone="Africa/Johannesburg")
    naledi, thandi = contact(session, name="Naledi"), contact(session, name="Thandi")
    sipho, lerato = user(session), user(session, "Lerato")
    now = sast(6, 10, 12)  # Wednesday 10 June 2026, noon in Johannesburg

    def task(title, due, who=naledi, done=None, assignee=sipho):
        made = service.create_task(session, who.id, title, due_at=due, assigned_user_id=assignee.id, actor=ACTOR,
                                   at=sast(5, 1, 8))
        if done:
            service.complete_task(session, made.id, actor=ACTOR, at=done)
        return made.id

    ids = {
        "monday": task("Monday call", sast(6, 8, 9)),
        "this morning": task("Morning call", sast(6, 10, 11, 59), who=thandi),
        "noon": task("Noon call", now),  # due this very moment: today's, not yet late
        "this afternoon": task("Afternoon call", sast(6, 10, 16)),
        "tonight": task("Late message", sast(6, 10, 23, 30)),
        "thursday": task("Thursday visit", sast(6, 11, 0)),
        "sunday": task("Sunday message", sast(6, 14, 23)),
        "next monday": task("Next week", sast(6, 15, 0)),
        "far": task("Anniversary", sast(12, 1, 9)),
    }
    task("Done on time", sast(6, 9, 10), done=sast(6, 9, 9))
    task("Done late", sast(6, 1, 10), done=sast(6, 3, 9))
    task("Long ago, on time", sast(5, 1, 10), done=sast(5, 1, 9))  # due more than 30 days before now
    task("Done early, due Friday", sast(6, 12, 10), done=sast(6, 9, 9))  # its due time has not come
    task("Lerato's", sast(6, 9, 10), assignee=lerato)

    listing = queries.due_list(session, sipho.id, now=now)

    def titled(bucket):
        return [(t.id, t.title, t.contact_name, t.bucket) for t in bucket]

    assert titled(listing.overdue) == [(ids["monday"], "Monday call", "Naledi", "overdue"),
                                       (ids["this morning"], "Morning call", "Thandi", "overdue")]
    assert titled(listing.today) == [(ids["noon"], "Noon call", "Naledi", "today"),
                                     (ids["this afternoon"], "Afternoon call", "Naledi", "today"),
                                     (ids["tonight"], "Late message", "Naledi", "today")]
    assert titled(listing.week) == [(ids["thursday"], "Thursday visit", "Naledi", "week"),
                                    (ids["sunday"], "Sunday message", "Naledi", "week")]
    assert (listing.counts, listing.later) == ({"overdue": 2, "today": 3, "week": 2}, 2)
    # Due time passed in the last 30 days: the two overdue calls, "Done on time" and "Done late"; one kept its time.
    assert (listing.on_time, listing.on_time.share) == (queries.OnTime(1, 4), 0.25)
    assert (listing.user_name, listing.window.day, listing.window.day_end, listing.window.week_end) == (
        "Sipho", date(2026, 6, 10), datetime(2026, 6, 10, 22, 0, tzinfo=UTC), datetime(2026, 6, 14, 22, 0, tzinfo=UTC))
    assert [t.id for t in listing.tasks("today")] == [ids["noon"], ids["this afternoon"], ids["tonight"]]
    assert [t.id for t in listing.tasks()] == [ids[k] for k in ("monday", "this morning", "noon", "this afternoon",
                                                               "tonight", "thursday", "sunday")]
    with pytest.raises(Invalid) as bad:
        listing.tasks("soon")
    assert (bad.value.field, bad.value.reason) == ("due", "'soon' is not one of overdue, today, week")

    on_sunday = queries.due_list(session, sipho.id, now=sast(6, 14, 9))
    assert ([t.title for t in on_sunday.today], on_sunday.week, on_sunday.later) == (["Sunday message"], [], 2)

    short = queries.due_list(session, sipho.id, now=now, limit=1)
    assert ([t.title for t in short.overdue], short.counts["overdue"]) == (["Monday call"], 2)


def test_the_team_view_counts_each_person_most_overdue_first(session):
    ensure_workspace(session, timezone="Africa/Johannesburg")
    naledi = contact(session)
    sipho, lerato, owner = user(session), user(session, "Lerato", role="marketing"), user(session, "Ayanda", "owner")
    user(session, "Vusi", role="viewer")
    user(session, "Gone", active=False)
    now = sast(6, 10, 12)
    for who, due, done in ((sipho, sast(6, 9, 9), None), (lerato, sast(6, 8, 9), None), (lerato, sast(6, 9, 9), None),
                           (lerato, sast(6, 10, 15), None), (sipho, sast(6, 12, 9), None),
                           (sipho, sast(6, 5, 9), sast(6, 5, 8))):
        made = service.create_task(session, naledi.id, "Call", due_at=due, assigned_user_id=who.id, actor=ACTOR)
        if done:
            service.complete_task(session, made.id, actor=ACTOR, at=done)

    team = queries.team_due(session, now=now)

    assert [(m.name, m.role, m.overdue, m.today, m.week, m.on_time) for m in team] == [
        ("Lerato", "marketing", 2, 1, 0, queries.OnTime(0, 2)),
        ("Sipho", "sales", 1, 0, 1, queries.OnTime(1, 2)),
        ("Ayanda", "owner", 0, 0, 0, queries.OnTime(0, 0)),
    ]
    assert [m.user_id for m in team] == [lerato.id, sipho.id, owner.id]


def test_tasks_of_a_contact_lists_open_ones_by_due_time_then_done_ones(session):
    ensure_workspace(session)
    naledi, sipho = contact(session, name="Naledi"), user(session)
    started = service.start_cadence(session, service.AFTER_PURCHASE, naledi.id, start_at=sast(6, 1, 10),
                                    assigned_user_id=sipho.id, actor=ACTOR)
    own = service.create_task(session, naledi.id, "Send the invoice", due_at=sast(6, 3, 9), assigned_user_id=sipho.id,
                              actor=ACTOR)
    service.complete_task(session, own.id, actor=ACTOR, at=sast(6, 2, 9))

    assert [(t.title, t.due_at, t.done_at, t.assignee, t.cadence) for t in queries.tasks_of(session, naledi.id)] == [
        ("Check-in after purchase", sast(6, 8, 10), None, "Sipho", "After purchase"),
        ("Care call", sast(7, 1, 10), None, "Sipho", "After purchase"),
        ("Send the invoice", sast(6, 3, 9), sast(6, 2, 9), "Sipho", None),
    ]
    assert [t.id for t in queries.tasks_of(session, naledi.id)][:2] == [t.id for t in started.tasks]


# --- referrals and ambassadors ------------------------------------------------------------------------------------


def test_a_customer_who_refers_someone_becomes_an_ambassador_and_both_timelines_say_so(session):
    ensure_workspace(session)
    naledi = contact(session, name="Naledi", stage="customer")
    order(session, naledi, at=sast(5, 1, 10), lines=[(1, 45_000)])
    thandi = contact(session, name="Thandi", stage="follower")
    at = sast(6, 2, 10)

    referral = service.record_referral(session, naledi.id, thandi.id, reward_minor=10_000, reward_currency="zar",
                                       at=at, actor=ACTOR)

    session.expire_all()
    stored = session.get(Referral, referral.id)
    assert (stored.referrer_contact_id, stored.referred_contact_id, stored.referred_at, stored.reward_minor,
            stored.reward_currency) == (naledi.id, thandi.id, at, 10_000, "ZAR")
    assert (session.get(Contact, naledi.id).lifecycle_stage, session.get(Contact, thandi.id).lifecycle_stage) == (
        "ambassador", "follower")
    assert audit(session, naledi.id) == [
        ("referral", "referred", f"Referred Thandi (contact {thandi.id}); reward R100,00"),
        ("contact", "lifecycle", f"Became ambassador: referred Thandi (contact {thandi.id})"),
    ]
    assert audit(session, thandi.id) == [("referral", "referred_by", f"Referred by Naledi (contact {naledi.id})")]
    assert queries.referrals_of(session, thandi.id) == queries.ContactReferrals(
        queries.ReferralLine(referral.id, naledi.id, "Naledi", "ambassador", thandi.id, "Thandi", at,
                             Money(10_000, "ZAR")), [])
    assert queries.referrals_of(session, naledi.id).referred_by is None
    assert [line.referred_name for line in queries.referrals_of(session, naledi.id).brought] == ["Thandi"]


@pytest.mark.parametrize(("stage", "buys", "after"), [
    ("engager", False, "engager"),       # has not bought: recorded, stays as they are
    ("opportunity", False, "opportunity"),
    ("lead", True, "ambassador"),        # an order makes them a customer whatever the stage says
    ("customer", False, "ambassador"),   # the stage says customer
    ("ambassador", True, "ambassador"),  # already there: no second move
])
def test_only_a_customer_referrer_becomes_an_ambassador(session, stage, buys, after):
    ensure_workspace(session)
    referrer = contact(session, name="Referrer", stage=stage)
    if buys:
        order(session, referrer, at=sast(5, 1, 10), lines=[(2, 9_000)])
    newcomer = contact(session, name="Newcomer")

    service.record_referral(session, referrer.id, newcomer.id, reward_minor=0, reward_currency="ZAR",
                            at=sast(6, 2, 10), actor=ACTOR)

    assert session.get(Contact, referrer.id).lifecycle_stage == after
    moves = [row for row in audit(session, referrer.id) if row[1] == "lifecycle"]
    assert moves == ([("contact", "lifecycle", f"Became ambassador: referred Newcomer (contact {newcomer.id})")]
                     if after != stage else [])


def test_self_and_second_referrals_and_bad_rewards_are_refused_and_nothing_is_written(session):
    ensure_workspace(session)
    naledi = contact(session, name="Naledi", stage="customer")
    sipho = contact(session, name="Sipho", stage="customer")
    thandi = contact(session, name="Thandi")
    service.record_referral(session, naledi.id, thandi.id, reward_minor=5_000, reward_currency="ZAR",
                            at=sast(6, 2, 10), actor=ACTOR)
    before = audit(session)
    cases = [
        ((sipho.id, sipho.id, 0, "ZAR"), Invalid, f"referred_id: contact {sipho.id} cannot refer themselves"),
        ((sipho.id, thandi.id, 0, "ZAR"), Conflict,
         f"Thandi (contact {thandi.id}) was already referred by Naledi (contact {naledi.id}) on 2026-06-02"),
        ((naledi.id, thandi.id, 0, "ZAR"), Conflict,
         f"Thandi (contact {thandi.id}) was already referred by Naledi (contact {naledi.id}) on 2026-06-02"),
        ((sipho.id, naledi.id, -1, "ZAR"), Invalid, "reward_minor: -1 is negative; a reward is 0 or more minor units"),
        ((sipho.id, naledi.id, 10.5, "ZAR"), Invalid, "reward_minor: 10.5 is not a whole number of minor units"),
        ((sipho.id, naledi.id, 100, "ZZZ"), Invalid, "reward_currency: 'ZZZ' is not an ISO 4217 currency code"),
        ((sipho.id, 999_999, 100, "ZAR"), Invalid, "referred_id: no contact 999999"),
    ]
    for (referrer, referred, reward, currency), error, message in cases:
        with pytest.raises(error) as refused:
            service.record_referral(session, referrer, referred, reward_minor=reward, reward_currency=currency,
                                    at=sast(6, 3, 10), actor=ACTOR)
        assert refused.value.message == message
    assert session.scalar(select(func.count()).select_from(Referral)) == 1
    assert audit(session) == before
    assert session.get(Contact, sipho.id).lifecycle_stage == "customer"


def test_a_customer_who_left_a_review_is_promoted_and_no_one_else_is(session):
    ensure_workspace(session)
    reviewer = contact(session, name="Reviewer", stage="customer")
    engagement(session, reviewer, kind="review", at=sast(6, 1, 10), text="Best bunny chow in Joburg")
    spammer = contact(session, name="Spammer", stage="customer")
    engagement(session, spammer, kind="review", spam=True, text="cheap followers")
    fan = contact(session, name="Fan", stage="engager")
    engagement(session, fan, kind="review")
    quiet = contact(session, name="Quiet", stage="customer")
    engagement(session, quiet, kind="comment")
    at = sast(6, 5, 10)

    outcomes = {c.display_name: service.promote_reviewer(session, c.id, actor=ACTOR, at=at)
                for c in (reviewer, spammer, fan, quiet)}

    assert outcomes == {"Reviewer": True, "Spammer": False, "Fan": False, "Quiet": False}
    assert {c.display_name: session.get(Contact, c.id).lifecycle_stage for c in (reviewer, spammer, fan, quiet)} == {
        "Reviewer": "ambassador", "Spammer": "customer", "Fan": "engager", "Quiet": "customer"}
    assert audit(session, reviewer.id) == [
        ("contact", "lifecycle", "Became ambassador: left a review on instagram on 2026-06-01")]
    assert service.promote_reviewer(session, reviewer.id, actor=ACTOR, at=at) is False


def test_the_referral_book_sums_rewards_per_currency(session):
    ensure_workspace(session)
    naledi = contact(session, name="Naledi", stage="customer")
    people = [contact(session, name=f"Friend {n}") for n in range(3)]
    rewards = ((10_000, "ZAR"), (5_000, "ZAR"), (2_000, "USD"))
    for day, (person, (minor, currency)) in enumerate(zip(people, rewards, strict=True), start=1):
        service.record_referral(session, naledi.id, person.id, reward_minor=minor, reward_currency=currency,
                                at=sast(6, day, 10), actor=ACTOR)

    book = queries.list_referrals(session)

    assert (book.total, book.rewards) == (3, {"USD": 2_000, "ZAR": 15_000})
    assert [line.referred_name for line in book.lines] == ["Friend 2", "Friend 1", "Friend 0"]
    assert [line.reward for line in book.lines] == [Money(2_000, "USD"), Money(5_000, "ZAR"), Money(10_000, "ZAR")]
