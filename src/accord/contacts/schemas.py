"""Contact shapes for the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class IdentityOut(BaseModel):
    """One way to reach a contact."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    channel: str
    value: str


class ContactOut(BaseModel):
    """A contact in lists."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    display_name: str
    lifecycle_stage: str
    first_channel: str
    city: str | None
    region: str | None
    country: str | None
    organisation_id: int | None
    created_at: datetime


class ContactPageOut(BaseModel):
    """A page of contacts."""

    items: list[ContactOut]
    total: int
    page: int
    per_page: int


class TimelineEntryOut(BaseModel):
    """One row of a contact's timeline: an engagement of theirs or a recorded change."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    what: str
    detail: str
    by: str
    engagement_id: int | None


class ContactDetailOut(ContactOut):
    """A contact with identities and timeline."""

    identities: list[IdentityOut]
    timeline: list[TimelineEntryOut]


class MergeIn(BaseModel):
    """Which contact to merge into this one."""

    other_id: int


class MergeOut(BaseModel):
    """A merge of two contacts."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kept_contact_id: int
    merged_contact_id: int
    reason: str
    moved: dict[str, list[int]]
    merged_at: datetime
    undone_at: datetime | None
