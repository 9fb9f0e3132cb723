"""Engagement and inbox shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from accord.engagement.models import ENGAGEMENT_KINDS
from accord.kernel.vocabulary import CHANNELS

Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Kind = Literal[ENGAGEMENT_KINDS]  # type: ignore[valid-type]


class EngagementIn(BaseModel):
    """An engagement sent to the API; at least one of email, phone or handle identifies the person."""

    source: str = Field(min_length=1, max_length=60)
    external_id: str = Field(min_length=1, max_length=200)
    channel: Channel
    kind: Kind
    occurred_at: AwareDatetime
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    handle: str | None = Field(default=None, max_length=320)
    text: str | None = Field(default=None, max_length=10_000)
    url: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _someone(self) -> "EngagementIn":
        if not (self.email or self.phone or self.handle):
            raise ValueError("give an email, phone or handle so the person can be known")
        return self


class EngagementOut(BaseModel):
    """A recorded engagement."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    external_id: str
    contact_id: int
    channel: str
    kind: str
    occurred_at: datetime
    text: str | None
    is_spam: bool
    answered_at: datetime | None


class WaitingItemOut(BaseModel):
    """One engagement waiting in the inbox."""

    model_config = ConfigDict(from_attributes=True)

    engagement_id: int
    contact_id: int
    contact_name: str
    channel: str
    kind: str
    text: str | None
    occurred_at: datetime
    persona: str | None
    fit: float | None


class InboxOut(BaseModel):
    """The inbox: counts per channel and the longest-waiting items."""

    total: int
    by_channel: dict[str, int]
    items: list[WaitingItemOut]
