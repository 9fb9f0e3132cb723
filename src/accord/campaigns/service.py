"""Writes to campaigns: what they cost (spend rows), with campaigns found or created by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.campaigns.models import Campaign, Spend
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.db import allocate_ids, bulk_insert, chunked, known_ids



@dataclass(frozen=True, slots=True)
class SpendIn:
    """What one campaign cost on one day, identified by (source, external_id)."""

    source: str
    external_id: str
    campaign: str
    channel: str
    spent_on: date
    amount_minor: int
    currency: str
    note: str = ""


@dataclass(frozen=True)
class SpendOutcome:
    """What one batch of spend rows did."""

    inserted: int
    duplicates: int
    campaigns_created: int


def campaign_ids_by_name(session: Session, rows: Sequence[SpendIn]) -> tuple[dict[str, int], int]:
    """The campaign for every name in the rows; unknown names become campaigns on the first row's channel and
    currency, with no budget, running over the days their spend covers. Returns the ids and how many were new."""
    names = sorted({row.campaign for row in rows})
    found: dict[str, int] = {}
    for chunk in chunked(names):
        found.update(session.execute(select(Campaign.name, Campaign.id).where(Campaign.name.in_(chunk))).all())
    first: dict[str, SpendIn] = {}
    days: dict[str, list[date]] = {}
    for row in rows:
        if row.campaign not in found:
            first.setdefault(row.campaign, row)
            days.setdefault(row.campaign, []).append(row.spent_on)
    if not first:
        return found, 0
    ids = allocate_ids(session, Campaign, len(first))
    now = utcnow()
    bulk_insert(session, Campaign, [
        {"id": campaign_id, "name": name, "utm_campaign": None, "channel": row.channel, "persona_id": None,
         "goal_id": None, "plan_id": None, "budget_minor": 0, "currency": row.currency,
         "starts_on": min(days[name]), "ends_on": max(days[name]), "status": "running", "ideas": "",
         "created_at": now}
        for campaign_id, (name, row) in zip(ids, first.items(), strict=True)
    ])
    found.update(zip(first, ids, strict=True))
    return found, len(first)


def record_spend(session: Session, rows: Sequence[SpendIn], *, actor: Actor) -> SpendOutcome:
    """Record spend rows idempotently by (source, external_id); a campaign's dates widen to cover its spend."""
    known = set(known_ids(session, Spend, {(r.source, r.external_id) for r in rows}))
    fresh: list[SpendIn] = []
    for row in rows:
        pair = (row.source, row.external_id)
        if pair not in known:
            known.add(pair)
            fresh.append(row)
    if not fresh:
        return SpendOutcome(0, len(rows), 0)
    campaigns, created = campaign_ids_by_name(session, fresh)
    bulk_insert(session, Spend, [
        {"campaign_id": campaigns[r.campaign], "spent_on": r.spent_on, "amount_minor": r.amount_minor,
         "currency": r.currency, "note": r.note[:300], "source": r.source, "external_id": r.external_id}
        for r in fresh
    ])
    spans: dict[int, tuple[date, date]] = {}
    for r in fresh:
        cid = campaigns[r.campaign]
        low, high = spans.get(cid, (r.spent_on, r.spent_on))
        spans[cid] = (min(low, r.spent_on), max(high, r.spent_on))
    for cid, (low, high) in spans.items():
        session.execute(update(Campaign).where(Campaign.id == cid, Campaign.starts_on > low).values(starts_on=low))
        session.execute(update(Campaign).where(Campaign.id == cid, Campaign.ends_on < high).values(ends_on=high))
    return SpendOutcome(len(fresh), len(rows) - len(fresh), created)
