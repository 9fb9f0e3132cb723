"""API: qualifying contacts and working deals through to won or lost."""

from __future__ import annotations

from fastapi import APIRouter

from accord.accounts.models import User
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.db import get_row
from accord.pipeline import deals
from accord.pipeline.models import Deal
from accord.pipeline.schemas import (
    ClosePlanIn, DealOut, LoseIn, MoveIn, OrderCreatedOut, ProofIn, ProofOut, QualificationOut, QualifyIn, WinIn,
)
from accord.web.security import EDITORS, EVERYONE, DbSession, api_user

router = APIRouter(tags=["deals"])


@router.post("/contacts/{contact_id}/qualify", response_model=QualificationOut, status_code=201)
def qualify(session: DbSession, contact_id: int, data: QualifyIn, user: User = api_user(*EDITORS)):
    """Budget to buy now? Yes opens a deal in qualified; no records the permission asked for."""
    if data.budget_now:
        if data.title is None or data.expected_close_on is None or data.currency is None:
            raise Invalid("deal", "a yes needs title, offers, expected_close_on and currency")
        new = deals.NewDeal(data.title, [deals.OfferLine(o.offer_id, o.quantity, o.unit_price_minor) for o in data.offers],
                            data.expected_close_on, data.currency)
        return deals.qualify(session, contact_id, budget_now=True, reason=data.reason, new_deal=new,
                             actor=Actor.user(user))
    return deals.qualify(session, contact_id, budget_now=False, reason=data.reason, actor=Actor.user(user),
                         not_now=deals.NotNow(data.purposes, data.channel, data.answer, "API"))


@router.get("/deals/{deal_id}", response_model=DealOut)
def deal(session: DbSession, deal_id: int, user: User = api_user(*EVERYONE)):
    """One deal, with the version to send back with a change."""
    return get_row(session, Deal, deal_id, "deal")


@router.post("/deals/{deal_id}/move", response_model=DealOut)
def move(session: DbSession, deal_id: int, data: MoveIn, user: User = api_user(*EDITORS)):
    """Move to another open stage or to nurture; 409 if someone changed the deal since your version."""
    return deals.move_deal(session, deal_id, data.to_stage, expected_version=data.version, actor=Actor.user(user))


@router.post("/deals/{deal_id}/close-plan", response_model=DealOut)
def close_plan(session: DbSession, deal_id: int, data: ClosePlanIn, user: User = api_user(*EDITORS)):
    """Where, how and by when the purchase happens."""
    return deals.plan_close(session, deal_id, where=data.where, how=data.how, by=data.by,
                            expected_version=data.version, actor=Actor.user(user))


@router.post("/deals/{deal_id}/proof", response_model=ProofOut, status_code=201)
def proof(session: DbSession, deal_id: int, data: ProofIn, user: User = api_user(*EDITORS)):
    """Record proof delivered for this deal."""
    return deals.add_proof(session, kind=data.kind, title=data.title, note=data.note, deal_id=deal_id,
                           actor=Actor.user(user))


@router.post("/deals/{deal_id}/win", response_model=OrderCreatedOut, status_code=201)
def win(session: DbSession, deal_id: int, data: WinIn, user: User = api_user(*EDITORS)):
    """Close as won; returns the order made from the deal's offers."""
    return deals.win_deal(session, deal_id, expected_version=data.version, channel=data.channel,
                          location=data.location, actor=Actor.user(user))


@router.post("/deals/{deal_id}/lose", response_model=DealOut)
def lose(session: DbSession, deal_id: int, data: LoseIn, user: User = api_user(*EDITORS)):
    """Close as lost with a reason."""
    return deals.lose_deal(session, deal_id, reason=data.reason, note=data.note, expected_version=data.version,
                           actor=Actor.user(user))
