"""Goals, the written plan and the review cycles that close the do-review-learn loop."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import one_of

GOAL_METRICS = ("revenue", "new_customers", "conversion_rate", "response_time", "engaged_contacts")
GOAL_UNITS = ("minor_units", "count", "basis_points", "seconds")
GOAL_DIRECTIONS = ("at_least", "at_most")  # response time is met by staying under the target


class Goal(Base):
    """A target on a metric for a period; money targets are minor units with a currency."""

    __tablename__ = "goal"
    __table_args__ = (
        one_of("metric", GOAL_METRICS),
        one_of("unit", GOAL_UNITS),
        one_of("direction", GOAL_DIRECTIONS),
        CheckConstraint("period_end > period_start", name="period_not_empty"),
        CheckConstraint("unit <> 'minor_units' OR currency IS NOT NULL", name="money_has_currency"),
    )

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(20))
    target: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(10), default="at_least", server_default="at_least")
    plan_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("plan.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Plan(Base):
    """The written marketing plan for a period: vision and the campaigns under it."""

    __tablename__ = "plan"
    __table_args__ = (CheckConstraint("period_end > period_start", name="period_not_empty"),)

    id: Mapped[IdPK]
    title: Mapped[str] = mapped_column(String(200))
    vision: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewCycle(Base):
    """A periodic review: a snapshot of metrics against goals, what was learned and what changes."""

    __tablename__ = "review_cycle"
    __table_args__ = (
        one_of("status", ("open", "closed")),
        CheckConstraint("ends_on > starts_on", name="period_not_empty"),
    )

    id: Mapped[IdPK]
    plan_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("plan.id", ondelete="SET NULL"))
    previous_cycle_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("review_cycle.id", ondelete="SET NULL"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    learned: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
