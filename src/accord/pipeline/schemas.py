"""Deals, proof and orders in and out of the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class OfferLineIn(BaseModel):
    """An offer on a new deal."""

    model_config = ConfigDict(extra="forbid")

    offer_id: int
    quantity: int = 1
    unit_price_minor: int | None = None


class QualifyIn(BaseModel):
    """The answer to "budget to buy now?": a deal for yes; purposes and their answer for no."""

    model_config = ConfigDict(extra="forbid")

    budget_now: bool
    reason: str = ""
    title: str | None = None
    offers: list[OfferLineIn] = Field(default_factory=list)
    expected_close_on: date | None = None
    currency: str | None = None
    purposes: list[str] = Field(default_factory=list)
    channel: str = "email"
    answer: str = "pending"


class QualificationOut(BaseModel):
    """A recorded qualification."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    asked_at: datetime
    budget_now: bool
    reason: str
    deal_id: int | None
    purposes: list[str]
    permission_answer: str | None


class VersionIn(BaseModel):
    """The deal version the caller last saw; a change from an older copy is refused with 409."""

    model_config = ConfigDict(extra="forbid")

    version: int


class MoveIn(VersionIn):
    """A move to another stage."""

    to_stage: str


class ClosePlanIn(VersionIn):
    """Where, how and by when."""

    where: str
    how: str
    by: date


class WinIn(VersionIn):
    """Winning: where it was sold."""

    channel: str = "other"
    location: str | None = None


class LoseIn(VersionIn):
    """Losing: a reason from the list and free text."""

    reason: str
    note: str = ""


class ProofIn(BaseModel):
    """A demo, trial, sample, testimonial or case study."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    title: str
    note: str = ""


class DealOut(BaseModel):
    """A deal as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    title: str
    stage: str
    value_minor: int
    currency: str
    expected_close_on: date | None
    close_where: str | None
    close_how: str | None
    close_by: date | None
    lost_reason: str | None
    lost_note: str | None
    closed_at: datetime | None
    version: int


class ProofOut(BaseModel):
    """Proof as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    deal_id: int | None
    offer_id: int | None
    delivered_at: datetime
    note: str


class OrderCreatedOut(BaseModel):
    """The order a won deal made."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    deal_id: int | None
    contact_id: int | None
    ordered_at: datetime
    channel: str
    currency: str
