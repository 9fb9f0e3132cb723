"""Writes for nurture: cadences of follow-ups, tasks, referrals, and the moves that make customers ambassadors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, not_, select
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.contacts.service import advance_lifecycle, live_contact
from accord.engagement.models import Engagement
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.db import get_row
from accord.kernel.money import Money, check_currency
from accord.kernel.workspace import workspace_zone
from accord.nurture.models import Cadence, Referral, Task
from accord.pipeline.models import Deal, Order

AFTER_PURCHASE = "After purchase"
AFTER_PURCHASE_STEPS: tuple[dict[str, Any], ...] = (
    {"after_days": 7, "title": "Check-in after purchase"},
    {"after_days": 30, "title": "Care call"},
)
MAX_AFTER_DAYS = 3650
MAX_TITLE = 300
MAX_NAME = 120
MAX_NOTES = 5000
# Viewers only read, so a task given to one could never be marked done.
ASSIGNABLE_ROLES = ("owner", "marketing", "sales")


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of a local calendar day and wall-clock time.

    A wall time that a daylight-saving change skips is read with the offset before the change (02:30 on the
    spring-forward night becomes 03:30), and one that occurs twice is its first occurrence.
    """
    return datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=tz).astimezone(timezone.utc)


def local_text(moment: datetime, tz: ZoneInfo) -> str:
    """A moment as the workspace reads it, e.g. 'Fri 27 Mar 2026 15:00'."""
    return moment.astimezone(tz).strftime("%a %d %b %Y %H:%M")


def _aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(field, f"{value!r} is not a date and time with a time zone, such as 2026-03-20T15:00:00+02:00")
    return value.astimezone(timezone.utc)


def _title(value: Any, field: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Invalid(field, f"{value!r} is empty; say what is to be done, e.g. 'Check-in after purchase'")
    if len(text) > MAX_TITLE:
        raise Invalid(field, f"{len(text):,} characters; the limit is {MAX_TITLE}")
    return text


def _contact(session: Session, contact_id: int, field: str) -> Contact:
    """A live contact named by input, or Invalid naming the field (merged or erased records stay Conflicts)."""
    try:
        return live_contact(session, contact_id)
    except NotFound as missing:
        raise Invalid(field, missing.message) from None


def _user(session: Session, user_id: Any, field: str) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None:
        raise Invalid(field, f"no user {user_id!r}")
    if not user.active:
        raise Invalid(field, f"user {user.id} ({user.email}) is no longer active; give the task to someone who is")
    if user.role not in ASSIGNABLE_ROLES:
        raise Invalid(field, f"user {user.id} ({user.email}) is a {user.role}, who cannot mark tasks done")
    return user


def _deal(session: Session, deal_id: int | None, contact: Contact) -> int | None:
    if deal_id is None:
        return None
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise Invalid("deal_id", f"no deal {deal_id}")
    if deal.contact_id != contact.id:
        raise Invalid("deal_id", f"deal {deal_id} is with contact {deal.contact_id}, not contact {contact.id}")
    return deal.id


def _task(session: Session, task_id: int) -> Task:
    return get_row(session, Task, task_id, "task")


def _open_task(session: Session, task_id: int, doing: str) -> Task:
    task = _task(session, task_id)
    if task.done_at is not None:
        raise Conflict(f"task {task.id} ('{task.title}') is already done; there is nothing to {doing}")
    return task


def _task_state(task: Task) -> dict[str, Any]:
    return {"title": task.title, "due_at": task.due_at.isoformat(), "assigned_user_id": task.assigned_user_id,
            "deal_id": task.deal_id, "cadence_id": task.cadence_id}


# --- cadences ---------------------------------------------------------------------------------------------------


def _steps(steps: Any) -> list[dict[str, Any]]:
    """Steps checked and normalised; each fault names its place, e.g. steps[1].after_days."""
    if not isinstance(steps, list | tuple) or not steps:
        raise Invalid("steps", "a cadence needs at least one step, such as {\"after_days\": 7, \"title\": \"Check-in\"}")
    clean = []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict):
            raise Invalid(where, f"{step!r} is not a step with after_days and title")
        unknown = sorted(set(step) - {"after_days", "title"})
        if unknown:
            raise Invalid(f"{where}.{unknown[0]}", "is not part of a step; a step has after_days and title")
        days = step.get("after_days")
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_AFTER_DAYS:
            raise Invalid(f"{where}.after_days", f"{days!r} is not a whole number of days from 0 to {MAX_AFTER_DAYS}")
        clean.append({"after_days": days, "title": _title(step.get("title"), f"{where}.title")})
    return clean


