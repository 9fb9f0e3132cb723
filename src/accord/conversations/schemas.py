"""Messages in and out of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
