"""The engagement ledger: record signals idempotently, attach each to a person, and work the inbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.campaigns.queries import campaign_ids_by_utm
from accord.contacts.identity import IdentityKey, email_key, handle_key, phone_key
from accord.contacts.models import Contact
from accord.contacts.service import STAGE_RANK, PersonIn, advance_lifecycle, live_contact, resolve_people
from accord.engagement.models import Engagement, Touch
from accord.engagement.schemas import EngagementIn
from accord.engagement.spam import spam_verdict
from accord.errors import Conflict
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.db import allocate_ids, bulk_insert, get_row, insert_rows, known_ids, matches_any, time_form
from accord.kernel.vocabulary import LIFECYCLE_STAGES
from accord.nurture.service import promote_reviewer


class EngagementRecord(NamedTuple):
    """One validated, normalised engagement, as importers, webhooks and the tracker hand it to the ledger.

    A named tuple rather than a frozen dataclass: immutable too, and an import builds millions of them.
    """

    source: str
    external_id: str
    channel: str
    kind: str
    occurred_at: datetime
    keys: tuple[IdentityKey, ...]
    display_name: str
    text: str | None = None
    url: str | None = None
    campaign_id: int | None = None
    is_spam: bool | None = None  # None: let the spam rules decide


@dataclass(frozen=True)
class LedgerOutcome:
    """What one batch did: new engagements, repeats skipped, contacts created and merged."""

    inserted: int
    duplicates: int
    contacts_created: int
    merges: int
    engagement_ids: list[int | None]


_ENGAGEMENT_COLUMNS = ("id", "source", "external_id", "contact_id", "campaign_id", "channel", "kind", "occurred_at",
                       "text", "url", "is_spam", "spam_decided_by", "recorded_at")


def record_engagements(session: Session, records: Sequence[EngagementRecord], *, actor: Actor) -> LedgerOutcome:
    """Record a batch: repeats of a (source, external_id) are skipped, each new one is attached to a contact.

    The contact is found or created by identity, moves forward to engager (follower for a follow), and
    spam is flagged by the rules unless the record says otherwise. Set-based: a handful of statements
    per batch, whatever its size.
    """
    known = known_ids(session, Engagement, {(r.source, r.external_id) for r in records})
    fresh: list[EngagementRecord] = []
    seen: set[tuple[str, str]] = set()
    for item in records:
        pair = (item.source, item.external_id)
        if pair not in known and pair not in seen:
            seen.add(pair)
            fresh.append(item)
    if not fresh:
        return LedgerOutcome(0, len(records), 0, 0, [known.get((r.source, r.external_id)) for r in records])

    verdicts = _spam_verdicts(fresh)
    # One person per distinct set of keys: the same contact whichever of its engagements is asked about, named
    # after the first, at the furthest stage any reaches (anything beyond a follow, and not spam, makes an engager).
    people: dict[tuple[IdentityKey, ...], list] = {}
    for item, spam in zip(fresh, verdicts, strict=True):
        engager = not spam and item.kind != "follow"
        found = people.get(item.keys)
        if found is None:
            people[item.keys] = [item, engager]
        elif engager:
            found[1] = True
    resolution = resolve_people(session, [
        PersonIn(item.keys, item.display_name, item.channel, item.occurred_at,
                 stage="engager" if engager else "follower")
        for item, engager in people.values()
    ], actor=actor)
    contact_of = dict(zip(people, resolution.contact_ids, strict=True))

    ids = allocate_ids(session, Engagement, len(fresh))
    stamp = time_form(session)
    now = stamp(utcnow())
    rows = [
        (engagement_id, item.source, item.external_id, contact_of[item.keys], item.campaign_id, item.channel,
         item.kind, stamp(item.occurred_at), item.text, item.url, spam,
         "classifier" if spam and item.is_spam is None else None, now)
        for engagement_id, item, spam in zip(ids, fresh, verdicts, strict=True)
    ]
    insert_rows(session, Engagement, _ENGAGEMENT_COLUMNS, rows)

    created = set(resolution.created)
    engaged = {contact_of[keys] for keys, (_, engager) in people.items() if engager} - created
    if engaged:
        advance_lifecycle(session, _before_engager(session, engaged), "engager", actor=actor, reason="engaged")
    # A customer who leaves a review speaks for the business: an ambassador.
    for reviewer in sorted({contact_of[item.keys] for item, spam in zip(fresh, verdicts, strict=True)
                            if item.kind == "review" and not spam}):
        promote_reviewer(session, reviewer, actor=actor)

    new_ids = {(item.source, item.external_id): engagement_id for engagement_id, item in zip(ids, fresh, strict=True)}
    return LedgerOutcome(
        inserted=len(fresh),
        duplicates=len(records) - len(fresh),
        contacts_created=len(resolution.created),
        merges=len(resolution.merges),
        engagement_ids=[known.get(pair) or new_ids.get(pair) for pair in ((r.source, r.external_id) for r in records)],
    )


def _spam_verdicts(records: Sequence[EngagementRecord]) -> list[bool]:
    """Each record's spam flag: its own when given, else the rules' verdict, once per distinct text in the batch."""
    verdicts: list[bool] = []
    judged: dict[str | None, bool] = {}
    for item in records:
        if item.is_spam is not None:
            verdicts.append(item.is_spam)
            continue
        verdict = judged.get(item.text)
        if verdict is None:
            verdict = judged[item.text] = spam_verdict(item.text)
        verdicts.append(verdict)
    return verdicts


def _before_engager(session: Session, contact_ids: set[int]) -> list[int]:
    """The contacts among these still before engager (the few that advance_lifecycle will move), in id order."""
    return sorted(session.scalars(select(Contact.id).where(
        matches_any(session, Contact.id, sorted(contact_ids)),
        Contact.lifecycle_stage.in_(LIFECYCLE_STAGES[:STAGE_RANK["engager"]]))))


def record_engagement(session: Session, item: EngagementRecord, *, actor: Actor) -> Engagement:
    """Record one engagement (or return the one already recorded under its source and external id)."""
    outcome = record_engagements(session, [item], actor=actor)
    return session.get(Engagement, outcome.engagement_ids[0])


def _engagement(session: Session, engagement_id: int) -> Engagement:
    return get_row(session, Engagement, engagement_id, "engagement")


def mark_contacted(session: Session, engagement_id: int, *, actor: Actor, at: datetime | None = None) -> Engagement:
    """A person from the business answered this engagement personally; it leaves the inbox."""
    item = _engagement(session, engagement_id)
    if item.answered_at is not None:
        raise Conflict(f"engagement {engagement_id} was already answered on {item.answered_at:%Y-%m-%d %H:%M} UTC")
    contact = live_contact(session, item.contact_id)
    item.answered_at = at or utcnow()
    item.answered_by_user_id = actor.user_id
    record(session, actor=actor, entity="engagement", entity_id=item.id, contact_id=contact.id, action="contacted",
           summary=f"Answered their {item.kind} on {item.channel} personally")
    return item


def set_spam(session: Session, engagement_id: int, spam: bool, *, actor: Actor) -> Engagement:
    """A person's decision that an engagement is (or is not) spam; the rules never override it."""
    item = _engagement(session, engagement_id)
    before = item.is_spam
    item.is_spam = spam
    item.spam_decided_by = "user"
    record(session, actor=actor, entity="engagement", entity_id=item.id, contact_id=item.contact_id,
           action="spam" if spam else "not_spam",
           summary=("Dismissed as spam" if spam else "Restored from spam") + f": their {item.kind} on {item.channel}",
           before={"is_spam": before}, after={"is_spam": spam})
    return item


