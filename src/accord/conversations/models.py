"""Personal exchanges with a contact, the queries that need answers, and what they teach."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import CHANNELS, one_of

QUERY_KINDS = ("question", "concern", "complaint", "suggestion")
INSIGHT_KINDS = ("need", "product_idea", "objection")
LEGAL_BASES = ("consent", "legitimate_interest", "transactional")


class Conversation(Base):
    """A thread of messages with one contact on one channel."""

    __tablename__ = "conversation"
    __table_args__ = (one_of("channel", CHANNELS), one_of("status", ("open", "closed")))

    id: Mapped[IdPK]
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    """One inbound or outbound message, with its author and the legal basis for sending it."""

    __tablename__ = "message"
    __table_args__ = (
        one_of("direction", ("inbound", "outbound")),
        one_of("channel", CHANNELS),
        one_of("legal_basis", LEGAL_BASES),
        CheckConstraint("direction = 'inbound' OR legal_basis IS NOT NULL", name="outbound_has_basis"),
        Index("ix_message_conversation_at", "conversation_id", "sent_at"),
    )

    id: Mapped[IdPK]
    conversation_id: Mapped[int] = mapped_column(BigId, ForeignKey("conversation.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))
    author_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    in_reply_to_engagement_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("engagement.id", ondelete="SET NULL")
    )
    legal_basis: Mapped[str | None] = mapped_column(String(30))


class Query(Base):
    """A question, concern, complaint or suggestion, timed from opened to first response to resolved."""

    __tablename__ = "query"
    __table_args__ = (
        one_of("kind", QUERY_KINDS),
        one_of("channel", CHANNELS),
        CheckConstraint("first_response_at IS NULL OR first_response_at >= opened_at", name="response_after_open"),
        CheckConstraint("resolved_at IS NULL OR resolved_at >= opened_at", name="resolved_after_open"),
        Index("ix_query_open", "first_response_at", "opened_at"),
    )

    id: Mapped[IdPK]
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("conversation.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))


insight_query = Table(
    "insight_query",
    Base.metadata,
    Column("insight_id", BigId, ForeignKey("insight.id", ondelete="CASCADE"), primary_key=True),
    Column("query_id", BigId, ForeignKey("query.id", ondelete="CASCADE"), primary_key=True),
)


class Insight(Base):
    """Something the business learned (a need, a product idea, an objection), backed by queries."""

    __tablename__ = "insight"
    __table_args__ = (one_of("kind", INSIGHT_KINDS),)

    id: Mapped[IdPK]
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))


class SlaTarget(Base):
    """How fast queries on a channel must be answered and resolved, in business minutes."""

    __tablename__ = "sla_target"
    __table_args__ = (
        one_of("channel", CHANNELS),
        CheckConstraint("first_response_minutes > 0", name="response_positive"),
        CheckConstraint("resolution_minutes IS NULL OR resolution_minutes >= first_response_minutes",
                        name="resolution_after_response"),
    )

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
