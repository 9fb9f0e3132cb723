"""Writes to the pipeline: orders with their lines, and deals, in bulk and idempotently (for imports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from accord.contacts.identity import IdentityKey
from accord.contacts.service import PersonIn, advance_lifecycle, resolve_people
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.db import allocate_ids, bulk_insert, chunked
from accord.kernel.models import AuditEvent
from accord.pipeline.models import OPEN_DEAL_STAGES, Deal, DealStageChange, Offer, Order, OrderLine



@dataclass(frozen=True, slots=True)
class OrderLineIn:
    """One validated order line, with the facts of the order it belongs to (taken from its first line)."""

    source: str
    order_external_id: str
    line_no: int
    ordered_at: datetime
    channel: str
    currency: str
    quantity: int
    unit_price_minor: int
    description: str
    sku: str | None = None
    unit_cost_minor: int | None = None
    keys: tuple[IdentityKey, ...] = ()
    display_name: str = ""
    country: str | None = None
    location: str | None = None
    category: str = "imported"


@dataclass(frozen=True)
class OrderLinesOutcome:
    """What one batch of order lines did."""

    orders_created: int
    lines_written: int
    lines_duplicate: int
    offers_created: int
    contacts_created: int


def _order_ids(session: Session, source: str, external_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunked(sorted(set(external_ids))):
        found.update(session.execute(
            select(Order.external_id, Order.id).where(Order.source == source, Order.external_id.in_(chunk))
        ).all())
    return found


def offer_ids_by_sku(session: Session, lines: Sequence[OrderLineIn]) -> tuple[dict[str, int], int]:
    """The offer for every SKU in the lines; SKUs not in the catalogue become offers (price from the first line,
    unit cost from it when known, else 0 until someone sets it). Returns the ids and how many were created."""
    skus = sorted({line.sku for line in lines if line.sku})
    found: dict[str, int] = {}
    for chunk in chunked(skus):
        found.update(session.execute(select(Offer.sku, Offer.id).where(Offer.sku.in_(chunk))).all())
    first: dict[str, OrderLineIn] = {}
    for line in lines:
        if line.sku and line.sku not in found and line.sku not in first:
            first[line.sku] = line
    if not first:
        return found, 0
    ids = allocate_ids(session, Offer, len(first))
    bulk_insert(session, Offer, [
        {"id": offer_id, "sku": sku, "name": (line.description or sku)[:200], "kind": "product",
         "category": line.category[:80], "price_minor": abs(line.unit_price_minor),
         "unit_cost_minor": line.unit_cost_minor or 0, "currency": line.currency, "active": True}
        for offer_id, (sku, line) in zip(ids, first.items(), strict=True)
    ])
    found.update(zip(first, ids, strict=True))
    return found, len(first)


def record_order_lines(session: Session, lines: Sequence[OrderLineIn], *, actor: Actor) -> OrderLinesOutcome:
    """Write order lines idempotently by (source, order id, line number).

    An order is created with its first line's facts and customer (found or created by identity, then moved
    forward to customer), with an audit row; lines already stored are skipped, so an order whose lines
    arrive in several batches, or a file imported twice, ends up whole and single.
    """
    by_order: dict[tuple[str, str], list[OrderLineIn]] = {}
    for line in lines:
        by_order.setdefault((line.source, line.order_external_id), []).append(line)
    existing: dict[tuple[str, str], int] = {}
    for source in {s for s, _ in by_order}:
        ids = _order_ids(session, source, [e for s, e in by_order if s == source])
        existing.update({(source, external_id): order_id for external_id, order_id in ids.items()})
    stored_lines: set[tuple[int, int]] = set()
    for chunk in chunked(sorted(set(existing.values()))):
        stored_lines.update(session.execute(
            select(OrderLine.order_id, OrderLine.line_no).where(OrderLine.order_id.in_(chunk))
        ).all())

    new_orders = [(key, group[0]) for key, group in by_order.items() if key not in existing]
    identified = [first for _, first in new_orders if first.keys]
    resolution = resolve_people(
        session, [PersonIn(f.keys, f.display_name, f.channel, f.ordered_at) for f in identified], actor=actor
    )
    contact_of = {id(first): cid for first, cid in zip(identified, resolution.contact_ids, strict=True)}
    now = utcnow()
    order_ids = allocate_ids(session, Order, len(new_orders))
    order_rows = [
        {"id": order_id, "source": first.source, "external_id": first.order_external_id,
         "contact_id": contact_of.get(id(first)), "deal_id": None, "ordered_at": first.ordered_at,
         "channel": first.channel, "location": first.location, "country": first.country,
         "currency": first.currency, "created_at": now}
        for order_id, (_, first) in zip(order_ids, new_orders, strict=True)
    ]
    if order_rows:
        bulk_insert(session, Order, order_rows)
        existing.update(zip((key for key, _ in new_orders), order_ids, strict=True))

    offers, offers_created = offer_ids_by_sku(session, lines)
    line_rows = []
    added: dict[int, int] = {}
    for key, group in by_order.items():
        order_id = existing[key]
        for line in group:
            if (order_id, line.line_no) in stored_lines:
                continue
            stored_lines.add((order_id, line.line_no))
            added[order_id] = added.get(order_id, 0) + 1
            line_rows.append({
                "order_id": order_id, "line_no": line.line_no, "offer_id": offers.get(line.sku) if line.sku else None,
                "description": line.description[:300], "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor, "unit_cost_minor": line.unit_cost_minor,
            })
    if line_rows:
        bulk_insert(session, OrderLine, line_rows)

    new_ids = set(order_ids)
    audit = [
        {"at": now, "actor_user_id": actor.user_id, "actor": actor.label, "entity": "order", "entity_id": row["id"],
         "contact_id": row["contact_id"], "action": "created",
         "summary": f"Order {row['external_id']} ({row['source']}) imported with {added.get(row['id'], 0)} lines",
         "before": None, "after": {"external_id": row["external_id"], "lines": added.get(row["id"], 0)}}
        for row in order_rows
    ] + [
        {"at": now, "actor_user_id": actor.user_id, "actor": actor.label, "entity": "order", "entity_id": order_id,
         "contact_id": None, "action": "lines_added", "summary": f"{count} more lines imported",
         "before": None, "after": {"lines": count}}
        for order_id, count in added.items() if order_id not in new_ids
    ]
    if audit:
        bulk_insert(session, AuditEvent, audit)
    customers = sorted({row["contact_id"] for row in order_rows if row["contact_id"] is not None})
    advance_lifecycle(session, customers, "customer", actor=actor, reason="ordered")
    return OrderLinesOutcome(len(order_rows), len(line_rows), len(lines) - len(line_rows), offers_created,
                             len(resolution.created))


@dataclass(frozen=True, slots=True)
class DealIn:
    """A deal to find or create for a contact, identified by (contact, title)."""

    contact_id: int
    title: str
    stage: str
    value_minor: int
    currency: str
    created_at: datetime
    closed_at: datetime | None = None
    details: dict[str, str] = field(default_factory=dict)


def record_deals(session: Session, deals: Sequence[DealIn], *, actor: Actor) -> tuple[int, int]:
    """Create the deals not yet stored (same contact and title), with their stage history and an audit row;
    returns (created, already there). The contacts move forward to opportunity, or customer for a won deal."""
    pairs = sorted({(d.contact_id, d.title) for d in deals})
    stored: set[tuple[int, str]] = set()
    for chunk in chunked(pairs):
        stored.update(session.execute(
            select(Deal.contact_id, Deal.title).where(tuple_(Deal.contact_id, Deal.title).in_(chunk))
        ).all())
    fresh: list[DealIn] = []
    for deal in deals:
        pair = (deal.contact_id, deal.title)
        if pair not in stored:
            stored.add(pair)
            fresh.append(deal)
    if not fresh:
        return 0, len(deals)
    ids = allocate_ids(session, Deal, len(fresh))
    bulk_insert(session, Deal, [
        {"id": deal_id, "contact_id": d.contact_id, "campaign_id": None, "owner_user_id": None, "title": d.title,
         "stage": d.stage, "value_minor": d.value_minor, "currency": d.currency, "expected_close_on": None,
         "close_where": None, "close_how": None, "close_by": None, "lost_reason": None, "lost_note": None,
         "created_at": d.created_at, "updated_at": d.closed_at or d.created_at,
         "closed_at": d.closed_at if d.stage in ("won", "lost") else None}
        for deal_id, d in zip(ids, fresh, strict=True)
    ])
    bulk_insert(session, DealStageChange, [
        {"deal_id": deal_id, "from_stage": None, "to_stage": d.stage,
         "changed_at": d.closed_at or d.created_at, "changed_by_user_id": actor.user_id}
        for deal_id, d in zip(ids, fresh, strict=True)
    ])
    now = utcnow()
    bulk_insert(session, AuditEvent, [
        {"at": now, "actor_user_id": actor.user_id, "actor": actor.label, "entity": "deal", "entity_id": deal_id,
         "contact_id": d.contact_id, "action": "created", "summary": f"Deal '{d.title}' imported at stage {d.stage}",
         "before": None, "after": {"stage": d.stage, "value_minor": d.value_minor, "currency": d.currency,
                                   **({"details": d.details} if d.details else {})}}
        for deal_id, d in zip(ids, fresh, strict=True)
    ])
    won = sorted({d.contact_id for d in fresh if d.stage == "won"})
    open_ = sorted({d.contact_id for d in fresh if d.stage in OPEN_DEAL_STAGES})
    advance_lifecycle(session, open_, "opportunity", actor=actor, reason="a deal was opened")
    advance_lifecycle(session, won, "customer", actor=actor, reason="a deal was won")
    return len(fresh), len(deals) - len(fresh)
