"""The schema itself refuses bad rows, on SQLite and PostgreSQL alike, whatever code writes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from accord.campaigns.models import Campaign, Spend
from accord.contacts.models import Contact, Identity
from accord.engagement.models import Engagement, Touch
from accord.nurture.models import Referral
from accord.personas.models import Persona, PersonaFit
from accord.pipeline.models import Offer, Order, OrderLine
from accord.planning.models import Goal

AT = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)


# Factories: each returns a valid, unsaved row; keyword arguments override single fields.
def contact(**overrides) -> Contact:
    fields = {"display_name": "Thandi Mokoena", "first_channel": "instagram", "created_at": AT, "updated_at": AT}
    return Contact(**fields | overrides)


def identity(contact_id: int, **overrides) -> Identity:
    fields = {"contact_id": contact_id, "kind": "email", "channel": "email", "value": "thandi@example.co.za"}
    return Identity(**fields | {"created_at": AT} | overrides)


def engagement(contact_id: int, **overrides) -> Engagement:
    fields = {"source": "instagram", "external_id": "ig-comment-1", "contact_id": contact_id, "channel": "instagram",
              "kind": "comment", "occurred_at": AT, "recorded_at": AT}
    return Engagement(**fields | overrides)


def touch(**overrides) -> Touch:
    fields = {"source": "tracker", "external_id": "visit-1", "channel": "website", "kind": "visit", "occurred_at": AT}
    return Touch(**fields | overrides)


def order(**overrides) -> Order:
    fields = {"source": "shop", "external_id": "1001", "ordered_at": AT, "channel": "website", "currency": "ZAR",
              "created_at": AT}
    return Order(**fields | overrides)


def order_line(order_id: int, **overrides) -> OrderLine:
    fields = {"order_id": order_id, "line_no": 1, "description": "Soy candle", "quantity": 2,
              "unit_price_minor": 12000, "unit_cost_minor": 4000}
    return OrderLine(**fields | overrides)


def offer(**overrides) -> Offer:
    fields = {"sku": "CANDLE-1", "name": "Soy candle", "kind": "product", "category": "home", "price_minor": 12000,
              "unit_cost_minor": 4000, "currency": "ZAR"}
    return Offer(**fields | overrides)


def campaign(**overrides) -> Campaign:
    fields = {"name": "Winter candles", "channel": "instagram", "budget_minor": 500000, "currency": "ZAR",
              "starts_on": date(2026, 6, 1), "ends_on": date(2026, 6, 30), "created_at": AT}
    return Campaign(**fields | overrides)


def spend(campaign_id: int, **overrides) -> Spend:
    fields = {"campaign_id": campaign_id, "spent_on": date(2026, 6, 2), "amount_minor": 25000, "currency": "ZAR",
              "source": "meta-ads", "external_id": "2026-06-02"}
    return Spend(**fields | overrides)


def goal(**overrides) -> Goal:
    fields = {"name": "Winter revenue", "metric": "revenue", "unit": "minor_units", "target": 10_000_000,
              "currency": "ZAR", "period_start": date(2026, 6, 1), "period_end": date(2026, 9, 1), "created_at": AT}
    return Goal(**fields | overrides)


def persona_fit(persona_id: int, contact_id: int, **overrides) -> PersonaFit:
    fields = {"persona_id": persona_id, "contact_id": contact_id, "score": 0.75, "computed_at": AT}
    return PersonaFit(**fields | overrides)


def referral(referrer_id: int, referred_id: int, **overrides) -> Referral:
    fields = {"referrer_contact_id": referrer_id, "referred_contact_id": referred_id, "referred_at": AT,
              "reward_currency": "ZAR"}
    return Referral(**fields | overrides)


def saved(session: Session, row):
    session.add(row)
    session.flush()
    return row


def refused(session: Session, row) -> str:
    """Insert `row` in a savepoint that must fail; what the database said was broken."""
    with pytest.raises(IntegrityError) as error:
        with session.begin_nested():
            session.add(row)
            session.flush()
    orig = error.value.orig
    # PostgreSQL names the constraint; SQLite names it only for CHECK, and says which columns for UNIQUE.
    if session.get_bind().dialect.name == "postgresql":
        return orig.diag.constraint_name
    return str(orig)


def check_failed(session: Session, name: str) -> str:
    """What `refused` returns for a broken CHECK constraint on this backend."""
    return name if session.get_bind().dialect.name == "postgresql" else f"CHECK constraint failed: {name}"


def by_backend(session: Session, *, postgresql: str, sqlite: str) -> str:
    return {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]


def test_the_factories_make_rows_the_schema_accepts(session):
    person, friend = saved(session, contact()), saved(session, contact(display_name="Sipho Dlamini"))
    saved(session, identity(person.id))
    saved(session, engagement(person.id))
    saved(session, touch(contact_id=person.id))
    sale = saved(session, order(contact_id=person.id))
    saved(session, order_line(sale.id))
    saved(session, offer())
    saved(session, spend(saved(session, campaign()).id))
    saved(session, goal())
    persona = saved(session, Persona(name="Gift buyer", kind="declared", created_at=AT))
    saved(session, persona_fit(persona.id, person.id))
    saved(session, referral(person.id, friend.id))

    assert session.scalar(select(OrderLine.quantity).where(OrderLine.order_id == sale.id)) == 2


def test_the_limits_themselves_are_allowed(session):
    person, friend = saved(session, contact()), saved(session, contact(display_name="Sipho Dlamini"))
    sale = saved(session, order())
    persona = saved(session, Persona(name="Gift buyer", kind="declared", created_at=AT))

    saved(session, offer(price_minor=0, unit_cost_minor=0))
    refund = saved(session, order_line(sale.id, quantity=-1, unit_price_minor=0, unit_cost_minor=None))
    one_day = saved(session, campaign(starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 1)))
    saved(session, spend(one_day.id, amount_minor=0))
    saved(session, goal(metric="new_customers", unit="count", target=40, currency=None))
    saved(session, persona_fit(persona.id, person.id, score=1.0))
    saved(session, persona_fit(persona.id, friend.id, score=0.0))
    saved(session, identity(person.id, kind="handle", channel="instagram", value="@thandi.candles"))

    assert (refund.quantity, one_day.ends_on) == (-1, date(2026, 6, 1))


def test_an_identity_is_unique_by_kind_channel_and_value(session):
    first, second = saved(session, contact()), saved(session, contact(display_name="Someone else"))
    saved(session, identity(first.id))

    assert refused(session, identity(second.id)) == by_backend(
        session,
        postgresql="uq_identity_kind_channel_value",
        sqlite="UNIQUE constraint failed: identity.kind, identity.channel, identity.value",
    )
    # The same handle on another channel is another identity.
    saved(session, identity(first.id, kind="handle", channel="instagram", value="thandi"))
    saved(session, identity(second.id, kind="handle", channel="tiktok", value="thandi"))


def test_an_engagement_is_unique_by_source_and_external_id(session):
    first, second = saved(session, contact()), saved(session, contact(display_name="Someone else"))
    saved(session, engagement(first.id))

    assert refused(session, engagement(second.id, kind="like")) == by_backend(
        session,
        postgresql="uq_engagement_source_external_id",
        sqlite="UNIQUE constraint failed: engagement.source, engagement.external_id",
    )
    saved(session, engagement(first.id, source="facebook"))


def test_a_touch_is_unique_by_source_and_external_id(session):
    saved(session, touch())

    assert refused(session, touch(kind="ad_click")) == by_backend(
        session,
        postgresql="uq_touch_source_external_id",
        sqlite="UNIQUE constraint failed: touch.source, touch.external_id",
    )


def test_an_order_is_unique_by_source_and_external_id(session):
    saved(session, order())

    assert refused(session, order(channel="in_person")) == by_backend(
        session,
        postgresql="uq_sales_order_source_external_id",
        sqlite="UNIQUE constraint failed: sales_order.source, sales_order.external_id",
    )
    saved(session, order(source="pos"))


def _line_of_a_new_order(session: Session, **overrides) -> OrderLine:
    return order_line(saved(session, order()).id, **overrides)


def _spend_of_a_new_campaign(session: Session, **overrides) -> Spend:
    return spend(saved(session, campaign()).id, **overrides)


def _fit_of_a_new_persona(session: Session, **overrides) -> PersonaFit:
    persona = saved(session, Persona(name="Gift buyer", kind="declared", created_at=AT))
    return persona_fit(persona.id, saved(session, contact()).id, **overrides)


def _referral_to_self(session: Session) -> Referral:
    person = saved(session, contact())
    return referral(person.id, person.id)


CHECKS: list[tuple[str, Callable[[Session], object], str]] = [
    ("negative offer price", lambda s: offer(price_minor=-1), "ck_offer_price_not_negative"),
    ("order line quantity 0", lambda s: _line_of_a_new_order(s, quantity=0), "ck_order_line_quantity_not_zero"),
    ("negative unit price", lambda s: _line_of_a_new_order(s, unit_price_minor=-1), "ck_order_line_price_not_negative"),
    ("negative spend", lambda s: _spend_of_a_new_campaign(s, amount_minor=-1), "ck_spend_amount_not_negative"),
    (
        "campaign ends before it starts",
        lambda s: campaign(starts_on=date(2026, 6, 2), ends_on=date(2026, 6, 1)),
        "ck_campaign_ends_after_start",
    ),
    (
        "goal with an empty period",
        lambda s: goal(period_start=date(2026, 6, 1), period_end=date(2026, 6, 1)),
        "ck_goal_period_not_empty",
    ),
    ("money goal without currency", lambda s: goal(currency=None), "ck_goal_money_has_currency"),
    ("unknown lifecycle stage", lambda s: contact(lifecycle_stage="prospect"), "ck_contact_lifecycle_stage_allowed"),
    ("unknown channel", lambda s: touch(channel="myspace"), "ck_touch_channel_allowed"),
    ("persona fit above 1", lambda s: _fit_of_a_new_persona(s, score=1.01), "ck_persona_fit_score_in_unit_range"),
    ("referral to self", _referral_to_self, "ck_referral_not_self"),
    (
        "email identity on another channel",
        lambda s: identity(saved(s, contact()).id, channel="instagram"),
        "ck_identity_email_phone_channel",
    ),
]


@pytest.mark.parametrize(("make", "constraint"), [case[1:] for case in CHECKS], ids=[case[0] for case in CHECKS])
def test_check_constraints_refuse_bad_rows(session, make, constraint):
    assert refused(session, make(session)) == check_failed(session, constraint)


def test_an_engagement_for_a_missing_contact_is_refused(session):
    missing = (session.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1)) or 0) + 1000

    assert refused(session, engagement(missing)) == by_backend(
        session, postgresql="fk_engagement_contact_id_contact", sqlite="FOREIGN KEY constraint failed"
    )
    assert session.scalar(select(Engagement.id)) is None


def test_a_failed_insert_leaves_the_rest_of_the_transaction_usable(session):
    person = saved(session, contact())
    saved(session, identity(person.id))
    refused(session, identity(person.id))

    assert session.scalars(select(Identity.value)).all() == ["thandi@example.co.za"]


def test_naive_datetimes_are_refused_before_they_reach_the_database(session):
    with pytest.raises(StatementError) as error:
        with session.begin_nested():
            session.add(contact(created_at=datetime(2026, 6, 1, 12, 0)))
            session.flush()

    assert not isinstance(error.value, IntegrityError)
    assert isinstance(error.value.orig, ValueError)
    assert str(error.value.orig) == (
        "naive datetime datetime.datetime(2026, 6, 1, 12, 0): times must carry a time zone"
    )
    assert session.scalar(select(Contact.id)) is None


def test_datetimes_come_back_as_the_same_instant_in_utc(session):
    written = datetime(2026, 6, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    person = saved(session, contact(created_at=written))

    read = session.scalar(select(Contact.created_at).where(Contact.id == person.id))

    assert read == written
    assert (read.isoformat(), read.tzinfo) == ("2026-06-01T10:30:15.123456+00:00", timezone.utc)
    assert session.scalars(select(Contact.id).where(Contact.created_at == written)).all() == [person.id]
    assert session.scalars(select(Contact.id).where(Contact.created_at > written)).all() == []
