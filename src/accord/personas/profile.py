"""Every live contact's attributes for persona rules and discovery, read in bulk: a query per table, none per contact.

A contact's place is their own city, region and country, each falling back to their organisation's. Spend is the
net value of all their orders (refunds subtracted) in the workspace's base currency, each foreign order converted
at the rate in force on its local day, as the reviews do. Merged duplicates and erased contacts are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import case, func, not_, select
from sqlalchemy.orm import Session

from accord.contacts.models import Contact, ContactAttribute, Organisation
from accord.engagement.models import Engagement
from accord.kernel.clock import zone
from accord.kernel.rates import load_rates
from accord.kernel.workspace import get_workspace
from accord.pipeline.models import Order, OrderLine

# The contact columns persona rules and discovery read, after the organisation fallback.
PLACE = ("city", "region", "country")
COLUMNS = ("first_channel", "lifecycle_stage", *PLACE, "industry", "org_size", "has_organisation")


@dataclass(frozen=True)
class Profiles:
    """Live contacts, one row each (index contact_id), and what they did, as frames for vectorised rules."""

    contacts: pd.DataFrame  # COLUMNS; missing text is None
    base_currency: str
    engagements: pd.DataFrame | None = None  # contacts × channel: engagements that are not spam
    spend: pd.DataFrame | None = None  # spend_minor (net, base currency) and orders (orders of positive value)
    attributes: pd.DataFrame | None = None  # contact_id, key, value: one row a value
    unconverted: dict[str, int] = field(default_factory=dict)  # foreign amounts left out for want of a rate

    @property
    def ids(self) -> pd.Index:
        """The live contacts' ids, ascending."""
        return self.contacts.index


def load_profiles(session: Session, *, engagements: bool = True, spend: bool = True,
                  attribute_keys: Iterable[str] | None = ()) -> Profiles:
    """Read what rules or discovery need; `attribute_keys` None reads every contact_attribute key."""
    workspace = get_workspace(session)
    contacts = _contacts(session)
    ids = contacts.index
    spend_frame, unconverted = (_spend(session, ids, workspace.base_currency, workspace.timezone)
                                if spend else (None, {}))
    keys = None if attribute_keys is None else sorted(set(attribute_keys))
    return Profiles(
        contacts=contacts, base_currency=workspace.base_currency,
        engagements=_engagements(session, ids) if engagements else None,
        spend=spend_frame,
        attributes=_attributes(session, ids, keys) if keys is None or keys else None,
        unconverted=unconverted,
    )


def _contacts(session: Session) -> pd.DataFrame:
    query = (
        select(Contact.id, Contact.first_channel, Contact.lifecycle_stage,
               *(func.coalesce(getattr(Contact, level), getattr(Organisation, level)) for level in PLACE),
               Organisation.industry, Organisation.size, Organisation.id.is_not(None))
        .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
        .where(Contact.merged_into_id.is_(None), Contact.erased_at.is_(None))
        .order_by(Contact.id)
    )
    frame = pd.DataFrame.from_records(session.execute(query).all(), columns=["contact_id", *COLUMNS])
    frame = frame.set_index("contact_id")
    frame.index = frame.index.astype("int64")
    frame["has_organisation"] = frame["has_organisation"].astype(bool)
    for column in COLUMNS[:-1]:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _engagements(session: Session, ids: pd.Index) -> pd.DataFrame:
    rows = session.execute(
        select(Engagement.contact_id, Engagement.channel, func.count())
        .where(not_(Engagement.is_spam)).group_by(Engagement.contact_id, Engagement.channel)
    ).all()
    frame = pd.DataFrame.from_records(rows, columns=["contact_id", "channel", "n"])
    wide = frame.pivot(index="contact_id", columns="channel", values="n") if len(frame) else pd.DataFrame()
    wide = wide.reindex(index=ids, columns=sorted(wide.columns), fill_value=0).fillna(0).astype("int64")
    wide.columns.name = None
    return wide


def _spend(session: Session, ids: pd.Index, base: str, timezone: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Net spend in the base currency and the number of orders of positive value, per contact."""
    per_order = (
        select(Order.id, Order.contact_id, Order.currency, Order.ordered_at,
               func.sum(OrderLine.quantity * OrderLine.unit_price_minor).label("net"))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.contact_id.is_not(None))
        .group_by(Order.id, Order.contact_id, Order.currency, Order.ordered_at)
        .subquery()
    )
    # Orders in the base currency are summed in the database; only foreign ones come back one by one.
    in_base = session.execute(
        select(per_order.c.contact_id, func.sum(per_order.c.net), func.sum(case((per_order.c.net > 0, 1), else_=0)))
        .where(per_order.c.currency == base).group_by(per_order.c.contact_id)
    ).all()
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for contact_id, net, bought in in_base:
        totals[contact_id] = [int(net), int(bought)]
    foreign = session.execute(
        select(per_order.c.contact_id, per_order.c.currency, per_order.c.ordered_at, per_order.c.net)
        .where(per_order.c.currency != base)
    ).all()
    unconverted: dict[str, int] = defaultdict(int)
    if foreign:
        rates = load_rates(session)
        tz = zone(timezone)
        for contact_id, currency, ordered_at, net in foreign:
            converted = rates.to_base(int(net), currency, ordered_at.astimezone(tz).date())
            if converted is None:
                unconverted[currency] += int(net)
                continue
            totals[contact_id][0] += converted
            totals[contact_id][1] += int(net) > 0
    frame = pd.DataFrame.from_dict(totals, orient="index", columns=["spend_minor", "orders"], dtype="int64")
    return frame.reindex(ids, fill_value=0).astype("int64"), dict(sorted(unconverted.items()))


def _attributes(session: Session, ids: pd.Index, keys: list[str] | None) -> pd.DataFrame:
    query = select(ContactAttribute.contact_id, ContactAttribute.key, ContactAttribute.value)
    if keys is not None:
        query = query.where(ContactAttribute.key.in_(keys))
    frame = pd.DataFrame.from_records(session.execute(query).all(), columns=["contact_id", "key", "value"])
    frame["contact_id"] = frame["contact_id"].astype("int64")
    return frame[frame["contact_id"].isin(ids)].reset_index(drop=True)


def attribute_keys(session: Session) -> list[str]:
    """The contact_attribute keys that hold at least one value, alphabetically."""
    return list(session.scalars(select(ContactAttribute.key).distinct().order_by(ContactAttribute.key)))
