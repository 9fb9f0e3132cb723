"""Read models for nurture: a user's due list, the team's, a contact's tasks and referrals, and every referral."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.errors import Invalid
from accord.kernel.db import get_row
from accord.kernel.money import Money
from accord.kernel.workspace import workspace_zone
from accord.nurture.models import Cadence, Referral, Task
from accord.nurture.service import ASSIGNABLE_ROLES, at_local

BUCKETS = ("overdue", "today", "week")
ON_TIME_DAYS = 30


@dataclass(frozen=True)
class DueTask:
    """One open task on a due list, with the person it is for."""

    id: int
    title: str
    notes: str
    due_at: datetime
    contact_id: int
    contact_name: str
    deal_id: int | None
    cadence: str | None
    bucket: str


@dataclass(frozen=True)
class OnTime:
    """Of the tasks whose due time passed in the last 30 days, how many were done by it."""

    done_on_time: int
    due: int

    @property
    def share(self) -> float | None:
        """The share done on time, or None when nothing was due."""
        return self.done_on_time / self.due if self.due else None


@dataclass(frozen=True)
class Window:
    """Now, and where today and this week (Monday to Sunday) end in UTC, by the workspace's calendar."""

    now: datetime
    tz: ZoneInfo
    day: date
    day_end: datetime
    week_end: datetime

    @classmethod
    def at(cls, now: datetime, tz: ZoneInfo) -> "Window":
        """The window around `now` in zone `tz`."""
        if now.tzinfo is None:
            raise Invalid("now", f"{now!r} has no time zone")
        day = now.astimezone(tz).date()
        return cls(now, tz, day, at_local(day + timedelta(days=1), time(0), tz),
                   at_local(day + timedelta(days=7 - day.weekday()), time(0), tz))

    def bucket(self, due_at: datetime) -> str | None:
        """overdue, today or week for an open task due then; None when it is due after this week."""
        if due_at < self.now:
            return "overdue"
        if due_at < self.day_end:
            return "today"
        return "week" if due_at < self.week_end else None


@dataclass(frozen=True)
class DueList:
    """A user's open tasks: overdue, due later today, due later this week; and how well they keep them."""

    user_id: int
    user_name: str
    window: Window
    overdue: list[DueTask]
    today: list[DueTask]
    week: list[DueTask]
    counts: dict[str, int]
    later: int
    on_time: OnTime

    def tasks(self, due: str | None = None) -> list[DueTask]:
        """The tasks of one bucket, or of all three in order."""
        if due is None:
            return [*self.overdue, *self.today, *self.week]
        if due not in BUCKETS:
            raise Invalid("due", f"'{due}' is not one of {', '.join(BUCKETS)}")
        return list(getattr(self, due))


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def _figures(window: Window) -> list:
    """Open tasks overdue, due later today, later this week and after it; then done on time of those due lately."""
    open_ = Task.done_at.is_(None)
    due = and_(Task.due_at >= window.now - timedelta(days=ON_TIME_DAYS), Task.due_at < window.now)
    return [
        _count(and_(open_, Task.due_at < window.now)),
        _count(and_(open_, Task.due_at >= window.now, Task.due_at < window.day_end)),
        _count(and_(open_, Task.due_at >= window.day_end, Task.due_at < window.week_end)),
        _count(and_(open_, Task.due_at >= window.week_end)),
        _count(and_(due, Task.done_at.is_not(None), Task.done_at <= Task.due_at)),
        _count(due),
    ]


def _user(session: Session, user_id: int) -> User:
    return get_row(session, User, user_id, "user")


def due_list(session: Session, user_id: int, *, now: datetime, limit: int = 200) -> DueList:
    """A user's open tasks due by the end of this week, bucketed in the workspace's calendar, oldest first.

    Each bucket lists at most `limit` tasks; `counts` has the full numbers, `later` those due after this week.
    """
    user = _user(session, user_id)
    window = Window.at(now, workspace_zone(session))
    overdue, today, week, later, kept, due = (
        int(v or 0) for v in session.execute(select(*_figures(window)).where(Task.assigned_user_id == user.id)).one()
    )
    rows = session.execute(
        select(Task, Contact.display_name, Cadence.name)
        .join(Contact, Contact.id == Task.contact_id).outerjoin(Cadence, Cadence.id == Task.cadence_id)
        .where(Task.assigned_user_id == user.id, Task.done_at.is_(None), Task.due_at < window.week_end)
        .order_by(Task.due_at, Task.id)
    )
    lists: dict[str, list[DueTask]] = {name: [] for name in BUCKETS}
    for task, name, cadence in rows:
        which = window.bucket(task.due_at)
        if len(lists[which]) < limit:
            lists[which].append(DueTask(task.id, task.title, task.notes, task.due_at, task.contact_id, name,
                                        task.deal_id, cadence, which))
    return DueList(user.id, user.name, window, lists["overdue"], lists["today"], lists["week"],
                   {"overdue": overdue, "today": today, "week": week}, later, OnTime(kept, due))


