"""Contacts and leads: people found or created by identity, with the facts the mapping's [attributes] give them;
leads also bring the visit that brought them (a touch) and, when the mapping gives a stage, a deal whose
[details] become the deal's attributes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from accord.contacts.models import ContactAttribute
from accord.contacts.service import PersonIn, advance_lifecycle, resolve_people, update_contact_details
from accord.engagement.models import TOUCH_KINDS
from accord.engagement.service import TouchRecord, record_touches
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.db import bulk_insert, chunked
from accord.kernel.models import AuditEvent
from accord.kernel.vocabulary import LIFECYCLE_STAGES
from accord.pipeline.models import DEAL_STAGES, Deal, DealAttribute
from accord.pipeline.service import DealIn, record_deals

from .common import Context, ExternalIds, IdentityReader, Written
from .mapping import FieldSpec, getter
from .orders import currency_of
from .values import choice_checker, country_parser, money_parser, text_within, timestamp_parser

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
MAX_ATTRIBUTE_VALUE = 300  # characters; the store's limit on one attribute value

Attributes = tuple[tuple[str, str], ...]  # (key, value) pairs of one row, empty values left out


def attribute_reader(ctx: Context, section: str, specs: dict[str, FieldSpec]) -> Callable[[list[str]], Attributes]:
    """Row → the (key, value) pairs of a [details] or [attributes] table; a value over the limit is Invalid."""
    readers = [(key, f"{section}.{key}", getter(spec, ctx.header)) for key, spec in specs.items()]

    def read(values: list[str]) -> Attributes:
        return tuple((key, text_within(name, text, MAX_ATTRIBUTE_VALUE))
                     for key, name, get in readers if get is not None and (text := get(values)))
    return read


def _add_attributes(session: Session, model: type[ContactAttribute] | type[DealAttribute],
                   wanted: dict[int, set[tuple[str, str]]], *, contact_of: dict[int, int], actor: Actor,
                   recorded: Collection[int] = ()) -> set[int]:
    """Store the attribute values not stored yet (owner → {(key, value)}), with one audit row per contact or deal
    that gained some; returns the owners that did. `contact_of` names each owner's contact for the timeline;
    owners in `recorded` get no audit row (the one that created them already lists these values)."""
    owner, entity = ("contact_id", "contact") if model is ContactAttribute else ("deal_id", "deal")
    column = getattr(model, owner)
    ids = sorted(owner_id for owner_id, pairs in wanted.items() if pairs)
    stored: set[tuple[int, str, str]] = set()
    for chunk in chunked(ids):
        stored.update(tuple(row) for row in session.execute(
            select(column, model.key, model.value).where(column.in_(chunk))))
    added: dict[int, list[tuple[str, str]]] = {}
    for owner_id in ids:
        fresh = [(key, value) for key, value in sorted(wanted[owner_id]) if (owner_id, key, value) not in stored]
        if fresh:
            added[owner_id] = fresh
    bulk_insert(session, model, [{owner: owner_id, "key": key, "value": value}
                                 for owner_id, pairs in added.items() for key, value in pairs])
    now = utcnow()
    audit = []
    for owner_id, pairs in added.items():
        if owner_id in recorded:
            continue
        after: dict[str, list[str]] = {}
        for key, value in pairs:
            after.setdefault(key, []).append(value)
        audit.append({"at": now, "actor_user_id": actor.user_id, "actor": actor.label, "entity": entity,
                      "entity_id": owner_id, "contact_id": contact_of[owner_id], "action": "attributes_added",
                      "summary": f"Attributes added: {', '.join(after)}"[:500], "before": None, "after": after})
    bulk_insert(session, AuditEvent, audit)
    return set(added)


def _contact_attributes(session: Session, owners: Sequence[int], rows: Sequence[Attributes], *,
                        actor: Actor) -> set[int]:
    """The rows' contact attributes added to their contacts; returns the contacts that gained some."""
    wanted: dict[int, set[tuple[str, str]]] = {}
    for contact_id, pairs in zip(owners, rows, strict=True):
        if pairs:
            wanted.setdefault(contact_id, set()).update(pairs)
    if not wanted:
        return set()
    return _add_attributes(session, ContactAttribute, wanted, contact_of={cid: cid for cid in wanted}, actor=actor)