def define_cadence(session: Session, name: str, steps: Sequence[dict[str, Any]], *, actor: Actor) -> Cadence:
    """A named sequence of follow-ups, each due some days after the cadence starts; names are unique."""
    clean_name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(clean_name) <= MAX_NAME:
        raise Invalid("name", f"{name!r} is not a name of 1 to {MAX_NAME} characters")
    clean_steps = _steps(steps)
    if session.scalar(select(Cadence.id).where(Cadence.name == clean_name)) is not None:
        raise Conflict(f"a cadence named '{clean_name}' already exists")
    cadence = Cadence(name=clean_name, steps=clean_steps)
    session.add(cadence)
    session.flush()
    plan = ", ".join(f"{s['title']} after {s['after_days']} days" for s in clean_steps)
    record(session, actor=actor, entity="cadence", entity_id=cadence.id, action="created",
           summary=f"Cadence '{clean_name}': {plan}"[:500], after={"name": clean_name, "steps": clean_steps})
    return cadence


def _cadence(session: Session, name_or_id: int | str, *, actor: Actor) -> Cadence:
    if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
        return get_row(session, Cadence, name_or_id, "cadence")
    name = str(name_or_id).strip()
    cadence = session.scalar(select(Cadence).where(Cadence.name == name))
    if cadence is not None:
        return cadence
    if name == AFTER_PURCHASE:
        return define_cadence(session, AFTER_PURCHASE, list(AFTER_PURCHASE_STEPS), actor=actor)
    raise NotFound(f"no cadence named '{name}'")


@dataclass(frozen=True)
class Started:
    """The tasks of one start of a cadence; `created` is False when that start had already been made."""

    cadence: Cadence
    tasks: list[Task]
    created: bool


def start_cadence(session: Session, cadence_name_or_id: int | str, contact_id: int, *, start_at: datetime,
                  assigned_user_id: int, deal_id: int | None = None, actor: Actor) -> Started:
    """One task per step, due that many local calendar days after start_at at the same local time.

    Starting the same cadence for the same contact, deal and start_at again creates nothing: the tasks carry
    start_at as their created_at, which is how a repeat is recognised even after they were moved or done.
    The built-in "After purchase" cadence is created the first time it is asked for.
    """
    start_at = _aware(start_at, "start_at")
    contact = _contact(session, contact_id, "contact_id")
    user = _user(session, assigned_user_id, "assigned_user_id")
    deal = _deal(session, deal_id, contact)
    cadence = _cadence(session, cadence_name_or_id, actor=actor)
    # Two requests starting the same cadence at once would both find nothing; on PostgreSQL the row lock makes
    # the second wait for the first (SQLite's write transaction already serialises them).
    session.execute(select(Contact.id).where(Contact.id == contact.id).with_for_update())
    same_deal = Task.deal_id.is_(None) if deal is None else Task.deal_id == deal
    existing = list(session.scalars(
        select(Task).where(Task.cadence_id == cadence.id, Task.contact_id == contact.id, same_deal,
                           Task.created_at == start_at).order_by(Task.id)
    ))
    if existing:
        return Started(cadence, existing, created=False)
    tz = workspace_zone(session)
    local = start_at.astimezone(tz)
    tasks = [
        _add_task(session, contact=contact, title=step["title"], user=user, deal_id=deal, cadence=cadence, notes="",
                  due_at=at_local(local.date() + timedelta(days=step["after_days"]), local.time(), tz),
                  created_at=start_at, tz=tz, actor=actor)
        for step in cadence.steps
    ]
    return Started(cadence, tasks, created=True)


# --- tasks ------------------------------------------------------------------------------------------------------


