"""The engagement ledger: idempotent, attached to a person, lifecycle forward, spam kept but out of the inbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from accord.contacts.identity import email_key, handle_key
from accord.contacts.models import Contact, Identity
from accord.engagement.models import Engagement, Touch
from accord.engagement.queries import waiting_by_channel, waiting_count, waiting_list
from accord.engagement.service import (
    EngagementRecord,
    TouchRecord,
    link_visitor,
    mark_contacted,
    record_engagement,
    record_engagements,
    record_touches,
    set_spam,
)
from accord.errors import Conflict, NotFound
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent

T = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)
ACTOR = Actor("test")


def comment(external_id: str, handle: str, text: str = "Do you deliver to Midrand?", *, kind: str = "comment",
            channel: str = "instagram", at: datetime = T, **extra) -> EngagementRecord:
    return EngagementRecord(source="test", external_id=external_id, channel=channel, kind=kind, occurred_at=at,
                            keys=(handle_key(channel, handle),), display_name=handle, text=text, **extra)


def test_a_batch_records_once_and_repeats_add_nothing(session):
    batch = [comment("c1", "naledi"), comment("c2", "naledi", at=T + timedelta(minutes=5)), comment("c3", "sipho")]
    first = record_engagements(session, batch, actor=ACTOR)
    assert (first.inserted, first.duplicates, first.contacts_created, first.merges) == (3, 0, 2, 0)
    again = record_engagements(session, batch + [comment("c1", "naledi")], actor=ACTOR)
    assert (again.inserted, again.duplicates, again.contacts_created) == (0, 4, 0)
    assert again.engagement_ids[:3] == first.engagement_ids
    assert session.scalar(select(func.count()).select_from(Engagement)) == 3
    assert session.scalar(select(func.count()).select_from(Contact)) == 2


def test_the_same_external_id_twice_in_one_batch_is_stored_once(session):
    outcome = record_engagements(session, [comment("dup", "naledi"), comment("dup", "naledi")], actor=ACTOR)
    assert (outcome.inserted, outcome.duplicates) == (1, 1)
    assert outcome.engagement_ids[0] == outcome.engagement_ids[1]


def test_engaging_makes_a_follower_an_engager_and_writes_the_timeline(session):
    followed = record_engagement(session, comment("f1", "lerato", None, kind="follow"), actor=ACTOR)
    contact = session.get(Contact, followed.contact_id)
    assert contact.lifecycle_stage == "follower"
    record_engagement(session, comment("c9", "lerato"), actor=ACTOR)
    session.refresh(contact)
    assert contact.lifecycle_stage == "engager"
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.contact_id == contact.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "lifecycle"]


def test_spam_stays_in_the_ledger_but_leaves_the_inbox(session):
    record_engagements(session, [
        comment("s1", "promo_guy", "Check out my channel!!! subscribe http://bit.ly/xyz"),
        comment("h1", "thandi", "Love the braai pack, can I order for Saturday?"),
    ], actor=ACTOR)
    stored = {e.external_id: (e.is_spam, e.spam_decided_by) for e in session.scalars(select(Engagement))}
    assert stored == {"s1": (True, "classifier"), "h1": (False, None)}
    assert [i.text for i in waiting_list(session)] == ["Love the braai pack, can I order for Saturday?"]
    spammer = session.scalar(select(Contact).where(Contact.display_name == "promo_guy"))
    assert spammer.lifecycle_stage == "follower"


def test_inbox_order_filters_and_counts(session):
    record_engagements(session, [
        comment("a", "one", at=T + timedelta(hours=2)),
        comment("b", "two", at=T, channel="facebook"),
        comment("c", "three", at=T + timedelta(hours=1), kind="share", text=None),
    ], actor=ACTOR)
    assert [i.contact_name for i in waiting_list(session)] == ["two", "three", "one"]
    assert [i.contact_name for i in waiting_list(session, channel="instagram")] == ["three", "one"]
    assert [i.contact_name for i in waiting_list(session, kind="share")] == ["three"]
    assert waiting_by_channel(session) == {"instagram": 2, "facebook": 1}
    assert waiting_count(session) == 3


def test_mark_contacted_and_spam_with_undo(session):
    item = record_engagement(session, comment("m1", "ayanda"), actor=ACTOR)
    user_actor = Actor("user:owner@example.com")
    set_spam(session, item.id, True, actor=user_actor)
    assert waiting_count(session) == 0
    set_spam(session, item.id, False, actor=user_actor)
    assert (item.is_spam, item.spam_decided_by) == (False, "user")
    assert waiting_count(session) == 1
    mark_contacted(session, item.id, actor=user_actor, at=T + timedelta(hours=1))
    assert waiting_count(session) == 0
    with pytest.raises(Conflict) as twice:
        mark_contacted(session, item.id, actor=user_actor)
    assert twice.value.message == f"engagement {item.id} was already answered on 2026-05-04 11:00 UTC"
    with pytest.raises(NotFound) as missing:
        mark_contacted(session, 999_999, actor=user_actor)
    assert missing.value.message == "no engagement 999999"
    summaries = session.scalars(
        select(AuditEvent.summary).where(AuditEvent.entity == "engagement").order_by(AuditEvent.id)
    ).all()
    assert summaries == ["Dismissed as spam: their comment on instagram",
                         "Restored from spam: their comment on instagram",
                         "Answered their comment on instagram personally"]


def test_anonymous_visits_join_the_journey_once_the_visitor_is_known(session):
    outcome = record_touches(session, [
        TouchRecord("tracker", "v1", "website", "visit", T, visitor_id="vis-42", utm_source="instagram",
                    utm_medium="paid_social", utm_campaign="winter-soup"),
        TouchRecord("tracker", "v2", "website", "visit", T + timedelta(days=1), visitor_id="vis-42"),
        TouchRecord("tracker", "v1", "website", "visit", T, visitor_id="vis-42"),
    ], actor=ACTOR)
    assert (outcome.inserted, outcome.duplicates, outcome.contacts_created) == (2, 1, 0)
    form = record_engagement(session, EngagementRecord(
        "tracker", "f1", "website", "form_submit", T + timedelta(days=1, minutes=3),
        (email_key("bongi@example.com"),), "Bongi"), actor=ACTOR)
    assert link_visitor(session, "vis-42", form.contact_id) == 2
    journey = session.scalars(
        select(Touch.external_id).where(Touch.contact_id == form.contact_id).order_by(Touch.occurred_at)
    ).all()
    assert journey == ["v1", "v2"]


def test_a_customer_who_leaves_a_review_becomes_an_ambassador_and_a_stranger_does_not(session):
    from accord.kernel.workspace import ensure_workspace
    from factories import T0, contact, order

    ensure_workspace(session, name="Review Kitchen")
    buyer = contact(session, name="Naledi", stage="customer")
    order(session, buyer, at=T0, lines=[(1, 10_000)])
    session.add(Identity(contact_id=buyer.id, kind="handle", channel="facebook", value="naledi.d", created_at=T0))
    session.flush()
    records = [
        EngagementRecord("fb", "r1", "facebook", "review", T0, (handle_key("facebook", "naledi.d", "ZA"),), "Naledi",
                         "Best catering in Soweto, five stars"),
        EngagementRecord("fb", "r2", "facebook", "review", T0, (handle_key("facebook", "newbie", "ZA"),), "Newbie",
                         "Looks tasty"),
    ]

    record_engagements(session, records, actor=Actor("test"))

    stages = dict(session.execute(select(Contact.display_name, Contact.lifecycle_stage)).all())
    assert (stages["Naledi"], stages["Newbie"]) == ("ambassador", "engager")
