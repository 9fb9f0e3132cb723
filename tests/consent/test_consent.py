"""The permission ledger and its one gate, on both stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.consent import service as consent
from accord.consent.links import read_unsubscribe_token, unsubscribe_token
from accord.errors import ConsentRequired, Conflict, Invalid
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from factories import T0, contact, engagement

ACTOR = Actor("test")
SECRET = "s" * 40


def grant(session, who, purpose="education", channel="email", at=T0):
    return consent.grant_consent(session, who.id, purpose, channel, evidence_source="website form",
                                 evidence_text="Send me recipes and cooking tips", actor=ACTOR, at=at)


def test_require_needs_a_grant_in_force_for_that_purpose_and_channel(session):
    naledi = contact(session, email="naledi@example.com")
    with pytest.raises(ConsentRequired) as refused:
        consent.require(session, naledi.id, purpose="education", channel="email")
    assert refused.value.message == f"contact {naledi.id} has not given permission for education on email"

    grant(session, naledi)

    assert consent.require(session, naledi.id, purpose="education", channel="email") == "consent"
    for purpose, channel in (("marketing", "email"), ("education", "whatsapp")):
        with pytest.raises(ConsentRequired):
            consent.require(session, naledi.id, purpose=purpose, channel=channel)


def test_a_direct_answer_to_their_own_engagement_is_legitimate_interest_not_someone_elses(session):
    naledi, sipho = contact(session), contact(session, name="Sipho")
    asked = engagement(session, naledi)

    assert consent.require(session, naledi.id, purpose="marketing", channel="instagram",
                           answering_engagement_id=asked.id) == "legitimate_interest"
    with pytest.raises(Invalid) as wrong:
        consent.require(session, sipho.id, purpose="marketing", channel="instagram", answering_engagement_id=asked.id)
    assert (wrong.value.field, wrong.value.reason) == (
        "answering_engagement_id", f"engagement {asked.id} is not from contact {sipho.id}")


def test_grant_is_idempotent_withdraw_ends_it_and_both_are_on_the_timeline(session):
    naledi = contact(session)
    first = grant(session, naledi)
    assert grant(session, naledi).id == first.id

    withdrawn = consent.withdraw_consent(session, naledi.id, "education", None, evidence_source="phone call",
                                         actor=ACTOR, at=T0 + timedelta(days=3))

    assert [c.id for c in withdrawn] == [first.id]
    assert first.withdrawn_at == T0 + timedelta(days=3)
    assert consent.withdraw_consent(session, naledi.id, "education", None, evidence_source="again", actor=ACTOR) == []
    with pytest.raises(ConsentRequired):
        consent.require(session, naledi.id, purpose="education", channel="email")
    actions = session.execute(select(AuditEvent.action, AuditEvent.summary).where(AuditEvent.contact_id == naledi.id)
                              .order_by(AuditEvent.id)).all()
    assert [tuple(a) for a in actions] == [
        ("granted", "Gave permission for education on email (website form)"),
        ("withdrawn", "Withdrew permission for education on email (phone call)"),
    ]
    assert first.evidence_text == "Send me recipes and cooking tips"


@pytest.mark.parametrize(("purpose", "channel", "source", "text", "field"), [
    ("spam", "email", "form", "yes", "purpose"),
    ("education", "pigeon", "form", "yes", "channel"),
    ("education", "email", " ", "yes", "evidence_source"),
    ("education", "email", "form", "", "evidence_text"),
])
def test_bad_grants_name_the_field(session, purpose, channel, source, text, field):
    naledi = contact(session)
    with pytest.raises(Invalid) as bad:
        consent.grant_consent(session, naledi.id, purpose, channel, evidence_source=source, evidence_text=text,
                              actor=ACTOR)
    assert bad.value.field == field


def test_an_erased_contact_cannot_be_granted_or_messaged(session):
    from accord.contacts.privacy import erase_person

    naledi = contact(session)
    erase_person(session, naledi.id, actor=ACTOR, reason="asked by email")

    with pytest.raises(Conflict) as erased:
        consent.require(session, naledi.id, purpose="education", channel="email")
    assert erased.value.message.startswith(f"contact {naledi.id} was erased on ")


def test_unsubscribe_tokens_round_trip_and_refuse_any_alteration():
    token = unsubscribe_token(SECRET, 42, "education", "email")
    assert read_unsubscribe_token(SECRET, token) == (42, "education", "email")

    body, signature = token.split(".")
    forged_body = unsubscribe_token("another secret that is long enough!!", 43, "education", "email").split(".")[0]
    for bad in (f"{forged_body}.{signature}", f"{body}.{signature[:-1]}A", body, f"{body}.",
                unsubscribe_token("another secret that is long enough!!", 42, "education", "email")):
        with pytest.raises(Invalid) as refused:
            read_unsubscribe_token(SECRET, bad)
        assert refused.value.field == "token"
