"""Customer templates, declared as rules or discovered as clusters, and how well each contact fits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import one_of


class Persona(Base):
    """A template of the true customer."""

    __tablename__ = "persona"
    __table_args__ = (one_of("kind", ("declared", "discovered")),)

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonaFit(Base):
    """How well one contact fits one persona, from 0 to 1."""

    __tablename__ = "persona_fit"
    __table_args__ = (CheckConstraint("score >= 0 AND score <= 1", name="score_in_unit_range"),)

    persona_id: Mapped[int] = mapped_column(BigId, ForeignKey("persona.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
