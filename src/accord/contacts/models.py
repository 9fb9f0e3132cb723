"""People and the companies they belong to, and every way to reach or recognise them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import CHANNELS, LIFECYCLE_STAGES, one_of

IDENTITY_KINDS = ("email", "phone", "handle")


class Organisation(Base):
    """A company a contact belongs to."""

    __tablename__ = "organisation"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(80))
    size: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contact(Base):
    """A person, at one lifecycle stage."""

    __tablename__ = "contact"
    __table_args__ = (
        one_of("lifecycle_stage", LIFECYCLE_STAGES),
        one_of("first_channel", CHANNELS),
        Index("ix_contact_lifecycle_stage", "lifecycle_stage"),
    )

    id: Mapped[IdPK]
    display_name: Mapped[str] = mapped_column(String(200))
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="follower")
    first_channel: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    owner_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )


class Identity(Base):
    """One way to reach or recognise a contact; unique in the workspace.

    Emails and phones carry their kind as channel, so one unique key covers all three kinds.
    """

    __tablename__ = "identity"
    __table_args__ = (
        UniqueConstraint("kind", "channel", "value"),
        one_of("kind", IDENTITY_KINDS),
        one_of("channel", CHANNELS),
        CheckConstraint("kind = 'handle' OR channel = kind", name="email_phone_channel"),
        CheckConstraint("length(value) > 0", name="value_not_empty"),
    )

    id: Mapped[IdPK]
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactMerge(Base):
    """Two records found to be one person: what moved from the merged contact to the kept one, for undo."""

    __tablename__ = "contact_merge"
    __table_args__ = (CheckConstraint("kept_contact_id <> merged_contact_id", name="not_self"),)

    id: Mapped[IdPK]
    kept_contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    merged_contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    moved: Mapped[dict[str, Any]] = mapped_column(JSON)
    kept_before: Mapped[dict[str, Any]] = mapped_column(JSON)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    merged_by: Mapped[str] = mapped_column(String(120))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContactAttribute(Base):
    """A fact about a contact beyond the fixed columns: an interest, a place they spend time, how they came in.

    One row a value, so a key can hold several (interests) and every engine can group and join on it.
    """

    __tablename__ = "contact_attribute"
    __table_args__ = (
        CheckConstraint("length(key) > 0", name="key_not_empty"),
        Index("ix_contact_attribute_key_value", "key", "value"),
    )

    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