@dataclass(frozen=True, slots=True)
class TouchRecord:
    """One validated outbound exposure (ad click, email open, visit…); keys may be empty for an anonymous visitor."""

    source: str
    external_id: str
    channel: str
    kind: str
    occurred_at: datetime
    keys: tuple[IdentityKey, ...] = ()
    display_name: str = ""
    visitor_id: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    referrer: str | None = None


@dataclass(frozen=True)
class TouchOutcome:
    """What one batch of touches did."""

    inserted: int
    duplicates: int
    contacts_created: int


def record_touches(session: Session, records: Sequence[TouchRecord], *, actor: Actor) -> TouchOutcome:
    """Record touches idempotently by (source, external_id); known people are resolved, campaigns found by UTM."""
    known = known_ids(session, Touch, {(r.source, r.external_id) for r in records})
    fresh, seen = [], set()
    for item in records:
        pair = (item.source, item.external_id)
        if pair not in known and pair not in seen:
            seen.add(pair)
            fresh.append(item)
    if not fresh:
        return TouchOutcome(0, len(records), 0)
    identified = [r for r in fresh if r.keys]
    resolution = resolve_people(
        session, [PersonIn(r.keys, r.display_name, r.channel, r.occurred_at) for r in identified], actor=actor
    )
    contact_of = {id(r): cid for r, cid in zip(identified, resolution.contact_ids, strict=True)}
    campaigns = campaign_ids_by_utm(session, {r.utm_campaign for r in fresh if r.utm_campaign})
    bulk_insert(session, Touch, [
        {"source": r.source, "external_id": r.external_id, "contact_id": contact_of.get(id(r)),
         "visitor_id": r.visitor_id, "campaign_id": campaigns.get(r.utm_campaign) if r.utm_campaign else None,
         "channel": r.channel, "kind": r.kind, "occurred_at": r.occurred_at, "utm_source": r.utm_source,
         "utm_medium": r.utm_medium, "utm_campaign": r.utm_campaign, "utm_content": r.utm_content,
         "utm_term": r.utm_term, "referrer": r.referrer}
        for r in fresh
    ])
    for item in identified:
        if item.visitor_id:
            link_visitor(session, item.visitor_id, contact_of[id(item)])
    return TouchOutcome(len(fresh), len(records) - len(fresh), len(resolution.created))


def link_visitor(session: Session, visitor_id: str, contact_id: int) -> int:
    """Join an anonymous visitor's earlier touches to the contact they turned out to be; returns how many."""
    result = session.execute(
        update(Touch).where(Touch.visitor_id == visitor_id, Touch.contact_id.is_(None)).values(contact_id=contact_id)
    )
    return result.rowcount or 0


def engagement_record_from(data: EngagementIn, *, region: str) -> EngagementRecord:
    """Turn an API engagement into a ledger record, normalising its identities."""
    keys: list[IdentityKey] = []
    if data.email:
        keys.append(email_key(data.email))
    if data.phone:
        keys.append(phone_key(data.phone, region))
    if data.handle:
        keys.append(handle_key(data.channel, data.handle, region))
    return EngagementRecord(
        source=data.source, external_id=data.external_id, channel=data.channel, kind=data.kind,
        occurred_at=data.occurred_at, keys=tuple(dict.fromkeys(keys)), display_name=data.name or keys[0].value,
        text=data.text, url=data.url,
    )
