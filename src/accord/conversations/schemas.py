"""Messages, queries, SLA targets and insights in and out of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class MessageIn(BaseModel):
    """A message to send (email) or log (other channels); a purpose unless it answers their engagement or query."""

    model_config = ConfigDict(extra="forbid")

    channel: str
    body: str
    subject: str | None = None
    purpose: str | None = None
    answering_engagement_id: int | None = None
    answering_query_id: int | None = None


class BulkMessageIn(BaseModel):
    """One message, personalised for each contact, sent only if every one of them gave permission."""

    model_config = ConfigDict(extra="forbid")

    contact_ids: list[int]
    channel: str
    purpose: str
    body: str
    subject: str | None = None


class MessageOut(BaseModel):
    """A message as stored, with the legal basis it was sent on."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    direction: str
    channel: str
    body: str
    sent_at: datetime
    legal_basis: str | None
    in_reply_to_engagement_id: int | None


class QueryIn(BaseModel):
    """A question, concern, complaint or suggestion to record; its SLA clock starts at opened_at (default now)."""

    model_config = ConfigDict(extra="forbid")

    contact_id: int
    kind: str
    channel: str
    text: str
    opened_at: AwareDatetime | None = None
    conversation_id: int | None = None
    assigned_user_id: int | None = None


class QueryOut(BaseModel):
    """A query as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    conversation_id: int | None
    kind: str
    channel: str
    text: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    assigned_user_id: int | None


class ResolveIn(BaseModel):
    """When the query was resolved (default now)."""

    model_config = ConfigDict(extra="forbid")

    resolved_at: AwareDatetime | None = None


class AssignIn(BaseModel):
    """Who should answer the query (null to unassign)."""

    model_config = ConfigDict(extra="forbid")

    user_id: int | None


class OpenQueryOut(BaseModel):
    """An unresolved query: what it waits for, when that is due, and business minutes left (negative: overdue)."""

    model_config = ConfigDict(from_attributes=True)

    query_id: int
    contact_id: int
    contact_name: str
    kind: str
    channel: str
    text: str
    opened_at: datetime
    first_response_at: datetime | None
    assigned_user_id: int | None
    assigned_name: str | None
    waiting_for: str
    due: datetime | None
    minutes_left: int | None
    overdue: bool


class OpenQueriesOut(BaseModel):
    """Open queries, the longest overdue first."""

    total: int
    overdue: int
    items: list[OpenQueryOut]


class BreachOut(BaseModel):
    """One missed target: due, met (null while still waiting) and business minutes late."""

    model_config = ConfigDict(from_attributes=True)

    query_id: int
    contact_id: int
    contact_name: str
    kind: str
    channel: str
    text: str
    opened_at: datetime
    assigned_name: str | None
    target: str
    due: datetime
    met_at: datetime | None
    late_minutes: int


class SlaTargetIn(BaseModel):
    """Business minutes allowed for the first response and (optionally) for resolution."""

    model_config = ConfigDict(extra="forbid")

    first_response_minutes: int
    resolution_minutes: int | None = None


class SlaTargetOut(BaseModel):
    """A channel's SLA target in business minutes."""

    model_config = ConfigDict(from_attributes=True)

    channel: str
    first_response_minutes: int
    resolution_minutes: int | None


class FiguresOut(BaseModel):
    """First-response figures for a channel or person, in business minutes (median and p90 by nearest rank)."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    queries: int
    answered: int
    median_minutes: int | None
    p90_minutes: int | None
    in_time: int
    decided: int
    share_in_time: float | None


class SlaOut(BaseModel):
    """The targets per channel and how queries opened in the period were answered against them."""

    days: int
    targets: list[SlaTargetOut]
    by_channel: list[FiguresOut]
    by_person: list[FiguresOut]


class InsightIn(BaseModel):
    """An insight and the ids of the queries that support it."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    title: str
    description: str = ""
    query_ids: list[int] = Field(default_factory=list)


class LinkIn(BaseModel):
    """More queries that support an insight."""

    model_config = ConfigDict(extra="forbid")

    query_ids: list[int]


class SupportingQueryOut(BaseModel):
    """A query behind an insight."""

    model_config = ConfigDict(from_attributes=True)

    query_id: int
    kind: str
    channel: str
    text: str
    opened_at: datetime


class InsightOut(BaseModel):
    """An insight with its number of supporting queries, the latest of their dates, and the queries."""

    model_config = ConfigDict(from_attributes=True)

    insight_id: int
    kind: str
    title: str
    description: str
    created_at: datetime
    supporting: int
    latest_supporting_at: datetime | None
    queries: list[SupportingQueryOut]
