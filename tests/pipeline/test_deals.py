"""The sales conversation on both stores: qualify, proof, close plan, win (an order) or lose, with versions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from accord.consent.models import Consent
from accord.contacts.models import Contact
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from accord.pipeline.deals import (
    NewDeal, NotNow, OfferLine, add_proof, answer_permission, lose_deal, move_deal, plan_close, qualify, update_value,
    win_deal,
)
from accord.pipeline.models import Deal, DealStageChange, Offer, OrderLine, Proof, Qualification
from factories import contact

ACTOR = Actor("test")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def offer(session, sku="PLAT-40", price=180_000, cost=95_000) -> Offer:
    row = Offer(sku=sku, name=f"Offer {sku}", kind="product", category="catering", price_minor=price,
                unit_cost_minor=cost, currency="ZAR", active=True)
    session.add(row)
    session.flush()
    return row


def yes(session, who, *offers_and_qty, at=NOW):
    lines = [OfferLine(o.id, q) for o, q in offers_and_qty]
    return qualify(session, who.id, budget_now=True, reason="year-end function", actor=ACTOR, at=at,
                   new_deal=NewDeal("Year-end function", lines, date(2026, 3, 31), "ZAR"))


def history(session, deal_id):
    return [(c.from_stage, c.to_stage) for c in session.scalars(
        select(DealStageChange).where(DealStageChange.deal_id == deal_id).order_by(DealStageChange.id))]


def test_yes_opens_a_qualified_deal_worth_its_offers_and_the_contact_becomes_an_opportunity(session):
    naledi = contact(session, stage="engager")
    platter, drinks = offer(session), offer(session, "DRINKS", 4_500, 2_000)

    answer = yes(session, naledi, (platter, 2), (drinks, 40))

    deal = session.get(Deal, answer.deal_id)
    assert (answer.budget_now, answer.reason, answer.asked_at) == (True, "year-end function", NOW)
    assert (deal.stage, deal.value_minor, deal.currency, deal.expected_close_on, deal.version) == (
        "qualified", 2 * 180_000 + 40 * 4_500, "ZAR", date(2026, 3, 31), 1)
    assert history(session, deal.id) == [(None, "qualified")]
    assert session.get(Contact, naledi.id).lifecycle_stage == "opportunity"


def test_not_now_records_the_permission_asked_and_given_and_moves_open_deals_to_nurture(session):
    sipho = contact(session, stage="engager")
    deal = session.get(Deal, yes(session, sipho, (offer(session), 1)).deal_id)

    answer = qualify(session, sipho.id, budget_now=False, reason="budget is for next year", actor=ACTOR,
                     at=NOW + timedelta(hours=1), not_now=NotNow(["education", "inspiration"], "email", "granted",
                                                                  "call", "Send me recipes and event ideas"))

    assert (answer.purposes, answer.permission_answer, answer.answered_at) == (
        ["education", "inspiration"], "granted", NOW + timedelta(hours=1))
    granted = session.execute(select(Consent.purpose, Consent.channel, Consent.evidence_text)
                              .where(Consent.contact_id == sipho.id).order_by(Consent.purpose)).all()
    assert [tuple(g) for g in granted] == [("education", "email", "Send me recipes and event ideas"),
                                           ("inspiration", "email", "Send me recipes and event ideas")]
    assert deal.stage == "nurture" and history(session, deal.id) == [(None, "qualified"), ("qualified", "nurture")]


def test_a_pending_permission_request_is_answered_later_once(session):
    musa = contact(session, stage="engager")
    asked = qualify(session, musa.id, budget_now=False, reason="", actor=ACTOR, at=NOW,
                    not_now=NotNow(["trial"], "whatsapp"))
    assert session.scalar(select(Consent.id).where(Consent.contact_id == musa.id)) is None
    assert session.get(Contact, musa.id).lifecycle_stage == "lead"

    answer_permission(session, asked.id, "granted", actor=ACTOR, channel="whatsapp", at=NOW + timedelta(days=1))

    assert session.scalar(select(Consent.purpose).where(Consent.contact_id == musa.id)) == "trial"
    with pytest.raises(Conflict) as twice:
        answer_permission(session, asked.id, "declined", actor=ACTOR)
    assert twice.value.message == f"the permission request {asked.id} was already answered: granted"


def test_proof_close_plan_and_win_make_an_order_at_the_price_and_cost_of_the_moment(session):
    naledi = contact(session, stage="engager")
    platter = offer(session)
    deal = session.get(Deal, yes(session, naledi, (platter, 3)).deal_id)

    add_proof(session, kind="trial", title="Tasting for 4", deal_id=deal.id, actor=ACTOR, delivered_at=NOW)
    move_deal(session, deal.id, "proposal", expected_version=deal.version, actor=ACTOR, at=NOW)
    plan_close(session, deal.id, where="website", how="EFT", by=date(2026, 3, 20), expected_version=deal.version,
               actor=ACTOR, at=NOW)
    order = win_deal(session, deal.id, expected_version=deal.version, actor=ACTOR, channel="website", at=NOW)
    platter.unit_cost_minor = 120_000  # a later cost change must not rewrite history

    lines = session.execute(select(OrderLine.offer_id, OrderLine.quantity, OrderLine.unit_price_minor,
                                   OrderLine.unit_cost_minor).where(OrderLine.order_id == order.id)).all()
    assert [tuple(line) for line in lines] == [(platter.id, 3, 180_000, 95_000)]
    assert (order.deal_id, order.contact_id, order.channel, order.currency) == (deal.id, naledi.id, "website", "ZAR")
    assert history(session, deal.id) == [(None, "qualified"), ("qualified", "proof"), ("proof", "proposal"),
                                         ("proposal", "won")]
    assert (deal.close_where, deal.close_how, deal.close_by, deal.closed_at) == ("website", "EFT", date(2026, 3, 20), NOW)
    assert session.get(Contact, naledi.id).lifecycle_stage == "customer"
    assert session.scalar(select(Proof.title).where(Proof.deal_id == deal.id)) == "Tasting for 4"
    with pytest.raises(Conflict) as twice:
        win_deal(session, deal.id, expected_version=deal.version, actor=ACTOR)
    assert twice.value.message == f"deal {deal.id} was already won on 2026-03-02"


def test_a_lost_deal_keeps_its_reason_and_does_not_move(session):
    deal = session.get(Deal, yes(session, contact(session), (offer(session), 1)).deal_id)

    lose_deal(session, deal.id, reason="price", note="Went with a cheaper caterer", expected_version=deal.version,
              actor=ACTOR, at=NOW)

    assert (deal.stage, deal.lost_reason, deal.lost_note) == ("lost", "price", "Went with a cheaper caterer")
    with pytest.raises(Conflict) as moved:
        move_deal(session, deal.id, "proposal", expected_version=deal.version, actor=ACTOR)
    assert moved.value.message == f"deal {deal.id} is lost; a closed deal does not move"


def test_a_change_from_a_stale_copy_is_refused(session):
    deal = session.get(Deal, yes(session, contact(session), (offer(session), 1)).deal_id)
    seen = deal.version
    move_deal(session, deal.id, "proof", expected_version=seen, actor=ACTOR)

    with pytest.raises(Conflict) as stale:
        move_deal(session, deal.id, "proposal", expected_version=seen, actor=ACTOR)

    assert stale.value.message == (f"deal {deal.id} was changed by someone else since you opened it (now version "
                                   f"{seen + 1}, you had {seen}); reload it and try again")
    assert deal.stage == "proof"


@pytest.mark.parametrize(("case", "field", "reason"), [
    ("past close date", "expected_close_on", "2026-03-01 is in the past"),
    ("unknown offer", "offers[0].offer_id", "no offer 987654"),
    ("negative value", "value", "-1 is negative"),
    ("close plan in the past", "close_by", "2026-02-28 is in the past"),
    ("unknown lost reason", "lost_reason", "'bored' is not one of price, timing, no_budget, chose_competitor, "
                                           "no_response, not_a_fit, other"),
])
def test_bad_input_names_the_field(session, case, field, reason):
    who = contact(session)
    platter = offer(session)
    deal = session.get(Deal, yes(session, who, (platter, 1)).deal_id)
    with pytest.raises(Invalid) as bad:
        if case == "past close date":
            qualify(session, who.id, budget_now=True, reason="", actor=ACTOR, at=NOW,
                    new_deal=NewDeal("x", [OfferLine(platter.id)], date(2026, 3, 1), "ZAR"))
        elif case == "unknown offer":
            qualify(session, who.id, budget_now=True, reason="", actor=ACTOR, at=NOW,
                    new_deal=NewDeal("x", [OfferLine(987654)], date(2026, 4, 1), "ZAR"))
        elif case == "negative value":
            update_value(session, deal.id, -1, expected_version=deal.version, actor=ACTOR)
        elif case == "close plan in the past":
            plan_close(session, deal.id, where="shop", how="card", by=date(2026, 2, 28),
                       expected_version=deal.version, actor=ACTOR, at=NOW)
        else:
            lose_deal(session, deal.id, reason="bored", expected_version=deal.version, actor=ACTOR)
    assert (bad.value.field, bad.value.reason) == (field, reason)


def test_a_step_that_fails_part_way_leaves_nothing_behind(backend, tmp_path):
    from accord.kernel.store import Store
    from stores import settings_for

    store = Store.open(settings_for(backend, tmp_path), upgrade=True)
    with store.transaction() as session:
        who = contact(session, stage="engager").id
    with pytest.raises(Invalid) as failed:
        with store.transaction() as session:
            # The qualification and its audit row are written before the grant finds the evidence too long.
            qualify(session, who, budget_now=False, reason="next year", actor=ACTOR, at=NOW,
                    not_now=NotNow(["education"], "email", "granted", "call", "x" * 2001))
    assert failed.value.field == "evidence_text"
    with store.transaction() as session:
        assert session.scalar(select(Qualification.id)) is None
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.contact_id == who)).all() == []
        assert session.get(Contact, who).lifecycle_stage == "engager"
    store.close()


def test_two_people_moving_one_deal_at_the_same_moment_cannot_both_win(tmp_path):
    """On PostgreSQL two transactions run side by side; the second write finds the version moved on."""
    from accord.kernel.store import Store
    from stores import settings_for

    store = Store.open(settings_for("postgresql", tmp_path), upgrade=True)
    with store.transaction() as session:
        deal_id = yes(session, contact(session), (offer(session), 1)).deal_id
    first, second = store.sessions(), store.sessions()
    try:
        a, b = first.get(Deal, deal_id), second.get(Deal, deal_id)
        assert a.version == b.version == 1
        move_deal(first, deal_id, "proof", expected_version=1, actor=ACTOR)
        first.commit()
        with pytest.raises(Conflict) as lost_update:
            move_deal(second, deal_id, "proposal", expected_version=1, actor=ACTOR)
        assert lost_update.value.message == (f"deal {deal_id} was changed by someone else at the same moment; "
                                             "reload it and try again")
    finally:
        second.rollback()
        first.close()
        second.close()
    with store.transaction() as session:
        assert (session.get(Deal, deal_id).stage, session.get(Deal, deal_id).version) == ("proof", 2)
    store.close()
