"""Writes to campaigns: planning them (name, ideas, channel, persona, goal, budget, dates, status) and what they
cost (spend rows), with campaigns found or created by name when spend is imported."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.campaigns.models import CAMPAIGN_STATUSES, Campaign, Spend
from accord.campaigns.schemas import CampaignIn, SpendEntryIn
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor, record, snapshot
from accord.kernel.clock import utcnow
from accord.kernel.db import allocate_ids, bulk_insert, chunked, get_row, known_ids
from accord.kernel.money import Money, check_currency
from accord.kernel.vocabulary import CHANNELS
from accord.personas.models import Persona
from accord.planning.models import Goal, Plan

MAX_NAME = 200
MAX_IDEAS = 10_000
MAX_NOTE = 300
MANUAL_SOURCE = "manual"
# Budgets and spend are stored as 64-bit integers of minor units.
MAX_MINOR = 10**15


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(field, "is empty; give the campaign a name people will recognise, e.g. 'Winter Warmers 2026'")
    if len(text) > limit:
        raise Invalid(field, f"{len(text):,} characters; the limit is {limit:,}")
    return text


def _minor(value: int, field: str, currency: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, f"{value!r} is not a whole number of minor units")
    if value < 0:
        raise Invalid(field, f"{Money(value, currency)} is negative; it must be zero or more")
    if value > MAX_MINOR:
        raise Invalid(field, f"{value:,} minor units is more than this workspace can hold")
    return value


def _existing(session: Session, model: type, key: int | None, field: str, what: str) -> int | None:
    if key is not None and session.get(model, key) is None:
        raise Invalid(field, f"there is no {what} {key}")
    return key


def _checked(session: Session, data: CampaignIn, *, campaign_id: int | None) -> dict[str, object]:
    """The campaign's columns from the input, each fault named by its field."""
    name = _text(data.name, "name", MAX_NAME, required=True)
    if data.channel not in CHANNELS:
        raise Invalid("channel", f"'{data.channel}' is not a channel; use one of {', '.join(CHANNELS)}")
    if data.status not in CAMPAIGN_STATUSES:
        raise Invalid("status", f"'{data.status}' is not a status; use one of {', '.join(CAMPAIGN_STATUSES)}")
    currency = check_currency(data.currency)
    budget = _minor(data.budget_minor, "budget_minor", currency)
    if data.ends_on < data.starts_on:
        raise Invalid("ends_on", f"{data.ends_on} is before starts_on {data.starts_on}")
    utm = (data.utm_campaign or "").strip() or None
    if utm is not None and len(utm) > MAX_NAME:
        raise Invalid("utm_campaign", f"{len(utm):,} characters; the limit is {MAX_NAME}")
    others = select(Campaign.id).where(Campaign.id != campaign_id) if campaign_id else select(Campaign.id)
    if session.scalar(others.where(Campaign.name == name)) is not None:
        raise Conflict(f"a campaign named '{name}' already exists")
    if utm is not None and session.scalar(others.where(Campaign.utm_campaign == utm)) is not None:
        raise Conflict(f"another campaign already uses utm_campaign '{utm}'")
    return {
        "name": name, "channel": data.channel, "status": data.status, "currency": currency, "budget_minor": budget,
        "starts_on": data.starts_on, "ends_on": data.ends_on, "utm_campaign": utm,
        "ideas": _text(data.ideas, "ideas", MAX_IDEAS, required=False),
        "persona_id": _existing(session, Persona, data.persona_id, "persona_id", "persona"),
        "goal_id": _existing(session, Goal, data.goal_id, "goal_id", "goal"),
        "plan_id": _existing(session, Plan, data.plan_id, "plan_id", "plan"),
    }


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    """The campaign, or NotFound."""
    return get_row(session, Campaign, campaign_id, "campaign")


def create_campaign(session: Session, data: CampaignIn, *, actor: Actor) -> Campaign:
    """Plan a campaign: name, ideas, channel, persona, goal, plan, budget and dates."""
    campaign = Campaign(**_checked(session, data, campaign_id=None), created_at=utcnow())
    session.add(campaign)
    session.flush()
    record(session, actor=actor, entity="campaign", entity_id=campaign.id, action="created",
           summary=f"Campaign '{campaign.name}' planned", after=snapshot(campaign))
    return campaign


def update_campaign(session: Session, campaign_id: int, data: CampaignIn, *, actor: Actor) -> Campaign:
    """Change a campaign's plan: every field is replaced by the input."""
    campaign = get_campaign(session, campaign_id)
    values = _checked(session, data, campaign_id=campaign.id)
    before = snapshot(campaign)
    for key, value in values.items():
        setattr(campaign, key, value)
    session.flush()
    record(session, actor=actor, entity="campaign", entity_id=campaign.id, action="updated",
           summary=f"Campaign '{campaign.name}' changed", before=before, after=snapshot(campaign))
    return campaign


def add_spend(session: Session, campaign_id: int, data: SpendEntryIn, *, actor: Actor) -> Spend:
    """Record what a campaign cost on one day, entered by a person (imports use record_spend)."""
    campaign = get_campaign(session, campaign_id)
    currency = check_currency(data.currency)
    amount = _minor(data.amount_minor, "amount_minor", currency)
    spend = Spend(campaign_id=campaign.id, spent_on=data.spent_on, amount_minor=amount, currency=currency,
                  note=_text(data.note, "note", MAX_NOTE, required=False), source=MANUAL_SOURCE,
                  external_id=uuid.uuid4().hex)
    session.add(spend)
    session.flush()
    record(session, actor=actor, entity="campaign", entity_id=campaign.id, action="spend recorded",
           summary=f"{amount} minor units of {currency} spent on {data.spent_on}", after=snapshot(spend))
    return spend


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
