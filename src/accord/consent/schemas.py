"""Consent in and out of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ConsentIn(BaseModel):
    """A permission the person gave, with its evidence."""

    model_config = ConfigDict(extra="forbid")

    purpose: str
    channel: str
    evidence_source: str = Field(max_length=200)
    evidence_text: str


class WithdrawIn(BaseModel):
    """A withdrawal the person asked for; no channel withdraws the purpose on every channel."""

    model_config = ConfigDict(extra="forbid")

    purpose: str
    channel: str | None = None
    evidence_source: str = Field(default="recorded through the API", max_length=200)


class ConsentOut(BaseModel):
    """One row of the permission ledger."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    purpose: str
    channel: str
    granted_at: datetime
    withdrawn_at: datetime | None
    evidence_source: str
    evidence_text: str
