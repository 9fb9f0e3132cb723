"""Inbound signals from people (engagements) and outbound exposures from campaigns (touches)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import CHANNELS, one_of

ENGAGEMENT_KINDS = (
    "follow", "like", "comment", "share", "mention", "message", "reply",
    "form_submit", "visit", "review", "query",
)
TOUCH_KINDS = ("ad_click", "ad_view", "email_sent", "email_open", "email_click", "post_seen", "visit")


class Engagement(Base):
    """One inbound signal; its facts never change, only whether a person has answered it."""

    __tablename__ = "engagement"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        one_of("channel", CHANNELS),
        one_of("kind", ENGAGEMENT_KINDS),
        one_of("spam_decided_by", ("classifier", "user")),
        Index("ix_engagement_contact_at", "contact_id", "occurred_at"),
        # The inbox: only engagements still waiting for a personal reply, by channel and age.
        Index(
            "ix_engagement_waiting", "channel", "occurred_at",
            sqlite_where=text("answered_at IS NULL AND is_spam = 0"),
            postgresql_where=text("answered_at IS NULL AND NOT is_spam"),
        ),
        # ...and across all channels, longest-waiting first, without sorting everyone who waits.
        Index(
            "ix_engagement_waiting_age", "occurred_at",
            sqlite_where=text("answered_at IS NULL AND is_spam = 0"),
            postgresql_where=text("answered_at IS NULL AND NOT is_spam"),
        ),
    )

    id: Mapped[IdPK]
    source: Mapped[str] = mapped_column(String(60))
    external_id: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("campaign.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    is_spam: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who decided is_spam: the classifier, or a person (whose decision the classifier never overrides).
    spam_decided_by: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Touch(Base):
    """One outbound exposure attributed to a campaign, with its UTM data; the visitor may be anonymous."""

    __tablename__ = "touch"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        one_of("channel", CHANNELS),
        one_of("kind", TOUCH_KINDS),
        Index("ix_touch_contact_at", "contact_id", "occurred_at"),
    )

    id: Mapped[IdPK]
    source: Mapped[str] = mapped_column(String(60))
    external_id: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"))
    visitor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    campaign_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("campaign.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    utm_term: Mapped[str | None] = mapped_column(String(200))
    referrer: Mapped[str | None] = mapped_column(String(2000))
