"""Follow-up tasks, cadences of them, and referrals from customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime


class Cadence(Base):
    """A named sequence of follow-ups, e.g. a check-in 7 days after purchase and a 30-day care call."""

    __tablename__ = "cadence"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Task(Base):
    """Something a person in the business must do for a contact by a time."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_due", "assigned_user_id", "done_at", "due_at"),)

    id: Mapped[IdPK]
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    deal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("deal.id", ondelete="SET NULL"))
    cadence_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cadence.id", ondelete="SET NULL"))
    assigned_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Referral(Base):
    """A contact who brought another, and the reward for it."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint("referrer_contact_id <> referred_contact_id", name="not_self"),
        CheckConstraint("reward_minor >= 0", name="reward_not_negative"),
    )

    id: Mapped[IdPK]
    referrer_contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    referred_contact_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contact.id", ondelete="CASCADE"), unique=True
    )
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reward_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reward_currency: Mapped[str] = mapped_column(String(3))
