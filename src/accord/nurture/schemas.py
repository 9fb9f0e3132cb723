"""Nurture shapes for the API: cadences, tasks, the due list and referrals."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from accord.nurture.queries import DueList


class CadenceIn(BaseModel):
    """A named sequence of follow-ups; the service checks each step and names the one at fault."""

    model_config = ConfigDict(extra="forbid")

    name: str
    steps: list[Any] = Field(description='e.g. [{"after_days": 7, "title": "Check-in after purchase"}]')


class CadenceOut(BaseModel):
    """A stored cadence."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    steps: list[dict[str, Any]]


class CadenceStartIn(BaseModel):
    """Start a cadence for a contact; without assigned_user_id the tasks go to the token's user."""

    model_config = ConfigDict(extra="forbid")

    contact_id: int
    start_at: AwareDatetime
    assigned_user_id: int | None = None
    deal_id: int | None = None


class TaskIn(BaseModel):
    """A task for a contact; without assigned_user_id it goes to the token's user."""

    model_config = ConfigDict(extra="forbid")

    contact_id: int
    title: str
    due_at: AwareDatetime
    assigned_user_id: int | None = None
    deal_id: int | None = None
    notes: str = ""


class TaskOut(BaseModel):
    """A stored task."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    deal_id: int | None
    cadence_id: int | None
    assigned_user_id: int | None
    title: str
    notes: str
    due_at: datetime
    done_at: datetime | None
    created_at: datetime


class CadenceStartOut(BaseModel):
    """The tasks of a cadence start; created is False when that start had been made before."""

    cadence_id: int
    created: bool
    tasks: list[TaskOut]


class RescheduleIn(BaseModel):
    """A new due time."""

    model_config = ConfigDict(extra="forbid")

    due_at: AwareDatetime


class ReassignIn(BaseModel):
    """Who the task goes to."""

    model_config = ConfigDict(extra="forbid")

    assigned_user_id: int


class DueTaskOut(BaseModel):
    """A task on a due list, with the bucket it is in: overdue, today or week."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    notes: str
    due_at: datetime
    contact_id: int
    contact_name: str
    deal_id: int | None
    cadence: str | None
    bucket: str


class OnTimeOut(BaseModel):
    """Of the tasks whose due time passed in the last 30 days, how many were done by it."""

    model_config = ConfigDict(from_attributes=True)

    done_on_time: int
    due: int
    share: float | None


class DueListOut(BaseModel):
    """A user's due list as of a moment, in the workspace's calendar."""

    user_id: int
    user_name: str
    as_of: datetime
    day: date
    time_zone: str
    counts: dict[str, int]
    later: int
    on_time: OnTimeOut
    items: list[DueTaskOut]

    @classmethod
    def of(cls, listing: "DueList", due: str | None) -> "DueListOut":
        """The API's view of a due list, with the tasks of one bucket or of all three."""
        window = listing.window
        return cls(user_id=listing.user_id, user_name=listing.user_name, as_of=window.now, day=window.day,
                   time_zone=window.tz.key, counts=listing.counts, later=listing.later,
                   on_time=OnTimeOut.model_validate(listing.on_time),
                   items=[DueTaskOut.model_validate(t) for t in listing.tasks(due)])


class ReferralIn(BaseModel):
    """One contact brought another; without referred_at it is now."""

    model_config = ConfigDict(extra="forbid")

    referrer_id: int
    referred_id: int
    reward_minor: int = 0
    reward_currency: str
    referred_at: AwareDatetime | None = None


class ReferralOut(BaseModel):
    """A stored referral."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    referrer_contact_id: int
    referred_contact_id: int
    referred_at: datetime
    reward_minor: int
    reward_currency: str
