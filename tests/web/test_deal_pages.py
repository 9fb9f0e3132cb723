"""Qualifying, moving, proving and closing deals through the running app."""

from __future__ import annotations

import re

from sqlalchemy import select

from accord.pipeline.models import Deal, Offer, Order
from factories import contact
from web.conftest import csrf_of


def an_offer(live) -> int:
    with live.store.transaction() as session:
        found = session.scalar(select(Offer.id).where(Offer.sku == "PLATTER-40"))
        if found:
            return found
        offer = Offer(sku="PLATTER-40", name="Platter for 40", kind="product", category="catering",
                      price_minor=180_000, unit_cost_minor=95_000, currency="ZAR", active=True)
        session.add(offer)
        session.flush()
        return offer.id


def test_yes_opens_a_deal_then_proof_close_plan_and_win_make_an_order(live):
    offer_id = an_offer(live)
    with live.store.transaction() as session:
        who = contact(session, name="Lerato Mokoena").id
    with live.login("sales") as sales:
        token = csrf_of(sales.get(f"/contacts/{who}"))
        opened = sales.post(f"/contacts/{who}/qualify", data={
            "csrf_token": token, "budget_now": "yes", "title": "Wedding in March", "offer_id": str(offer_id),
            "quantity": "2", "expected_close_on": "2099-03-01", "currency": "ZAR", "reason": "date is set"})
        deal_url = opened.headers["location"]
        deal_id = int(deal_url.rsplit("/", 1)[1])
        page = sales.get(deal_url)
        assert "<strong>R3\xa0600,00</strong>" in page.text
        proof = sales.post(f"/deals/{deal_id}/proof", data={"csrf_token": token, "kind": "sample", "title": "Tasting box"})
        version = int(re.search(r'name="version" value="(\d+)"', sales.get(deal_url).text).group(1))
        planned = sales.post(f"/deals/{deal_id}/close-plan", data={
            "csrf_token": token, "where": "the shop", "how": "card", "by": "2099-02-20", "version": str(version)})
        stale = sales.post(f"/deals/{deal_id}/win", data={"csrf_token": token, "version": str(version)})
        won = sales.post(f"/deals/{deal_id}/win", data={"csrf_token": token, "version": str(version + 1),
                                                        "channel": "in_person"})
        final = sales.get(deal_url)

    assert (opened.status_code, proof.status_code, planned.status_code, won.status_code) == (303, 303, 303, 303)
    assert stale.status_code == 409 and "was changed by someone else since you opened it" in stale.text
    assert 'id="won"' in final.text and "card at the shop, by 20 Feb 2099." in final.text
    assert re.findall(r"→ <strong>(\w+)</strong>", final.text) == ["qualified", "proof", "won"]
    with live.store.transaction() as session:
        deal = session.get(Deal, deal_id)
        assert (deal.stage, deal.value_minor) == ("won", 360_000)
        assert session.scalar(select(Order.channel).where(Order.deal_id == deal_id)) == "in_person"


def test_the_board_moves_a_card_by_htmx_and_refuses_a_stale_one(live):
    offer_id = an_offer(live)
    with live.store.transaction() as session:
        who = contact(session, name="Kagiso").id
    with live.login("marketing") as marketing:
        token = csrf_of(marketing.get(f"/contacts/{who}"))
        deal_id = int(marketing.post(f"/contacts/{who}/qualify", data={
            "csrf_token": token, "budget_now": "yes", "title": "Office lunch", "offer_id": str(offer_id),
            "expected_close_on": "2099-01-10", "currency": "ZAR"}).headers["location"].rsplit("/", 1)[1])
        headers = {"X-CSRF-Token": token, "HX-Request": "true"}
        moved = marketing.post(f"/deals/{deal_id}/move", data={"to_stage": "proposal", "version": "1"}, headers=headers)
        stale = marketing.post(f"/deals/{deal_id}/move", data={"to_stage": "closing", "version": "1"}, headers=headers)
        board = marketing.get("/pipeline").text
    with live.login("viewer") as viewer:
        refused = viewer.post(f"/deals/{deal_id}/move", data={"to_stage": "closing", "version": "2"},
                              headers={"X-CSRF-Token": csrf_of(viewer.get("/settings")), "HX-Request": "true"})

    assert (moved.status_code, moved.text) == (200, "2")
    assert stale.status_code == 409
    assert f'id="deal-{deal_id}" data-deal="{deal_id}" data-version="2"' in board
    assert refused.status_code == 403


def test_bad_qualify_input_names_the_field(live):
    offer_id = an_offer(live)
    with live.store.transaction() as session:
        who = contact(session, name="Ruan").id
    with live.login("sales") as sales:
        token = csrf_of(sales.get(f"/contacts/{who}"))
        past = sales.post(f"/contacts/{who}/qualify", data={
            "csrf_token": token, "budget_now": "yes", "title": "x", "offer_id": str(offer_id),
            "expected_close_on": "2001-01-01", "currency": "ZAR"})
        no_purpose = sales.post(f"/contacts/{who}/qualify", data={"csrf_token": token, "budget_now": "no"})
    assert past.status_code == 422 and "expected_close_on: 2001-01-01 is in the past" in past.text
    assert no_purpose.status_code == 422 and "purposes: a no asks permission to stay in touch" in no_purpose.text


def test_the_api_works_a_deal_from_yes_to_won_and_refuses_winning_twice(live):
    offer_id = an_offer(live)
    with live.store.transaction() as session:
        who = contact(session, name="Ayanda").id
    headers = {"Authorization": f"Bearer {live.api_token('sales')}"}
    with live.client() as api:
        asked = api.post(f"/api/v1/contacts/{who}/qualify", headers=headers, json={
            "budget_now": True, "reason": "launch party", "title": "Launch party", "currency": "ZAR",
            "expected_close_on": "2099-05-01", "offers": [{"offer_id": offer_id, "quantity": 3}]})
        deal_id = asked.json()["deal_id"]
        proof = api.post(f"/api/v1/deals/{deal_id}/proof", headers=headers, json={"kind": "demo", "title": "Menu demo"})
        moved = api.post(f"/api/v1/deals/{deal_id}/move", headers=headers, json={"to_stage": "closing", "version": 2})
        won = api.post(f"/api/v1/deals/{deal_id}/win", headers=headers, json={"version": 3, "channel": "website"})
        again = api.post(f"/api/v1/deals/{deal_id}/win", headers=headers, json={"version": 4})
        moved_lost = api.post(f"/api/v1/deals/{deal_id}/lose", headers=headers, json={"version": 4, "reason": "price"})
        shown = api.get(f"/api/v1/deals/{deal_id}", headers=headers).json()

    assert asked.status_code == 201 and asked.json()["budget_now"] is True
    assert proof.status_code == 201 and moved.json()["stage"] == "closing"
    assert won.status_code == 201 and (won.json()["deal_id"], won.json()["channel"]) == (deal_id, "website")
    assert again.status_code == 409 and again.json()["detail"].startswith(f"deal {deal_id} was already won on ")
    assert moved_lost.status_code == 409 and moved_lost.json()["detail"] == f"deal {deal_id} is already won"
    assert (shown["stage"], shown["value_minor"], shown["version"]) == ("won", 540_000, 4)