def _add_task(session: Session, *, contact: Contact, title: str, user: User, deal_id: int | None,
              cadence: Cadence | None, notes: str, due_at: datetime, created_at: datetime, tz: ZoneInfo,
              actor: Actor) -> Task:
    task = Task(contact_id=contact.id, deal_id=deal_id, cadence_id=cadence.id if cadence else None,
                assigned_user_id=user.id, title=title, notes=notes, due_at=due_at, done_at=None,
                created_at=created_at)
    session.add(task)
    session.flush()
    source = f" ({cadence.name})" if cadence else ""
    record(session, actor=actor, entity="task", entity_id=task.id, contact_id=contact.id, action="created",
           summary=f"Follow-up for {user.name}, due {local_text(due_at, tz)}: {title}{source}"[:500],
           after=_task_state(task), at=created_at)
    return task


def create_task(session: Session, contact_id: int, title: str, *, due_at: datetime, assigned_user_id: int,
                deal_id: int | None = None, notes: str = "", actor: Actor, at: datetime | None = None) -> Task:
    """Something a person must do for a contact by a time."""
    clean_title = _title(title, "title")
    due_at = _aware(due_at, "due_at")
    if len(notes) > MAX_NOTES:
        raise Invalid("notes", f"{len(notes):,} characters; the limit is {MAX_NOTES:,}")
    contact = _contact(session, contact_id, "contact_id")
    user = _user(session, assigned_user_id, "assigned_user_id")
    deal = _deal(session, deal_id, contact)
    when = _aware(at, "at") if at is not None else utcnow()
    return _add_task(session, contact=contact, title=clean_title, user=user, deal_id=deal, cadence=None,
                     notes=notes.strip(), due_at=due_at, created_at=when, tz=workspace_zone(session), actor=actor)


def complete_task(session: Session, task_id: int, *, actor: Actor, at: datetime | None = None) -> Task:
    """Mark a task done at `at` (default now); a task done already is a Conflict."""
    when = _aware(at, "at") if at is not None else utcnow()
    task = _task(session, task_id)
    tz = workspace_zone(session)
    if task.done_at is not None:
        raise Conflict(f"task {task.id} ('{task.title}') was already done on {local_text(task.done_at, tz)}")
    task.done_at = when
    session.flush()
    timing = "on time" if when <= task.due_at else "late"
    record(session, actor=actor, entity="task", entity_id=task.id, contact_id=task.contact_id, action="done",
           summary=f"Follow-up done {timing}: {task.title}"[:500], before={"done_at": None},
           after={"done_at": when.isoformat(), "on_time": when <= task.due_at}, at=when)
    return task


def reschedule_task(session: Session, task_id: int, due: datetime | date, *, actor: Actor,
                    at: datetime | None = None) -> Task:
    """Move an open task to a new due time; a plain date keeps its local time of day on that day."""
    task = _open_task(session, task_id, "reschedule")
    tz = workspace_zone(session)
    if isinstance(due, datetime):
        new_due = _aware(due, "due_at")
    elif isinstance(due, date):
        new_due = at_local(due, task.due_at.astimezone(tz).time(), tz)
    else:
        raise Invalid("due_at", f"{due!r} is not a date or a date and time")
    if new_due == task.due_at:
        return task
    before = task.due_at
    task.due_at = new_due
    session.flush()
    record(session, actor=actor, entity="task", entity_id=task.id, contact_id=task.contact_id, action="rescheduled",
           summary=f"Follow-up moved from {local_text(before, tz)} to {local_text(new_due, tz)}: {task.title}"[:500],
           before={"due_at": before.isoformat()}, after={"due_at": new_due.isoformat()}, at=at)
    return task


def reassign_task(session: Session, task_id: int, user_id: int, *, actor: Actor, at: datetime | None = None) -> Task:
    """Give an open task to another active user."""
    task = _open_task(session, task_id, "reassign")
    user = _user(session, user_id, "assigned_user_id")
    if task.assigned_user_id == user.id:
        return task
    previous = session.get(User, task.assigned_user_id) if task.assigned_user_id is not None else None
    task.assigned_user_id = user.id
    session.flush()
    record(session, actor=actor, entity="task", entity_id=task.id, contact_id=task.contact_id, action="reassigned",
           summary=f"Follow-up handed from {previous.name if previous else 'nobody'} to {user.name}: {task.title}"[:500],
           before={"assigned_user_id": previous.id if previous else None}, after={"assigned_user_id": user.id}, at=at)
    return task


