"""Test factories: rows for the dashboard and pages, written through the ORM (write services come later)."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from accord.contacts.models import Contact, Identity
from accord.engagement.models import Engagement
from accord.kernel.models import CurrencyRate
from accord.pipeline.models import Deal, Order, OrderLine

_ids = itertools.count(1)
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def contact(session: Session, *, name: str = "Naledi", stage: str = "engager", channel: str = "instagram",
            at: datetime = T0, email: str | None = None) -> Contact:
    """A contact, with an email identity when given."""
    row = Contact(display_name=name, lifecycle_stage=stage, first_channel=channel, created_at=at, updated_at=at)
    session.add(row)
    session.flush()
    if email:
        session.add(Identity(contact_id=row.id, kind="email", channel="email", value=email, created_at=at))
    return row


def engagement(session: Session, who: Contact, *, at: datetime = T0, answered: datetime | None = None,
               spam: bool = False, kind: str = "comment", text: str = "Do you deliver to Soweto?") -> Engagement:
    """An engagement by `who`."""
    row = Engagement(source="test", external_id=f"e{next(_ids)}", contact_id=who.id, channel=who.first_channel,
                     kind=kind, occurred_at=at, text=text, is_spam=spam, answered_at=answered, recorded_at=at)
    session.add(row)
    session.flush()
    return row


def deal(session: Session, who: Contact, *, stage: str = "qualified", value: int = 150_000,
         currency: str = "ZAR", title: str = "Year-end function") -> Deal:
    """A deal with `who`."""
    row = Deal(contact_id=who.id, title=title, stage=stage, value_minor=value, currency=currency,
               created_at=T0, updated_at=T0)
    session.add(row)
    session.flush()
    return row


def order(session: Session, who: Contact | None, *, at: datetime, lines: list[tuple[int, int]],
          currency: str = "ZAR") -> Order:
    """An order with (quantity, unit price minor) lines; negative quantities are refunds."""
    row = Order(source="test", external_id=f"o{next(_ids)}", contact_id=who.id if who else None, ordered_at=at,
                channel="website", currency=currency, created_at=at)
    session.add(row)
    session.flush()
    for number, (quantity, price) in enumerate(lines, start=1):
        session.add(OrderLine(order_id=row.id, line_no=number, description=f"item {number}", quantity=quantity,
                              unit_price_minor=price, unit_cost_minor=price // 2))
    session.flush()
    return row


def rate(session: Session, currency: str, valid_from, value: str) -> None:
    """A currency rate to the base currency."""
    from decimal import Decimal

    session.add(CurrencyRate(currency=currency, valid_from=valid_from, rate=Decimal(value)))
    session.flush()
