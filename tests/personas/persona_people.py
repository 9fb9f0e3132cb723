"""People for persona tests, written through the ORM: organisations, engagements by channel, attributes, orders."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

import factories
from accord.contacts.models import Contact, ContactAttribute, Organisation
from accord.engagement.models import Engagement

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
_numbers = itertools.count(1)


def organisation(session: Session, *, industry: str | None = None, size: str | None = None, city: str | None = None,
                 region: str | None = None, country: str | None = "ZA") -> Organisation:
    """A company."""
    row = Organisation(name=f"Company {next(_numbers)}", industry=industry, size=size, city=city, region=region,
                       country=country, created_at=T0)
    session.add(row)
    session.flush()
    return row


def person(session: Session, name: str, *, channel: str = "instagram", stage: str = "engager",
           city: str | None = None, region: str | None = None, country: str | None = None,
           org: Organisation | None = None, engaged: Iterable[str] = (), spam: Iterable[str] = (),
           attributes: dict[str, list[str]] | None = None) -> Contact:
    """A contact with a non-spam engagement per channel in `engaged`, a spam one per channel in `spam`."""
    row = Contact(display_name=name, lifecycle_stage=stage, first_channel=channel, city=city, region=region,
                  country=country, organisation_id=org.id if org else None, created_at=T0, updated_at=T0)
    session.add(row)
    session.flush()
    for offset, (where, is_spam) in enumerate([(c, False) for c in engaged] + [(c, True) for c in spam]):
        at = T0 + timedelta(hours=offset)
        session.add(Engagement(source="persona-test", external_id=f"p{next(_numbers)}", contact_id=row.id,
                               channel=where, kind="comment", occurred_at=at, text="Looks delicious", is_spam=is_spam,
                               spam_decided_by="user" if is_spam else None, recorded_at=at))
    for key, values in (attributes or {}).items():
        for value in values:
            session.add(ContactAttribute(contact_id=row.id, key=key, value=value))
    session.flush()
    return row


def order(session: Session, who: Contact, minor: int, *, currency: str = "ZAR", at: datetime = T0,
          quantity: int = 1) -> None:
    """One order of one line; a negative quantity makes it a refund."""
    factories.order(session, who, at=at, lines=[(quantity, minor)], currency=currency)
