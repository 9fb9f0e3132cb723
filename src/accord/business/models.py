"""The business review as versions of entries and a vision, and the competitors watched, with dated observations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import one_of

ENTRY_KINDS = ("need", "opportunity", "improvement", "strength", "exception")
COMPETITOR_SCOPES = ("local", "international")


class BusinessVersion(Base):
    """One saved version of the business review: the vision and, in its entries, everything else."""

    __tablename__ = "business_version"
    __table_args__ = (CheckConstraint("number > 0", name="number_positive"),)

    id: Mapped[IdPK]
    number: Mapped[int] = mapped_column(Integer, unique=True)
    vision: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(300), default="")  # why this version was saved
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))


class BusinessEntry(Base):
    """A need, opportunity, improvement, strength or exception as one version of the review states it."""

    __tablename__ = "business_entry"
    __table_args__ = (
        one_of("kind", ENTRY_KINDS),
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        Index("ix_business_entry_version", "version_id", "kind", "position"),
    )

    id: Mapped[IdPK]
    version_id: Mapped[int] = mapped_column(BigId, ForeignKey("business_version.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Competitor(Base):
    """Another business in the industry, nearby or abroad."""

    __tablename__ = "competitor"
    __table_args__ = (one_of("scope", COMPETITOR_SCOPES),)

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope: Mapped[str] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CompetitorObservation(Base):
    """What was seen a competitor doing, on a day."""

    __tablename__ = "competitor_observation"
    __table_args__ = (
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        Index("ix_competitor_observation_on", "competitor_id", "observed_on"),
    )

    id: Mapped[IdPK]
    competitor_id: Mapped[int] = mapped_column(BigId, ForeignKey("competitor.id", ondelete="CASCADE"))
    observed_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