def _deal_ids(session: Session, pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The stored deals among these (contact, title) pairs, the key record_deals keeps deals unique by."""
    ids: dict[tuple[int, str], int] = {}
    for chunk in chunked(pairs):
        found = session.execute(
            select(Deal.contact_id, Deal.title, Deal.id).where(tuple_(Deal.contact_id, Deal.title).in_(chunk)))
        ids.update({(contact_id, title): deal_id for contact_id, title, deal_id in found})
    return ids


def _record_deals_with_attributes(session: Session, deals: Sequence[DealIn], *, actor: Actor) -> tuple[int, int]:
    """record_deals, then each deal's details added as its attributes; returns (deals created, deals that gained
    attributes). A new deal's attributes are in its 'created' audit row already, so only older deals get one."""
    pairs = sorted({(d.contact_id, d.title) for d in deals if d.details})
    before = _deal_ids(session, pairs) if pairs else {}
    created = record_deals(session, deals, actor=actor)[0]
    if not pairs:
        return created, 0
    ids = _deal_ids(session, pairs)
    wanted: dict[int, set[tuple[str, str]]] = {}
    for deal in deals:
        if deal.details:
            wanted.setdefault(ids[(deal.contact_id, deal.title)], set()).update(deal.details.items())
    gained = _add_attributes(session, DealAttribute, wanted, contact_of={ids[pair]: pair[0] for pair in pairs},
                            actor=actor, recorded={ids[pair] for pair in pairs if pair not in before})
    return created, len(gained)


def person_reader(ctx: Context, time_field: str | None) -> Callable[[list[str]], PersonIn]:
    """Row → PersonIn: identities (at least one), name, channel, when first seen, city, region, country."""
    identities = IdentityReader(ctx)
    channel_of = ctx.channel_of() or (lambda _values: "other")
    get_time = ctx.get(time_field) if time_field else None
    parse_time = timestamp_parser(time_field or "seen_at", ctx.fmt(time_field or ""), ctx.tz)
    now = utcnow()
    get_name, get_city, get_region = ctx.get("display_name"), ctx.get("city"), ctx.get("region")
    get_country = ctx.get("country")
    country = country_parser(ctx.mapping.countries)

    def person(values: list[str]) -> PersonIn:
        channel = channel_of(values)
        keys, first_raw = identities.keys(values, channel)
        if not keys:
            raise Invalid("identity", "empty; the row names no email, phone or handle")
        seen = parse_time(get_time(values)) if get_time else now
        name = text_within("display_name", (get_name(values) if get_name else "") or first_raw, 200)
        city = text_within("city", get_city(values), 120) if get_city else ""
        region = text_within("region", get_region(values), 120) if get_region else ""
        return PersonIn(keys, name, channel, seen, city or None, region or None,
                        country(get_country(values)) if get_country else None)
    return person


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A person, the stage they should have reached, and whether the file names them (so names update)."""

    person: PersonIn
    stage: str | None
    named: bool
    attributes: Attributes = ()


class Contacts:
    """Rows → resolve_people, then details brought up to date, attributes added and the stage moved forward."""

    name = "contacts"
    required: tuple[str, ...] = ()
    optional = ("display_name", "channel", "seen_at", "city", "region", "country", "lifecycle_stage")
    needs_identity = True
    takes_attributes = True
    batch_size = 5_000

    def compile(self, ctx: Context) -> Callable[[list[str]], ContactRow]:
        person = person_reader(ctx, "seen_at" if "seen_at" in ctx.mapping.fields else None)
        get_stage = ctx.get("lifecycle_stage")
        check_stage = choice_checker("lifecycle_stage", LIFECYCLE_STAGES, ctx.mapping.values.get("lifecycle_stage", {}))
        named = "display_name" in ctx.mapping.fields
        attributes = attribute_reader(ctx, "attributes", ctx.mapping.attributes)

        def record(values: list[str]) -> ContactRow:
            stage_text = get_stage(values) if get_stage else ""
            return ContactRow(person(values), check_stage(stage_text) if stage_text else None, named,
                              attributes(values))
        return record

    def write(self, session: Session, records: Sequence[ContactRow], *, actor: Actor) -> Written:
        resolution = resolve_people(session, [r.person for r in records], actor=actor)
        created = set(resolution.created)
        changes = [
            (cid, {"display_name": r.person.display_name if r.named else "", "city": r.person.city or "",
                   "region": r.person.region or "", "country": r.person.country or ""})
            for r, cid in zip(records, resolution.contact_ids, strict=True) if cid not in created
        ]
        changed = set(update_contact_details(session, changes, actor=actor))
        changed |= _contact_attributes(session, resolution.contact_ids, [r.attributes for r in records], actor=actor)
        by_stage: dict[str, set[int]] = {}
        for r, cid in zip(records, resolution.contact_ids, strict=True):
            if r.stage:
                by_stage.setdefault(r.stage, set()).add(cid)
        moved: set[int] = set()
        for stage, ids in by_stage.items():
            moved.update(advance_lifecycle(session, sorted(ids), stage, actor=actor, reason="imported"))
        touched = created | changed | moved
        written = len({cid for cid in resolution.contact_ids if cid in touched})
        return Written(written, len(records) - written)


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead: the person, the touch that brought them (if mapped), the deal (if a stage is mapped) and the
    contact's attributes."""

    person: PersonIn
    touch: TouchRecord | None
    deal: tuple[str, str, int, str, datetime | None, dict[str, str]] | None  # title, stage, value, currency, closed
    attributes: Attributes = ()


