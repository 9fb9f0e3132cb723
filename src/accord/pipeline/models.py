"""What is sold (offers), opportunities (deals) and completed sales (orders)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.kernel.db import BigId, Base, IdPK, UTCDateTime
from accord.kernel.vocabulary import CHANNELS, one_of

DEAL_STAGES = ("new", "qualified", "proof", "proposal", "closing", "won", "lost", "nurture")
OPEN_DEAL_STAGES = ("new", "qualified", "proof", "proposal", "closing")
LOST_REASONS = ("price", "timing", "no_budget", "chose_competitor", "no_response", "not_a_fit", "other")
PROOF_KINDS = ("demo", "trial", "sample", "testimonial", "case_study")
PERMISSION_ANSWERS = ("pending", "granted", "declined")


class Offer(Base):
    """A product or service, with its current price and unit cost."""

    __tablename__ = "offer"
    __table_args__ = (
        one_of("kind", ("product", "service")),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("unit_cost_minor >= 0", name="cost_not_negative"),
    )

    id: Mapped[IdPK]
    sku: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(80))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    unit_cost_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Deal(Base):
    """An opportunity with a contact: value, stage and the plan to close it."""

    __tablename__ = "deal"
    __table_args__ = (
        one_of("stage", DEAL_STAGES),
        CheckConstraint("value_minor >= 0", name="value_not_negative"),
        Index("ix_deal_stage", "stage"),
    )

    id: Mapped[IdPK]
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("campaign.id", ondelete="SET NULL"))
    owner_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), default="new")
    value_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close_on: Mapped[date | None] = mapped_column(Date)
    close_where: Mapped[str | None] = mapped_column(String(200))
    close_how: Mapped[str | None] = mapped_column(String(200))
    close_by: Mapped[date | None] = mapped_column(Date)
    lost_reason: Mapped[str | None] = mapped_column(String(60))
    lost_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic concurrency: every change bumps it, and a change made from a stale copy is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class DealAttribute(Base):
    """A fact about a deal beyond the fixed columns, e.g. the segment, the lead type or the behaviour profile."""

    __tablename__ = "deal_attribute"
    __table_args__ = (
        CheckConstraint("length(key) > 0", name="key_not_empty"),
        Index("ix_deal_attribute_key_value", "key", "value"),
    )

    deal_id: Mapped[int] = mapped_column(BigId, ForeignKey("deal.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)


class DealOffer(Base):
    """An offer on a deal, with the quantity and price proposed."""

    __tablename__ = "deal_offer"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
    )

    deal_id: Mapped[int] = mapped_column(BigId, ForeignKey("deal.id", ondelete="CASCADE"), primary_key=True)
    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offer.id", ondelete="RESTRICT"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)


class DealStageChange(Base):
    """Every move of a deal between stages, with its time; it feeds the funnel."""

    __tablename__ = "deal_stage_change"
    __table_args__ = (
        one_of("to_stage", DEAL_STAGES),
        Index("ix_deal_stage_change_deal_at", "deal_id", "changed_at"),
    )

    id: Mapped[IdPK]
    deal_id: Mapped[int] = mapped_column(BigId, ForeignKey("deal.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))


class Order(Base):
    """A completed sale (or a refund of one) at a location, through a channel, in one currency."""

    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        one_of("channel", CHANNELS),
        Index("ix_sales_order_ordered_at", "ordered_at"),
    )

    id: Mapped[IdPK]
    source: Mapped[str] = mapped_column(String(60))
    external_id: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    deal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("deal.id", ondelete="SET NULL"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderLine(Base):
    """Offer × quantity × unit price × unit cost at the time of sale; refunds have negative quantity."""

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
        CheckConstraint("unit_cost_minor IS NULL OR unit_cost_minor >= 0", name="cost_not_negative"),
    )

    id: Mapped[IdPK]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("sales_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    offer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("offer.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    unit_cost_minor: Mapped[int | None] = mapped_column(BigInteger)


class Proof(Base):
    """Evidence that an offer does what it says: a demo, trial or sample delivered, or a testimonial or case."""

    __tablename__ = "proof"
    __table_args__ = (
        one_of("kind", PROOF_KINDS),
        CheckConstraint("deal_id IS NOT NULL OR offer_id IS NOT NULL", name="about_a_deal_or_offer"),
        Index("ix_proof_deal", "deal_id"),
        Index("ix_proof_offer", "offer_id"),
    )

    id: Mapped[IdPK]
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    deal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("deal.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("offer.id", ondelete="RESTRICT"))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contact.id", ondelete="SET NULL"))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))


class Qualification(Base):
    """The answer to "budget to buy now?": yes opens a deal; no asks permission to stay in touch."""

    __tablename__ = "qualification"
    __table_args__ = (
        one_of("permission_answer", PERMISSION_ANSWERS),
        Index("ix_qualification_contact", "contact_id", "asked_at"),
    )

    id: Mapped[IdPK]
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contact.id", ondelete="CASCADE"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    budget_now: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    deal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("deal.id", ondelete="SET NULL"))
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    permission_answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    asked_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("app_user.id", ondelete="SET NULL"))
