"""Identity resolution: one contact per person across channels, merges that move everything, and their undo."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import factories
from accord.contacts.identity import IdentityKey, email_key, handle_key, phone_key
from accord.contacts.models import Contact, ContactAttribute, ContactMerge, Identity
from accord.contacts.queries import contact_detail, count_by_stage, list_contacts, merge_suggestions
from accord.contacts.service import (
    PersonIn,
    advance_lifecycle,
    correct_lifecycle,
    merge_contacts,
    resolve_people,
    resolve_person,
    undo_merge,
)
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from accord.pipeline.models import Deal, Order

T = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
ACTOR = Actor("test")


def person(*keys: IdentityKey, name: str = "Naledi", channel: str = "instagram", at: datetime = T) -> PersonIn:
    return PersonIn(tuple(keys), name, channel, at)


def identities_of(session, contact_id: int) -> set[tuple[str, str, str]]:
    rows = session.execute(select(Identity.kind, Identity.channel, Identity.value).where(Identity.contact_id == contact_id))
    return {tuple(row) for row in rows}


def test_keys_are_normalised():
    assert email_key("  Naledi.M@Example.COM ") == IdentityKey("email", "email", "naledi.m@example.com")
    assert phone_key("082 123 4567", "ZA") == IdentityKey("phone", "phone", "+27821234567")
    assert phone_key("+44 20 7946 0958", "ZA") == IdentityKey("phone", "phone", "+442079460958")
    assert handle_key("instagram", "@Naledi.Cooks") == IdentityKey("handle", "instagram", "naledi.cooks")
    assert handle_key("youtube", "  Julius   NM ") == IdentityKey("handle", "youtube", "julius nm")
    assert handle_key("whatsapp", "0821234567", "ZA") == IdentityKey("phone", "phone", "+27821234567")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: email_key("not-an-email"), "email: 'not-an-email' is not an email address"),
    (lambda: phone_key("12", "ZA"), "phone: '12' is not a possible phone number for region ZA"),
    (lambda: phone_key("call me", "ZA"), "phone: 'call me' is not a phone number"),
    (lambda: handle_key("myspace", "x"), "channel: 'myspace' is not one of instagram, facebook"),
    (lambda: handle_key("instagram", "@"), "handle: the instagram handle is empty"),
])
def test_bad_identities_name_the_field(call, message):
    with pytest.raises(Invalid) as caught:
        call()
    assert caught.value.message.startswith(message)


def test_same_person_on_two_channels_sharing_an_email_is_one_contact(session):
    first = resolve_person(session, person(handle_key("instagram", "naledi.cooks"), email_key("naledi@example.com")),
                           actor=ACTOR)
    second = resolve_person(session, person(handle_key("facebook", "100042"), email_key("NALEDI@example.com"),
                                            channel="facebook"), actor=ACTOR)
    assert first == second
    assert identities_of(session, first) == {
        ("handle", "instagram", "naledi.cooks"), ("email", "email", "naledi@example.com"),
        ("handle", "facebook", "100042"),
    }
    assert session.scalar(select(func.count()).select_from(Contact)) == 1


def test_a_phone_match_is_one_contact_too(session):
    a = resolve_person(session, person(phone_key("082 123 4567", "ZA"), name="Sipho"), actor=ACTOR)
    b = resolve_person(session, person(phone_key("+27 82 123 4567", "ZA"), handle_key("x", "@sipho_eats"),
                                       name="Sipho N", channel="x"), actor=ACTOR)
    assert a == b


def test_name_similarity_alone_never_merges_but_is_suggested(session):
    a = resolve_person(session, person(email_key("thandi@example.com"), name="Thandi Mokoena"), actor=ACTOR)
    b = resolve_person(session, person(handle_key("instagram", "thandi_m"), name="Thandi  Mokoena"), actor=ACTOR)
    c = resolve_person(session, person(handle_key("instagram", "bongani"), name="Bongani Zulu"), actor=ACTOR)
    assert len({a, b, c}) == 3
    suggestions = merge_suggestions(session, session.get(Contact, a))
    assert [(s.contact_id, s.display_name, s.score) for s in suggestions] == [(b, "Thandi  Mokoena", 100.0)]


def test_a_batch_links_people_through_each_other(session):
    result = resolve_people(session, [
        person(handle_key("instagram", "lerato")),
        person(handle_key("tiktok", "lerato_d"), email_key("lerato@example.com"), channel="tiktok"),
        person(email_key("lerato@example.com"), handle_key("instagram", "lerato"), channel="email"),
        person(handle_key("instagram", "someone_else")),
    ], actor=ACTOR)
    assert result.contact_ids[0] == result.contact_ids[1] == result.contact_ids[2]
    assert result.contact_ids[3] != result.contact_ids[0]
    assert len(result.created) == 2
    created = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "created")).all()
    assert sorted(created) == sorted(result.created)


def test_a_key_that_bridges_two_stored_contacts_merges_them_oldest_kept(session):
    old = resolve_person(session, person(handle_key("instagram", "zanele"), at=T), actor=ACTOR)
    new = resolve_person(session, person(email_key("zanele@example.com"), channel="email", at=T + timedelta(days=3)),
                         actor=ACTOR)
    assert old < new
    joined = resolve_person(session, person(handle_key("instagram", "zanele"), email_key("zanele@example.com")),
                            actor=ACTOR)
    assert joined == old
    merged = session.get(Contact, new)
    assert merged.merged_into_id == old
    assert identities_of(session, old) == {("handle", "instagram", "zanele"), ("email", "email", "zanele@example.com")}
    assert list_contacts(session).total == 1
    assert sum(count_by_stage(session).values()) == 1


def test_a_person_without_any_key_is_refused(session):
    with pytest.raises(Invalid) as caught:
        resolve_people(session, [PersonIn((), "Nobody", "website", T)], actor=ACTOR)
    assert caught.value.message == "identity: person 1 ('Nobody') has no email, phone or handle"


def test_merge_moves_everything_and_undo_moves_it_back(session):
    kept = factories.contact(session, name="Ayanda", stage="lead", email="ayanda@example.com", at=T)
    other = factories.contact(session, name="Ayanda K", stage="customer", email="ayanda.k@example.com",
                              at=T - timedelta(days=10), channel="facebook")
    other_engagement = factories.engagement(session, other, at=T)
    other_deal = factories.deal(session, other, stage="won")
    other_order = factories.order(session, other, at=T, lines=[(1, 50_000)])

    merge = merge_contacts(session, kept.id, other.id, reason="same phone on the call", actor=ACTOR)
    assert merge.moved == {
        "identity.contact_id": [session.scalar(select(Identity.id).where(Identity.value == "ayanda.k@example.com"))],
        "engagement.contact_id": [other_engagement.id],
        "deal.contact_id": [other_deal.id],
        "sales_order.contact_id": [other_order.id],
    }
    session.refresh(kept)
    assert (kept.lifecycle_stage, kept.first_channel, kept.created_at) == ("customer", "facebook", T - timedelta(days=10))
    assert session.get(Deal, other_deal.id).contact_id == kept.id
    assert session.get(Order, other_order.id).contact_id == kept.id
    assert [e.what for e in contact_detail(session, kept.id).timeline][:1] == ["Ayanda K (contact %d) merged into this contact: same phone on the call" % other.id]

    with pytest.raises(Conflict) as again:
        merge_contacts(session, kept.id, other.id, reason="twice", actor=ACTOR)
    assert again.value.message == f"contact {other.id} was merged into contact {kept.id}"

    undo_merge(session, merge.id, actor=ACTOR)
    session.refresh(kept)
    session.refresh(other)
    assert (kept.lifecycle_stage, kept.first_channel, kept.created_at) == ("lead", "instagram", T)
    assert other.merged_into_id is None
    assert session.get(Deal, other_deal.id).contact_id == other.id
    assert session.get(Order, other_order.id).contact_id == other.id
    assert identities_of(session, other.id) == {("email", "email", "ayanda.k@example.com")}
    assert identities_of(session, kept.id) == {("email", "email", "ayanda@example.com")}
    with pytest.raises(Conflict) as twice:
        undo_merge(session, merge.id, actor=ACTOR)
    assert twice.value.message == f"merge {merge.id} was already undone"
    assert session.scalar(select(ContactMerge.undone_at).where(ContactMerge.id == merge.id)) is not None


def _attributes(session, contact_id):
    return sorted(session.execute(select(ContactAttribute.key, ContactAttribute.value)
                                  .where(ContactAttribute.contact_id == contact_id)).all())


def test_merge_brings_attributes_the_kept_contact_lacks_and_undo_returns_them(session):
    kept = factories.contact(session, name="Thandi", email="thandi@example.com", at=T)
    other = factories.contact(session, name="Thandi M", email="thandi.m@example.com", at=T)
    session.add_all([ContactAttribute(contact_id=kept.id, key="interest", value="catering"),
                     ContactAttribute(contact_id=other.id, key="interest", value="catering"),
                     ContactAttribute(contact_id=other.id, key="interest", value="baking"),
                     ContactAttribute(contact_id=other.id, key="hangout", value="shop: Maponya Mall")])
    session.flush()

    merge = merge_contacts(session, kept.id, other.id, reason="same person", actor=ACTOR)
    assert merge.moved["contact_attribute"] == [["hangout", "shop: Maponya Mall"], ["interest", "baking"]]
    assert _attributes(session, kept.id) == [("hangout", "shop: Maponya Mall"), ("interest", "baking"),
                                             ("interest", "catering")]
    assert _attributes(session, other.id) == [("interest", "catering")]

    undo_merge(session, merge.id, actor=ACTOR)
    assert _attributes(session, kept.id) == [("interest", "catering")]
    assert _attributes(session, other.id) == [("hangout", "shop: Maponya Mall"), ("interest", "baking"),
                                              ("interest", "catering")]


def test_merge_refuses_itself_and_unknowns(session):
    a = factories.contact(session)
    with pytest.raises(Invalid) as itself:
        merge_contacts(session, a.id, a.id, reason="x", actor=ACTOR)
    assert itself.value.message == "merge_id: a contact cannot be merged into itself"
    with pytest.raises(NotFound) as missing:
        merge_contacts(session, a.id, 987654, reason="x", actor=ACTOR)
    assert missing.value.message == "no contact 987654"


def test_lifecycle_only_moves_forward_except_by_audited_correction(session):
    a = factories.contact(session, stage="follower")
    b = factories.contact(session, stage="customer")
    assert advance_lifecycle(session, [a.id, b.id], "engager", actor=ACTOR) == [a.id]
    session.refresh(a)
    session.refresh(b)
    assert (a.lifecycle_stage, b.lifecycle_stage) == ("engager", "customer")
    with pytest.raises(Invalid) as no_reason:
        correct_lifecycle(session, b.id, "lead", reason=" ", actor=ACTOR)
    assert no_reason.value.message == "reason: a correction needs a reason"
    correct_lifecycle(session, b.id, "lead", reason="order was a test", actor=ACTOR)
    event = session.scalars(select(AuditEvent).where(AuditEvent.contact_id == b.id, AuditEvent.action == "correction")).one()
    assert (event.before, event.after, event.summary) == (
        {"lifecycle_stage": "customer"}, {"lifecycle_stage": "lead"},
        "Stage corrected from customer to lead: order was a test",
    )