@dataclass(frozen=True)
class TeamMember:
    """One person's open follow-ups in numbers, for the owner's team view; user_id None is the unassigned."""

    user_id: int | None
    name: str
    role: str
    overdue: int
    today: int
    week: int
    on_time: OnTime


def team_due(session: Session, *, now: datetime) -> list[TeamMember]:
    """Every active salesperson, marketer and owner (and anyone else holding tasks), most overdue first."""
    window = Window.at(now, workspace_zone(session))
    figures = {row[0]: row[1:] for row in session.execute(
        select(Task.assigned_user_id, *_figures(window)).group_by(Task.assigned_user_id)
    )}
    users = session.scalars(
        select(User).where(or_(and_(User.active, User.role.in_(ASSIGNABLE_ROLES)),
                               User.id.in_([u for u in figures if u is not None])))
    )
    people = [(user.id, user.name, user.role) for user in users]
    if None in figures:
        people.append((None, "Nobody (unassigned)", ""))
    members = []
    for user_id, name, role in people:
        overdue, today, week, _, kept, due = (int(v or 0) for v in figures.get(user_id, (0,) * 6))
        if user_id is None and not (overdue or today or week):
            continue
        members.append(TeamMember(user_id, name, role, overdue, today, week, OnTime(kept, due)))
    return sorted(members, key=lambda m: (-m.overdue, -m.today, -m.week, m.name))


@dataclass(frozen=True)
class ContactTask:
    """A task on a contact's page: open ones by due time, then the done ones."""

    id: int
    title: str
    notes: str
    due_at: datetime
    done_at: datetime | None
    assigned_user_id: int | None
    assignee: str | None
    deal_id: int | None
    cadence: str | None


def tasks_of(session: Session, contact_id: int) -> list[ContactTask]:
    """A contact's tasks: open ones soonest due first, then done ones most recently done first."""
    rows = session.execute(
        select(Task, User.name, Cadence.name)
        .outerjoin(User, User.id == Task.assigned_user_id).outerjoin(Cadence, Cadence.id == Task.cadence_id)
        .where(Task.contact_id == contact_id)
        .order_by(Task.done_at.is_not(None), Task.done_at.desc(), Task.due_at, Task.id)
    )
    return [ContactTask(t.id, t.title, t.notes, t.due_at, t.done_at, t.assigned_user_id, assignee, t.deal_id, cadence)
            for t, assignee, cadence in rows]


@dataclass(frozen=True)
class ReferralLine:
    """One referral: who brought whom, when, and the reward."""

    id: int
    referrer_id: int
    referrer_name: str
    referrer_stage: str
    referred_id: int
    referred_name: str
    referred_at: datetime
    reward: Money


@dataclass(frozen=True)
class ContactReferrals:
    """Who brought a contact, and whom they brought."""

    referred_by: ReferralLine | None
    brought: list[ReferralLine] = field(default_factory=list)


def _referral_lines(session: Session, *conditions, limit: int | None = None) -> list[ReferralLine]:
    referrer, referred = aliased(Contact), aliased(Contact)
    query = (
        select(Referral, referrer.display_name, referrer.lifecycle_stage, referred.display_name)
        .join(referrer, referrer.id == Referral.referrer_contact_id)
        .join(referred, referred.id == Referral.referred_contact_id)
        .where(*conditions).order_by(Referral.referred_at.desc(), Referral.id.desc()).limit(limit)
    )
    return [ReferralLine(r.id, r.referrer_contact_id, by, stage, r.referred_contact_id, whom, r.referred_at,
                         Money(r.reward_minor, r.reward_currency))
            for r, by, stage, whom in session.execute(query)]


def referrals_of(session: Session, contact_id: int) -> ContactReferrals:
    """Who referred this contact (if anyone) and everyone they referred, newest first."""
    lines = _referral_lines(session, or_(Referral.referred_contact_id == contact_id,
                                         Referral.referrer_contact_id == contact_id))
    by = next((line for line in lines if line.referred_id == contact_id), None)
    return ContactReferrals(by, [line for line in lines if line.referrer_id == contact_id])


@dataclass(frozen=True)
class ReferralBook:
    """The newest referrals, how many there are, and the rewards per currency."""

    lines: list[ReferralLine]
    total: int
    rewards: dict[str, int]


def list_referrals(session: Session, *, limit: int = 200) -> ReferralBook:
    """The newest referrals first, with the count of all and the rewards summed per currency."""
    rewards = dict(session.execute(
        select(Referral.reward_currency, func.sum(Referral.reward_minor)).group_by(Referral.reward_currency)
        .order_by(Referral.reward_currency)
    ).all())
    total = session.scalar(select(func.count()).select_from(Referral)) or 0
    return ReferralBook(_referral_lines(session, limit=limit), total, {c: int(v) for c, v in rewards.items()})


def list_cadences(session: Session) -> list[Cadence]:
    """Every cadence by name."""
    return list(session.scalars(select(Cadence).order_by(Cadence.name)))


def users_for_tasks(session: Session) -> list[User]:
    """The active users a task can be given to (owners, marketing and sales), by name."""
    return list(session.scalars(select(User).where(User.active, User.role.in_(ASSIGNABLE_ROLES)).order_by(User.name)))
