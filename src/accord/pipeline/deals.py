"""The sales conversation's writes: qualify, move a deal, plan the close, record proof, win (an order) or lose.

Every change to a deal checks the version the user saw, so two people editing one deal cannot silently
overwrite each other, and writes its stage history and audit rows in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from accord.consent import service as consent
from accord.contacts.service import advance_lifecycle, live_contact
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.db import get_row
from accord.kernel.money import check_currency
from accord.kernel.vocabulary import CHANNELS
from accord.nurture.service import AFTER_PURCHASE, start_cadence
from accord.pipeline.models import (
    LOST_REASONS, OPEN_DEAL_STAGES, PROOF_KINDS, Deal, DealOffer, DealStageChange, Offer, Order, OrderLine, Proof,
    Qualification,
)

STAY_IN_TOUCH = ("information", "trial", "education", "inspiration")  # what "not now" may ask permission for
MAX_TEXT = 2000


@dataclass(frozen=True)
class OfferLine:
    """An offer on a deal: how many, and at what unit price (the offer's list price when not given)."""

    offer_id: int
    quantity: int = 1
    unit_price_minor: int | None = None


@dataclass(frozen=True)
class NewDeal:
    """What a "yes, there is a budget" opens: the offers, the expected close date, the currency."""

    title: str
    offers: Sequence[OfferLine]
    expected_close_on: date
    currency: str


@dataclass(frozen=True)
class NotNow:
    """What a "no budget now" records: the purposes they allow, on which channel, and their answer."""

    purposes: Sequence[str]
    channel: str = "email"
    answer: str = "pending"  # pending, granted or declined
    evidence_source: str = "qualification"
    evidence_text: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _text(field_name: str, value: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if required and not value:
        raise Invalid(field_name, "empty")
    if len(value) > limit:
        raise Invalid(field_name, f"{len(value):,} characters; the limit is {limit:,}")
    return value


def _deal(session: Session, deal_id: int, expected_version: int | None) -> Deal:
    deal = get_row(session, Deal, deal_id, "deal")
    if expected_version is not None and deal.version != expected_version:
        raise Conflict(f"deal {deal_id} was changed by someone else since you opened it (now version {deal.version}, "
                       f"you had {expected_version}); reload it and try again")
    return deal


def _flush(session: Session, deal: Deal) -> None:
    deal_id = deal.id  # read before the flush: a failed flush expires the object
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"deal {deal_id} was changed by someone else at the same moment; reload it and try again") from None


def _stage_change(session: Session, deal: Deal, to_stage: str, *, actor: Actor, at: datetime) -> None:
    before = deal.stage
    deal.stage = to_stage
    deal.updated_at = at
    session.add(DealStageChange(deal_id=deal.id, from_stage=before, to_stage=to_stage, changed_at=at,
                                changed_by_user_id=actor.user_id))
    _flush(session, deal)
    record(session, actor=actor, entity="deal", entity_id=deal.id, contact_id=deal.contact_id, action="stage",
           summary=f"Deal '{deal.title}': {before} → {to_stage}", before={"stage": before}, after={"stage": to_stage},
           at=at)


def _offer_lines(session: Session, lines: Sequence[OfferLine], currency: str) -> list[tuple[Offer, int, int]]:
    if not lines:
        raise Invalid("offers", "a deal needs at least one offer")
    priced = []
    seen: set[int] = set()
    for index, line in enumerate(lines):
        offer = session.get(Offer, line.offer_id)
        if offer is None:
            raise Invalid(f"offers[{index}].offer_id", f"no offer {line.offer_id}")
        if line.offer_id in seen:
            raise Invalid(f"offers[{index}].offer_id", f"offer {line.offer_id} is listed twice")
        seen.add(line.offer_id)
        if line.quantity <= 0:
            raise Invalid(f"offers[{index}].quantity", f"{line.quantity} is not a positive quantity")
        price = offer.price_minor if line.unit_price_minor is None else line.unit_price_minor
        if price < 0:
            raise Invalid(f"offers[{index}].unit_price", f"{price} is negative")
        if line.unit_price_minor is None and offer.currency != currency:
            raise Invalid(f"offers[{index}].unit_price", f"offer {offer.sku} is priced in {offer.currency}, the deal "
                                                         f"in {currency}; give the price in {currency}")
        priced.append((offer, line.quantity, price))
    return priced


def qualify(session: Session, contact_id: int, *, budget_now: bool, reason: str, actor: Actor,
            new_deal: NewDeal | None = None, not_now: NotNow | None = None, at: datetime | None = None) -> Qualification:
    """Record the answer to "budget to buy now?", its reason and time.

    Yes opens a deal in `qualified` with its offers and expected close date, and makes the contact an
    opportunity. No records which purposes they were asked to stay in touch for and their answer (a grant
    goes into the consent ledger), moves any open deal to nurture, and makes them a lead.
    """
    when = at or utcnow()
    contact = live_contact(session, contact_id)
    reason = _text("reason", reason)
    if budget_now:
        if new_deal is None:
            raise Invalid("deal", "a yes needs the deal: offers, value and expected close date")
        deal = open_deal(session, contact.id, new_deal, actor=actor, at=when)
        row = Qualification(contact_id=contact.id, asked_at=when, budget_now=True, reason=reason, deal_id=deal.id,
                            purposes=[], permission_answer=None, asked_by_user_id=actor.user_id)
        session.add(row)
        session.flush()
        record(session, actor=actor, entity="qualification", entity_id=row.id, contact_id=contact.id,
               action="qualified", summary=f"Budget to buy now: yes{f' ({reason})' if reason else ''}", at=when)
        return row
    if not_now is None or not not_now.purposes:
        raise Invalid("purposes", f"a no asks permission to stay in touch for one or more of {', '.join(STAY_IN_TOUCH)}")
    for purpose in not_now.purposes:
        if purpose not in STAY_IN_TOUCH:
            raise Invalid("purposes", f"'{purpose}' is not one of {', '.join(STAY_IN_TOUCH)}")
    if not_now.channel not in CHANNELS:
        raise Invalid("channel", f"'{not_now.channel}' is not one of {', '.join(CHANNELS)}")
    if not_now.answer not in ("pending", "granted", "declined"):
        raise Invalid("answer", f"'{not_now.answer}' is not pending, granted or declined")
    purposes = list(dict.fromkeys(not_now.purposes))
    row = Qualification(contact_id=contact.id, asked_at=when, budget_now=False, reason=reason, purposes=purposes,
                        permission_answer=not_now.answer, answered_at=None if not_now.answer == "pending" else when,
                        asked_by_user_id=actor.user_id)
    session.add(row)
    session.flush()
    record(session, actor=actor, entity="qualification", entity_id=row.id, contact_id=contact.id, action="not_now",
           summary=f"Budget to buy now: no{f' ({reason})' if reason else ''}; asked to stay in touch for "
                   f"{', '.join(purposes)} by {not_now.channel}: {not_now.answer}", at=when)
    if not_now.answer == "granted":
        _grant(session, contact.id, purposes, not_now, actor=actor, at=when)
    for deal in session.scalars(select(Deal).where(Deal.contact_id == contact.id, Deal.stage.in_(OPEN_DEAL_STAGES))):
        _stage_change(session, deal, "nurture", actor=actor, at=when)
    advance_lifecycle(session, [contact.id], "lead", actor=actor, at=when, reason="not now; staying in touch")
    return row


def _grant(session: Session, contact_id: int, purposes: Sequence[str], not_now: NotNow, *, actor: Actor,
           at: datetime) -> None:
    words = not_now.evidence_text.strip() or f"Stay in touch for {', '.join(purposes)} by {not_now.channel}"
    for purpose in purposes:
        consent.grant_consent(session, contact_id, purpose, not_now.channel, evidence_source=not_now.evidence_source,
                              evidence_text=words, actor=actor, at=at)


def answer_permission(session: Session, qualification_id: int, answer: str, *, actor: Actor, channel: str = "email",
                      evidence_text: str = "", at: datetime | None = None) -> Qualification:
    """Record the answer to a permission request sent earlier; a yes goes into the consent ledger."""
    row = get_row(session, Qualification, qualification_id, "qualification")
    if row.budget_now:
        raise Conflict(f"qualification {row.id} was a yes; no permission was asked")
    if row.permission_answer != "pending":
        raise Conflict(f"the permission request {row.id} was already answered: {row.permission_answer}")
    if answer not in ("granted", "declined"):
        raise Invalid("answer", f"'{answer}' is not granted or declined")
    when = at or utcnow()
    row.permission_answer, row.answered_at = answer, when
    session.flush()
    record(session, actor=actor, entity="qualification", entity_id=row.id, contact_id=row.contact_id,
           action="permission", summary=f"Permission to stay in touch for {', '.join(row.purposes)}: {answer}", at=when)
    if answer == "granted":
        _grant(session, row.contact_id, row.purposes,
               NotNow(row.purposes, channel, answer, "permission request", evidence_text), actor=actor, at=when)
    return row


def open_deal(session: Session, contact_id: int, new: NewDeal, *, actor: Actor, at: datetime | None = None,
              stage: str = "qualified") -> Deal:
    """A deal with offers, its value their sum, expected to close on a date not in the past."""
    when = at or utcnow()
    contact = live_contact(session, contact_id)
    title = _text("title", new.title, required=True, limit=200)
    currency = check_currency(new.currency)
    if new.expected_close_on < when.date():
        raise Invalid("expected_close_on", f"{new.expected_close_on} is in the past")
    priced = _offer_lines(session, new.offers, currency)
    value = sum(quantity * price for _, quantity, price in priced)
    deal = Deal(contact_id=contact.id, title=title, stage=stage, value_minor=value, currency=currency,
                expected_close_on=new.expected_close_on, owner_user_id=actor.user_id, created_at=when, updated_at=when)
    session.add(deal)
    session.flush()
    for offer, quantity, price in priced:
        session.add(DealOffer(deal_id=deal.id, offer_id=offer.id, quantity=quantity, unit_price_minor=price))
    session.add(DealStageChange(deal_id=deal.id, from_stage=None, to_stage=stage, changed_at=when,
                                changed_by_user_id=actor.user_id))
    session.flush()
    record(session, actor=actor, entity="deal", entity_id=deal.id, contact_id=contact.id, action="created",
           summary=f"Deal '{title}' opened at {stage}", after={"stage": stage, "value_minor": value,
                                                                "currency": currency}, at=when)
    advance_lifecycle(session, [contact.id], "opportunity", actor=actor, at=when, reason="a deal was opened")
    return deal


def move_deal(session: Session, deal_id: int, to_stage: str, *, expected_version: int, actor: Actor,
              at: datetime | None = None) -> Deal:
    """Move an open deal to another open stage (or to nurture); winning and losing have their own steps."""
    deal = _deal(session, deal_id, expected_version)
    if to_stage in ("won", "lost"):
        raise Invalid("stage", f"a deal is {to_stage} through its own step, which records the "
                               f"{'order' if to_stage == 'won' else 'reason'}")
    if to_stage not in (*OPEN_DEAL_STAGES, "nurture"):
        raise Invalid("stage", f"'{to_stage}' is not one of {', '.join((*OPEN_DEAL_STAGES, 'nurture'))}")
    if deal.stage in ("won", "lost"):
        raise Conflict(f"deal {deal.id} is {deal.stage}; a closed deal does not move")
    if deal.stage != to_stage:
        _stage_change(session, deal, to_stage, actor=actor, at=at or utcnow())
    return deal


def plan_close(session: Session, deal_id: int, *, where: str, how: str, by: date, expected_version: int,
               actor: Actor, at: datetime | None = None) -> Deal:
    """Make the purchase easy: where (a channel or place), how (the payment method) and by when."""
    when = at or utcnow()
    deal = _deal(session, deal_id, expected_version)
    if deal.stage in ("won", "lost"):
        raise Conflict(f"deal {deal.id} is {deal.stage}; its close plan is history")
    where, how = _text("close_where", where, required=True, limit=200), _text("close_how", how, required=True, limit=200)
    if by < when.date():
        raise Invalid("close_by", f"{by} is in the past")
    before = {"close_where": deal.close_where, "close_how": deal.close_how,
              "close_by": deal.close_by.isoformat() if deal.close_by else None}
    deal.close_where, deal.close_how, deal.close_by, deal.updated_at = where, how, by, when
    _flush(session, deal)
    record(session, actor=actor, entity="deal", entity_id=deal.id, contact_id=deal.contact_id, action="close_plan",
           summary=f"Close plan for '{deal.title}': {how} at {where} by {by:%d %b %Y}", before=before,
           after={"close_where": where, "close_how": how, "close_by": by.isoformat()}, at=when)
    return deal


def add_proof(session: Session, *, kind: str, title: str, actor: Actor, deal_id: int | None = None,
              offer_id: int | None = None, contact_id: int | None = None, note: str = "",
              delivered_at: datetime | None = None) -> Proof:
    """Record proof that an offer does what it says: a demo, trial or sample delivered, or a testimonial or case."""
    if kind not in PROOF_KINDS:
        raise Invalid("kind", f"'{kind}' is not one of {', '.join(PROOF_KINDS)}")
    title = _text("title", title, required=True, limit=200)
    deal = None
    if deal_id is not None:
        deal = session.get(Deal, deal_id)
        if deal is None:
            raise Invalid("deal_id", f"no deal {deal_id}")
        contact_id = contact_id or deal.contact_id
    if offer_id is not None and session.get(Offer, offer_id) is None:
        raise Invalid("offer_id", f"no offer {offer_id}")
    if contact_id is not None:
        live_contact(session, contact_id)
    if deal is None and offer_id is None:
        raise Invalid("deal_id", "proof is about a deal or an offer; give one")
    when = delivered_at or utcnow()
    proof = Proof(kind=kind, title=title, deal_id=deal_id, offer_id=offer_id, contact_id=contact_id,
                  delivered_at=when, note=_text("note", note), recorded_by_user_id=actor.user_id)
    session.add(proof)
    session.flush()
    record(session, actor=actor, entity="proof", entity_id=proof.id, contact_id=contact_id, action="proof",
           summary=f"{kind.replace('_', ' ').capitalize()}: {title}", at=when)
    if deal is not None and deal.stage in ("new", "qualified"):
        _stage_change(session, deal, "proof", actor=actor, at=when)
    return proof


def win_deal(session: Session, deal_id: int, *, expected_version: int, actor: Actor, channel: str | None = None,
             location: str | None = None, at: datetime | None = None) -> Order:
    """Close as won: an order whose lines keep the price agreed and the offers' unit cost at this moment.

    The "After purchase" cadence starts for the deal's owner (a 7-day check-in, a 30-day care call).
    """
    when = at or utcnow()
    deal = _deal(session, deal_id, expected_version)
    if deal.stage == "won":
        raise Conflict(f"deal {deal.id} was already won on {deal.closed_at:%Y-%m-%d}")
    if deal.stage == "lost":
        raise Conflict(f"deal {deal.id} was lost; reopen it as a new deal instead")
    live_contact(session, deal.contact_id)
    channel = channel or "other"
    if channel not in CHANNELS:
        raise Invalid("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")
    lines = session.execute(select(DealOffer, Offer).join(Offer, Offer.id == DealOffer.offer_id)
                            .where(DealOffer.deal_id == deal.id).order_by(Offer.id)).all()
    if not lines:
        raise Invalid("offers", f"deal {deal.id} has no offers to put on the order")
    order = Order(source="deal", external_id=f"deal-{deal.id}", contact_id=deal.contact_id, deal_id=deal.id,
                  ordered_at=when, channel=channel, location=_text("location", location or "", limit=120) or None,
                  currency=deal.currency, created_at=when)
    session.add(order)
    session.flush()
    for number, (line, offer) in enumerate(lines, start=1):
        session.add(OrderLine(order_id=order.id, line_no=number, offer_id=offer.id, description=offer.name,
                              quantity=line.quantity, unit_price_minor=line.unit_price_minor,
                              unit_cost_minor=offer.unit_cost_minor))
    deal.closed_at = when
    _stage_change(session, deal, "won", actor=actor, at=when)
    record(session, actor=actor, entity="order", entity_id=order.id, contact_id=deal.contact_id, action="created",
           summary=f"Order from deal '{deal.title}'", after={"deal_id": deal.id, "lines": len(lines)}, at=when)
    advance_lifecycle(session, [deal.contact_id], "customer", actor=actor, at=when, reason="a deal was won")
    # Nurture starts at the sale: the check-in and care call go to whoever owns the deal (or closed it).
    follow_up_by = deal.owner_user_id or actor.user_id
    if follow_up_by is not None:
        start_cadence(session, AFTER_PURCHASE, deal.contact_id, start_at=when, assigned_user_id=follow_up_by,
                      deal_id=deal.id, actor=actor)
    return order


def lose_deal(session: Session, deal_id: int, *, reason: str, note: str = "", expected_version: int, actor: Actor,
              at: datetime | None = None) -> Deal:
    """Close as lost, with a reason from the list and free text."""
    when = at or utcnow()
    deal = _deal(session, deal_id, expected_version)
    if deal.stage in ("won", "lost"):
        raise Conflict(f"deal {deal.id} is already {deal.stage}")
    if reason not in LOST_REASONS:
        raise Invalid("lost_reason", f"'{reason}' is not one of {', '.join(LOST_REASONS)}")
    deal.lost_reason, deal.lost_note, deal.closed_at = reason, _text("lost_note", note) or None, when
    _stage_change(session, deal, "lost", actor=actor, at=when)
    return deal


def update_value(session: Session, deal_id: int, value_minor: int, *, expected_version: int, actor: Actor) -> Deal:
    """Change a deal's value (in its currency's minor units)."""
    deal = _deal(session, deal_id, expected_version)
    if value_minor < 0:
        raise Invalid("value", f"{value_minor} is negative")
    if deal.stage in ("won", "lost"):
        raise Conflict(f"deal {deal.id} is {deal.stage}; its value is history")
    before, deal.value_minor, deal.updated_at = deal.value_minor, value_minor, utcnow()
    _flush(session, deal)
    record(session, actor=actor, entity="deal", entity_id=deal.id, contact_id=deal.contact_id, action="value",
           summary=f"Deal '{deal.title}' value changed", before={"value_minor": before}, after={"value_minor": value_minor})
    return deal

