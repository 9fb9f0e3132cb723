"""Planned marketing efforts and what they cost."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import CHANNELS, one_of

CAMPAIGN_STATUSES = ("planned", "running", "done", "cancelled")


class Campaign(Base):
    """A marketing effort on one channel, for a persona and a goal, with a budget and dates."""

    __tablename__ = "campaign"
    __table_args__ = (
        one_of("channel", CHANNELS),
        one_of("status", CAMPAIGN_STATUSES),
        CheckConstraint("budget_minor >= 0", name="budget_not_negative"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    utm_campaign: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    persona_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("persona.id", ondelete="SET NULL"))
    goal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("goal.id", ondelete="SET NULL"))
    plan_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("plan.id", ondelete="SET NULL"))
    budget_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    ideas: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Spend(Base):
    """What a campaign cost on one day."""

    __tablename__ = "spend"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_spend_campaign_on", "campaign_id", "spent_on"),
    )

    id: Mapped[IdPK]
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaign.id", ondelete="CASCADE"))
    spent_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(60))
    external_id: Mapped[str] = mapped_column(String(200))
