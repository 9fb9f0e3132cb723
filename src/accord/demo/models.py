"""What the demo generator loaded, and the true persona it gave each contact."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import one_of


class DemoRun(Base):
    """One completed load of the demo business, so that a second run adds nothing."""

    __tablename__ = "demo_run"
    __table_args__ = (one_of("status", ("loading", "loaded")),)

    id: Mapped[IdPK]
    seed: Mapped[int] = mapped_column(Integer)
    scale: Mapped[str] = mapped_column(String(10))
    anchor_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DemoPersonaTruth(Base):
    """The latent persona the generator drew for a contact, to check discovery against."""

    __tablename__ = "demo_persona_truth"

    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    persona_key: Mapped[str] = mapped_column(String(40))