class Leads:
    """Rows → contacts moved forward to lead, a touch per lead, and deals when the mapping gives a stage."""

    name = "leads"
    required = ("occurred_at", "channel")
    optional = ("display_name", "city", "region", "country", "external_id", "touch_kind", *UTM_FIELDS, "referrer",
                "stage", "title", "value", "currency", "closed_at")
    needs_identity = True
    takes_attributes = True
    batch_size = 5_000

    def compile(self, ctx: Context) -> Callable[[list[str]], LeadRow]:
        fields = ctx.mapping.fields
        person = person_reader(ctx, "occurred_at")
        source = ctx.mapping.source
        wants_touch = any(name in fields for name in (*UTM_FIELDS, "referrer", "touch_kind"))
        external_id = ExternalIds(ctx)
        touch_kind = ctx.choice("touch_kind", TOUCH_KINDS) or (lambda _values: "visit")
        utm = [(name, ctx.get(name)) for name in (*UTM_FIELDS, "referrer")]
        stage_of = ctx.choice("stage", DEAL_STAGES)
        get_title, get_value, get_closed = ctx.get("title"), ctx.get("value"), ctx.get("closed_at")
        parse_closed = ctx.timestamp("closed_at")
        currency = currency_of(ctx, "leads with deals") if stage_of else None
        money = money_parser("value")
        details = attribute_reader(ctx, "details", ctx.mapping.details)
        attributes = attribute_reader(ctx, "attributes", ctx.mapping.attributes)

        def record(values: list[str]) -> LeadRow:
            who = person(values)
            touch = None
            if wants_touch:
                extra = {name: text_within(name, get(values), 200 if name != "referrer" else 2000) or None
                         for name, get in utm if get is not None}
                touch = TouchRecord(source, external_id(values), who.channel, touch_kind(values),
                                    who.seen_at, who.keys, who.display_name, **extra)
            deal = None
            if stage_of is not None and currency is not None:
                stage = stage_of(values)
                code = currency(values)
                value_text = get_value(values) if get_value else ""
                value = money(value_text, code) if value_text else 0
                if value < 0:
                    raise Invalid("value", f"{value_text} is negative")
                title = text_within("title", (get_title(values) if get_title else "") or f"Lead {who.display_name}",
                                    200)
                closed_text = get_closed(values) if get_closed else ""
                closed = parse_closed(closed_text) if closed_text else None
                if stage in ("won", "lost") and closed is None:
                    closed = who.seen_at
                deal = (title, stage, value, code, closed, dict(details(values)))
            return LeadRow(who, touch, deal, attributes(values))
        return record

    def write(self, session: Session, records: Sequence[LeadRow], *, actor: Actor) -> Written:
        resolution = resolve_people(session, [r.person for r in records], actor=actor)
        advance_lifecycle(session, sorted(set(resolution.contact_ids)), "lead", actor=actor, reason="became a lead")
        touches = [r.touch for r in records if r.touch is not None]
        touched = record_touches(session, touches, actor=actor).inserted if touches else 0
        deals = [
            DealIn(cid, title, stage, value, code, r.person.seen_at, closed, details)
            for r, cid in zip(records, resolution.contact_ids, strict=True) if r.deal is not None
            for title, stage, value, code, closed, details in [r.deal]
        ]
        dealt, deals_attributed = _record_deals_with_attributes(session, deals, actor=actor) if deals else (0, 0)
        # Rows that only add facts to people or deals already stored count as written, as updates do for contacts.
        attributed = max(len(_contact_attributes(session, resolution.contact_ids, [r.attributes for r in records],
                                                 actor=actor)), deals_attributed)
        if touches or deals:
            written = max(touched, dealt, attributed)
        else:
            written = max(len(set(resolution.created)), attributed)
        return Written(written, len(records) - written)
