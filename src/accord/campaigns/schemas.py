"""Campaign shapes for services and the API: a campaign as planned, a day's spend, and what was spent."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class CampaignIn(BaseModel):
    """A campaign as planned; the service checks every field and names the one at fault."""

    model_config = ConfigDict(extra="forbid")

    name: str
    channel: str
    starts_on: date
    ends_on: date
    budget_minor: int = Field(description="the budget in minor units of `currency` (R1 250,00 is 125000)")
    currency: str = Field(description="ISO 4217 code of the budget, e.g. ZAR")
    status: str = "planned"
    ideas: str = ""
    persona_id: int | None = None
    goal_id: int | None = None
    plan_id: int | None = None
    utm_campaign: str | None = Field(default=None, description="the utm_campaign value its links carry")


class CampaignOut(BaseModel):
    """A stored campaign."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    channel: str
    starts_on: date
    ends_on: date
    budget_minor: int
    currency: str
    status: str
    ideas: str
    persona_id: int | None
    goal_id: int | None
    plan_id: int | None
    utm_campaign: str | None
    created_at: datetime


class SpendEntryIn(BaseModel):
    """What a campaign cost on one day, entered by a person."""

    model_config = ConfigDict(extra="forbid")

    spent_on: date
    amount_minor: int = Field(description="minor units of `currency`")
    currency: str
    note: str = ""


class SpendOut(BaseModel):
    """A stored spend row."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    spent_on: date
    amount_minor: int
    currency: str
    note: str
    source: str
    external_id: str


class CampaignSpendOut(BaseModel):
    """A campaign's budget against what it cost, both in the workspace's base currency where a rate allows."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    channel: str
    status: str
    starts_on: date
    ends_on: date
    plan_id: int | None
    goal_id: int | None
    persona_id: int | None
    budget_minor: int
    currency: str
    base_currency: str
    budget_base_minor: int | None = Field(description="the budget at the rate in force on the campaign's first day")
    spent_base_minor: int = Field(description="every spend row converted with the rate in force on its day")
    unconverted: dict[str, int] = Field(description="spend left out for want of a rate, per currency (minor units)")
