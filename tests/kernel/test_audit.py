"""The audit trail: rows written in the caller's transaction, read back newest first per contact."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from accord.accounts.models import User
from accord.campaigns.models import Campaign
from accord.contacts.models import Contact
from accord.kernel.audit import SYSTEM, Actor, record, snapshot, timeline
from accord.kernel.clock import utcnow
from accord.kernel.models import AuditEvent, CurrencyRate

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)


def saved(session, row):
    session.add(row)
    session.flush()
    return row


def contact(session, name: str = "Thandi Mokoena") -> Contact:
    return saved(session, Contact(display_name=name, first_channel="instagram", created_at=T0, updated_at=T0))


def user(session) -> User:
    row = User(email="ann@example.com", name="Ann Smith", role="sales", password_hash="-", created_at=T0)
    return saved(session, row)


def test_record_writes_who_what_when_and_before_after(session):
    thandi, ann = contact(session), user(session)

    event = record(
        session,
        actor=Actor.user(ann),
        entity="contact",
        entity_id=thandi.id,
        contact_id=thandi.id,
        action="lifecycle_stage_changed",
        summary="follower → engager",
        before={"lifecycle_stage": "follower"},
        after={"lifecycle_stage": "engager"},
        at=T0 + timedelta(hours=1),
    )
    session.expire_all()

    row = session.scalars(select(AuditEvent)).one()
    assert row.id == event.id
    assert {column: getattr(row, column) for column in AuditEvent.__table__.columns.keys() if column != "id"} == {
        "at": datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc),
        "actor_user_id": ann.id,
        "actor": "user:ann@example.com",
        "entity": "contact",
        "entity_id": thandi.id,
        "contact_id": thandi.id,
        "action": "lifecycle_stage_changed",
        "summary": "follower → engager",
        "before": {"lifecycle_stage": "follower"},
        "after": {"lifecycle_stage": "engager"},
    }


def test_record_defaults_to_now_and_a_system_actor_has_no_user(session):
    thandi = contact(session)

    event = record(session, actor=SYSTEM, entity="contact", entity_id=thandi.id, action="created")

    assert (event.actor, event.actor_user_id, event.contact_id, event.summary, event.before, event.after) == (
        "system", None, None, "", None, None,
    )
    assert event.at.tzinfo is timezone.utc
    assert abs(event.at - utcnow()) < timedelta(seconds=10)
    assert timeline(session, thandi.id) == []


def test_timeline_is_one_contacts_events_newest_first(session):
    thandi, sipho = contact(session), contact(session, "Sipho Dlamini")
    importer = Actor("import:instagram-2026-05.csv")

    def event(who: Contact, action: str, minutes: int) -> AuditEvent:
        at = T0 + timedelta(minutes=minutes)
        return record(
            session, actor=importer, entity="contact", entity_id=who.id, contact_id=who.id, action=action, at=at
        )

    event(thandi, "created", 0)
    event(thandi, "consent_granted", 30)
    event(sipho, "created", 15)
    event(thandi, "identity_added", 10)
    event(thandi, "note_added", 30)  # the same instant as consent_granted: the later row comes first

    assert [(e.action, e.at) for e in timeline(session, thandi.id)] == [
        ("note_added", T0 + timedelta(minutes=30)),
        ("consent_granted", T0 + timedelta(minutes=30)),
        ("identity_added", T0 + timedelta(minutes=10)),
        ("created", T0),
    ]
    assert [e.action for e in timeline(session, thandi.id, limit=2)] == ["note_added", "consent_granted"]
    assert [e.action for e in timeline(session, sipho.id)] == ["created"]


def test_snapshot_of_an_orm_object_is_json_safe(session):
    thandi = contact(session)
    thandi.updated_at = datetime(2026, 5, 4, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    session.flush()

    data = snapshot(thandi)

    assert data == {
        "id": thandi.id,
        "display_name": "Thandi Mokoena",
        "lifecycle_stage": "follower",
        "first_channel": "instagram",
        "organisation_id": None,
        "owner_user_id": None,
        "city": None,
        "region": None,
        "country": None,
        "created_at": "2026-05-04T08:00:00+00:00",
        "updated_at": "2026-05-04T12:30:00+02:00",
        "erased_at": None,
        "merged_into_id": None,
    }
    assert json.loads(json.dumps(data)) == data


def test_snapshot_turns_dates_and_decimals_into_exact_text(session):
    rate = saved(session, CurrencyRate(currency="USD", valid_from=date(2026, 5, 1), rate=Decimal("18.4312500000")))
    winter = saved(session, Campaign(name="Winter", channel="instagram", budget_minor=500000, currency="ZAR",
                                     starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30), created_at=T0))

    rate_data, campaign_data = snapshot(rate), snapshot(winter)

    assert rate_data == {"id": rate.id, "currency": "USD", "valid_from": "2026-05-01", "rate": "18.4312500000"}
    assert (campaign_data["starts_on"], campaign_data["budget_minor"], campaign_data["persona_id"]) == (
        "2026-06-01", 500000, None,
    )
    assert json.loads(json.dumps(campaign_data)) == campaign_data


def test_snapshots_stored_as_before_and_after_read_back_unchanged(session):
    thandi = contact(session)
    before = snapshot(thandi)
    thandi.lifecycle_stage = "engager"
    session.flush()
    after = snapshot(thandi)

    record(session, actor=SYSTEM, entity="contact", entity_id=thandi.id, contact_id=thandi.id,
           action="lifecycle_stage_changed", before=before, after=after)
    session.expire_all()

    stored = session.execute(select(AuditEvent.before, AuditEvent.after)).one()
    assert tuple(stored) == (before, after)
    assert (stored.before["lifecycle_stage"], stored.after["lifecycle_stage"]) == ("follower", "engager")
