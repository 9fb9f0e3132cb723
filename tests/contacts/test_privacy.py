"""A person's export and erasure: everything held comes out; erasure removes who they were and keeps the money."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from accord.consent import service as consent
from accord.consent.models import Consent
from accord.contacts.models import Contact, ContactAttribute, Identity
from accord.contacts.privacy import ERASED, erase_person, export_person
from accord.conversations.models import Message
from accord.conversations.service import Outgoing, send_message
from accord.engagement.models import Engagement
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from accord.pipeline.models import Order, OrderLine
from factories import T0, contact, engagement, order

ACTOR = Actor("test")


def person_with_history(session):
    naledi = contact(session, name="Naledi Dlamini", email="naledi@example.com")
    asked = engagement(session, naledi, text="Do you deliver to Soweto?")
    send_message(session, Outgoing(naledi.id, "instagram", "Yes we do, Naledi!", answering_engagement_id=asked.id),
                 actor=ACTOR)
    consent.grant_consent(session, naledi.id, "education", "email", evidence_source="website form",
                          evidence_text="Recipes by email, please", actor=ACTOR, at=T0)
    order(session, naledi, at=T0 + timedelta(days=2), lines=[(3, 25_000), (-1, 25_000)])
    session.add_all([ContactAttribute(contact_id=naledi.id, key="interest", value="baking"),
                     ContactAttribute(contact_id=naledi.id, key="hangout", value="shop: Maponya Mall")])
    session.flush()
    return naledi


def test_the_export_holds_everything_stored_about_the_person_as_json(session):
    naledi = person_with_history(session)

    data = export_person(session, naledi.id)

    assert json.loads(json.dumps(data)) == data
    assert data["contact"]["display_name"] == "Naledi Dlamini"
    assert [i["value"] for i in data["identities"]] == ["naledi@example.com"]
    assert data["attributes"] == [{"key": "hangout", "value": "shop: Maponya Mall"},
                                  {"key": "interest", "value": "baking"}]
    assert [e["text"] for e in data["engagements"]] == ["Do you deliver to Soweto?"]
    assert [m["body"] for m in data["messages"]] == ["Yes we do, Naledi!"]
    assert [(c["purpose"], c["evidence_text"]) for c in data["consents"]] == [("education", "Recipes by email, please")]
    assert [(line["quantity"], line["unit_price_minor"]) for line in data["order_lines"]] == [(3, 25_000), (-1, 25_000)]
    assert {e["action"] for e in data["timeline"]} == {"contacted", "opened", "sent", "granted"}


def test_erasure_removes_who_they_were_and_what_they_said_but_keeps_the_money(session):
    naledi = person_with_history(session)
    net_before = session.scalar(select(func.sum(OrderLine.quantity * OrderLine.unit_price_minor)))

    erase_person(session, naledi.id, actor=ACTOR, reason="asked by email")

    stored = session.get(Contact, naledi.id)
    assert (stored.display_name, stored.city, stored.erased_at is not None) == (f"Erased contact {naledi.id}", None, True)
    assert session.scalar(select(func.count()).select_from(Identity).where(Identity.contact_id == naledi.id)) == 0
    assert session.scalar(select(func.count()).select_from(ContactAttribute)) == 0
    assert session.scalars(select(Engagement.text).where(Engagement.contact_id == naledi.id)).all() == [None]
    assert session.scalar(select(func.sum(OrderLine.quantity * OrderLine.unit_price_minor))) == net_before == 50_000
    assert session.scalar(select(Order.contact_id)) == naledi.id
    assert session.scalars(select(Message.body)).all() == [ERASED]
    assert session.execute(select(Consent.evidence_text, Consent.withdrawn_at.is_not(None))).all() == [(ERASED, True)]
    texts = " ".join(str(v) for row in session.execute(
        select(AuditEvent.summary, AuditEvent.before, AuditEvent.after).where(AuditEvent.contact_id == naledi.id))
        for v in row)
    assert "Naledi" not in texts and "Soweto" not in texts and "Recipes" not in texts
    assert session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "erased")) == \
        "Erased at their request (asked by email)"
