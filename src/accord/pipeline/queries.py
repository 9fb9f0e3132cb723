"""Read models for deals and orders: the open pipeline and revenue over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.contacts.models import Contact
from accord.kernel.db import get_row
from accord.pipeline.models import OPEN_DEAL_STAGES, Deal, DealOffer, DealStageChange, Offer, Order, OrderLine, Proof


@dataclass(frozen=True)
class OpenDeals:
    """How many deals are open and their value per currency (minor units)."""

    count: int
    value_by_currency: dict[str, int]


def open_deals(session: Session) -> OpenDeals:
    """Deals not yet won, lost or moved to nurture."""
    rows = session.execute(
        select(Deal.currency, func.count(), func.sum(Deal.value_minor))
        .where(Deal.stage.in_(OPEN_DEAL_STAGES))
        .group_by(Deal.currency)
    ).all()
    return OpenDeals(sum(r[1] for r in rows), {r[0]: int(r[2] or 0) for r in rows})


def revenue_between(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Net revenue (refund lines netted) per currency, in minor units, for orders in [start, end)."""
    rows = session.execute(
        select(Order.currency, func.sum(OrderLine.quantity * OrderLine.unit_price_minor))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.ordered_at >= start, Order.ordered_at < end)
        .group_by(Order.currency)
    ).all()
    return {currency: int(total or 0) for currency, total in rows}


@dataclass(frozen=True)
class BoardDeal:
    """A deal card on the pipeline board."""

    id: int
    title: str
    contact_id: int
    contact_name: str
    value_minor: int
    currency: str
    expected_close_on: object
    version: int


def board(session: Session, *, per_stage: int = 25) -> dict[str, tuple[int, list[BoardDeal]]]:
    """Per open stage: how many deals, and the most valuable ones."""
    result: dict[str, tuple[int, list[BoardDeal]]] = {}
    counts = dict(
        session.execute(
            select(Deal.stage, func.count()).where(Deal.stage.in_(OPEN_DEAL_STAGES)).group_by(Deal.stage)
        ).all()
    )
    for stage in OPEN_DEAL_STAGES:
        rows = session.execute(
            select(Deal, Contact.display_name)
            .join(Contact, Contact.id == Deal.contact_id)
            .where(Deal.stage == stage)
            .order_by(Deal.value_minor.desc(), Deal.id)
            .limit(per_stage)
        ).all()
        cards = [
            BoardDeal(d.id, d.title, d.contact_id, name, d.value_minor, d.currency, d.expected_close_on, d.version)
            for d, name in rows
        ]
        result[stage] = (counts.get(stage, 0), cards)
    return result


@dataclass(frozen=True)
class DealLine:
    """An offer on a deal."""

    offer_id: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class DealDetail:
    """Everything the deal page shows: the deal, its person, offers, proof, stage history and order."""

    deal: Deal
    contact_name: str
    lines: list[DealLine]
    proof: list[Proof]
    history: list[DealStageChange]
    order_id: int | None


def deal_detail(session: Session, deal_id: int) -> DealDetail:
    """One deal with what the page needs; NotFound if absent."""
    deal = get_row(session, Deal, deal_id, "deal")
    lines = [DealLine(offer.id, offer.sku, offer.name, line.quantity, line.unit_price_minor)
             for line, offer in session.execute(select(DealOffer, Offer).join(Offer, Offer.id == DealOffer.offer_id)
                                                .where(DealOffer.deal_id == deal_id).order_by(Offer.id))]
    proof = list(session.scalars(select(Proof).where(Proof.deal_id == deal_id).order_by(Proof.delivered_at)))
    history = list(session.scalars(select(DealStageChange).where(DealStageChange.deal_id == deal_id)
                                   .order_by(DealStageChange.changed_at, DealStageChange.id)))
    order_id = session.scalar(select(Order.id).where(Order.deal_id == deal_id).limit(1))
    return DealDetail(deal, session.get(Contact, deal.contact_id).display_name, lines, proof, history, order_id)


def deals_of(session: Session, contact_id: int) -> list[Deal]:
    """A contact's deals, newest first."""
    return list(session.scalars(select(Deal).where(Deal.contact_id == contact_id).order_by(Deal.created_at.desc())))


def active_offers(session: Session) -> list[Offer]:
    """Offers that can go on a deal, by name."""
    return list(session.scalars(select(Offer).where(Offer.active.is_(True)).order_by(Offer.name)))


@dataclass(frozen=True)
class ContactOrder:
    """One of a contact's orders with its net total (refund lines netted)."""

    id: int
    ordered_at: datetime
    channel: str
    currency: str
    net_minor: int
    lines: int
    deal_id: int | None


def orders_of(session: Session, contact_id: int, *, limit: int = 50) -> list[ContactOrder]:
    """A contact's orders, newest first, each with its net total."""
    rows = session.execute(
        select(Order.id, Order.ordered_at, Order.channel, Order.currency, Order.deal_id,
               func.sum(OrderLine.quantity * OrderLine.unit_price_minor), func.count(OrderLine.id))
        .join(OrderLine, OrderLine.order_id == Order.id).where(Order.contact_id == contact_id)
        .group_by(Order.id, Order.ordered_at, Order.channel, Order.currency, Order.deal_id)
        .order_by(Order.ordered_at.desc(), Order.id.desc()).limit(limit)
    )
    return [ContactOrder(oid, at, channel, currency, int(net or 0), count, deal_id)
            for oid, at, channel, currency, deal_id, net, count in rows]