# --- referrals and ambassadors ------------------------------------------------------------------------------------


def is_customer(session: Session, contact: Contact) -> bool:
    """A customer has bought: they have an order, or their stage already says customer (or ambassador)."""
    if contact.lifecycle_stage in ("customer", "ambassador"):
        return True
    return bool(session.scalar(select(exists().where(Order.contact_id == contact.id))))


def record_referral(session: Session, referrer_id: int, referred_id: int, *, reward_minor: int, reward_currency: str,
                    at: datetime, actor: Actor) -> Referral:
    """Record that one contact brought another; a customer who refers someone becomes an ambassador.

    A referrer who has not bought yet is recorded and rewarded all the same, but keeps their stage.
    """
    at = _aware(at, "at")
    if referrer_id == referred_id:
        raise Invalid("referred_id", f"contact {referred_id} cannot refer themselves")
    if isinstance(reward_minor, bool) or not isinstance(reward_minor, int):
        raise Invalid("reward_minor", f"{reward_minor!r} is not a whole number of minor units")
    if reward_minor < 0:
        raise Invalid("reward_minor", f"{reward_minor} is negative; a reward is 0 or more minor units")
    reward = Money(reward_minor, check_currency(reward_currency, field="reward_currency"))
    referrer = _contact(session, referrer_id, "referrer_id")
    referred = _contact(session, referred_id, "referred_id")
    earlier = session.scalar(select(Referral).where(Referral.referred_contact_id == referred.id))
    if earlier is not None:
        by = session.get(Contact, earlier.referrer_contact_id)
        raise Conflict(f"{referred.display_name} (contact {referred.id}) was already referred by {by.display_name} "
                       f"(contact {by.id}) on {earlier.referred_at.astimezone(workspace_zone(session)):%Y-%m-%d}")
    referral = Referral(referrer_contact_id=referrer.id, referred_contact_id=referred.id, referred_at=at,
                        reward_minor=reward.minor, reward_currency=reward.currency)
    session.add(referral)
    session.flush()
    state = {"referrer_contact_id": referrer.id, "referred_contact_id": referred.id, "referred_at": at.isoformat(),
             "reward_minor": reward.minor, "reward_currency": reward.currency}
    record(session, actor=actor, entity="referral", entity_id=referral.id, contact_id=referrer.id, action="referred",
           summary=f"Referred {referred.display_name} (contact {referred.id}); reward {reward.format()}"[:500],
           after=state, at=at)
    record(session, actor=actor, entity="referral", entity_id=referral.id, contact_id=referred.id,
           action="referred_by", summary=f"Referred by {referrer.display_name} (contact {referrer.id})"[:500],
           after=state, at=at)
    if is_customer(session, referrer):
        advance_lifecycle(session, [referrer.id], "ambassador", actor=actor, at=at,
                          reason=f"referred {referred.display_name} (contact {referred.id})")
    return referral


def promote_reviewer(session: Session, contact_id: int, *, actor: Actor, at: datetime | None = None) -> bool:
    """Make a customer who left a review (not spam) an ambassador; True when they moved, False when not eligible."""
    contact = live_contact(session, contact_id)
    review = session.scalar(
        select(Engagement).where(Engagement.contact_id == contact.id, Engagement.kind == "review",
                                 not_(Engagement.is_spam))
        .order_by(Engagement.occurred_at, Engagement.id).limit(1)
    )
    if review is None or not is_customer(session, contact):
        return False
    when = _aware(at, "at") if at is not None else utcnow()
    reason = f"left a review on {review.channel} on {review.occurred_at.astimezone(workspace_zone(session)):%Y-%m-%d}"
    return bool(advance_lifecycle(session, [contact.id], "ambassador", actor=actor, at=when, reason=reason))
