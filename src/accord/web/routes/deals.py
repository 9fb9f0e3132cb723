"""Deals: the deal page, moves on the board (drag and drop), the close plan, proof, won and lost; qualifying a contact."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.accounts.models import User
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.vocabulary import CHANNELS
from accord.pipeline import deals
from accord.pipeline.models import LOST_REASONS, OPEN_DEAL_STAGES, PROOF_KINDS
from accord.pipeline.queries import deal_detail
from accord.web.security import EDITORS, EVERYONE, DbSession, page_user
from accord.web.templating import is_fragment_request

router = APIRouter()
Version = Annotated[int, Form()]


def _back(deal_id: int) -> Response:
    return RedirectResponse(f"/deals/{deal_id}", status_code=303)


@router.get("/deals/{deal_id}")
def deal_page(request: Request, session: DbSession, deal_id: int, user: User = page_user(*EVERYONE)) -> Response:
    """One deal: offers, proof delivered, the close plan, the stage history, and the next step."""
    context = {"user": user, "active": "/pipeline", "detail": deal_detail(session, deal_id), "today": date.today(),
               "stages": (*OPEN_DEAL_STAGES, "nurture"), "proof_kinds": PROOF_KINDS, "lost_reasons": LOST_REASONS,
               "channels": CHANNELS}
    return request.app.state.templates.TemplateResponse(request, "pipeline/deal.html", context)


@router.post("/deals/{deal_id}/move")
def move(request: Request, session: DbSession, deal_id: int, to_stage: Annotated[str, Form()], version: Version,
         user: User = page_user(*EDITORS)) -> Response:
    """Move a deal to another stage (the board sends this when a card is dropped)."""
    deal = deals.move_deal(session, deal_id, to_stage, expected_version=version, actor=Actor.user(user))
    if is_fragment_request(request):
        return Response(status_code=200, content=str(deal.version), media_type="text/plain")
    return _back(deal_id)


@router.post("/deals/{deal_id}/close-plan")
def close_plan(session: DbSession, deal_id: int, where: Annotated[str, Form()], how: Annotated[str, Form()],
               by: Annotated[date, Form()], version: Version, user: User = page_user(*EDITORS)) -> Response:
    """Where, how and by when the purchase happens."""
    deals.plan_close(session, deal_id, where=where, how=how, by=by, expected_version=version, actor=Actor.user(user))
    return _back(deal_id)


@router.post("/deals/{deal_id}/proof")
def proof(session: DbSession, deal_id: int, kind: Annotated[str, Form()], title: Annotated[str, Form()],
          note: Annotated[str, Form()] = "", user: User = page_user(*EDITORS)) -> Response:
    """Record a demo, trial, sample, testimonial or case study delivered for this deal."""
    deals.add_proof(session, kind=kind, title=title, note=note, deal_id=deal_id, actor=Actor.user(user))
    return _back(deal_id)


@router.post("/deals/{deal_id}/win")
def win(session: DbSession, deal_id: int, version: Version, channel: Annotated[str, Form()] = "other",
        location: Annotated[str, Form()] = "", user: User = page_user(*EDITORS)) -> Response:
    """Close as won: the order is made from the deal's offers."""
    deals.win_deal(session, deal_id, expected_version=version, channel=channel, location=location or None,
                   actor=Actor.user(user))
    return _back(deal_id)


@router.post("/deals/{deal_id}/lose")
def lose(session: DbSession, deal_id: int, version: Version, reason: Annotated[str, Form()],
         note: Annotated[str, Form()] = "", user: User = page_user(*EDITORS)) -> Response:
    """Close as lost, with the reason."""
    deals.lose_deal(session, deal_id, reason=reason, note=note, expected_version=version, actor=Actor.user(user))
    return _back(deal_id)


@router.post("/contacts/{contact_id}/proof")
def contact_proof(session: DbSession, contact_id: int, kind: Annotated[str, Form()], title: Annotated[str, Form()],
                  offer_id: Annotated[str, Form()], user: User = page_user(*EDITORS)) -> Response:
    """Record a demo, trial or sample delivered to a person before any deal (proof of an offer)."""
    deals.add_proof(session, kind=kind, title=title, offer_id=_number("offer_id", offer_id), contact_id=contact_id,
                    actor=Actor.user(user))
    return RedirectResponse(f"/contacts/{contact_id}#qualify", status_code=303)


@router.post("/contacts/{contact_id}/qualify")
def qualify(
    session: DbSession, contact_id: int, budget_now: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "", offer_id: Annotated[str, Form()] = "", quantity: Annotated[str, Form()] = "1",
    expected_close_on: Annotated[str, Form()] = "", currency: Annotated[str, Form()] = "",
    purposes: Annotated[list[str] | None, Form()] = None, channel: Annotated[str, Form()] = "email",
    answer: Annotated[str, Form()] = "pending", user: User = page_user(*EDITORS),
) -> Response:
    """Budget to buy now? Yes opens a deal; no asks permission to stay in touch."""
    actor = Actor.user(user)
    if budget_now == "yes":
        new = deals.NewDeal(title, [deals.OfferLine(_number("offer_id", offer_id), _number("quantity", quantity))],
                            _day("expected_close_on", expected_close_on), currency)
        answer_row = deals.qualify(session, contact_id, budget_now=True, reason=reason, new_deal=new, actor=actor)
        return _back(answer_row.deal_id)
    deals.qualify(session, contact_id, budget_now=False, reason=reason, actor=actor,
                  not_now=deals.NotNow(purposes or [], channel, answer, f"asked by {user.name}"))
    return RedirectResponse(f"/contacts/{contact_id}#permissions", status_code=303)


def _number(field: str, text: str) -> int:
    if not text.strip().lstrip("-").isdigit():
        raise Invalid(field, f"'{text}' is not a whole number")
    return int(text)


def _day(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(field, f"'{text}' is not a date such as 2026-12-31") from None
