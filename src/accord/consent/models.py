"""The permission ledger: who allowed what contact, for which purpose, on which channel, with evidence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import CHANNELS, CONSENT_PURPOSES, one_of


class Consent(Base):
    """One grant of permission, and its withdrawal when that comes."""

    __tablename__ = "consent"
    __table_args__ = (
        one_of("purpose", CONSENT_PURPOSES),
        one_of("channel", CHANNELS),
        CheckConstraint("withdrawn_at IS NULL OR withdrawn_at >= granted_at", name="withdrawn_after_granted"),
        Index("ix_consent_contact_purpose", "contact_id", "purpose", "channel"),
    )

    id: Mapped[IdPK]
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_source: Mapped[str] = mapped_column(String(200))
    evidence_text: Mapped[str] = mapped_column(Text)
    recorded_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
