"""Writes to contacts: find-or-create by identity (one or many at once), lifecycle moves, merges and their undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.contacts.identity import IdentityKey, stored_identities
from accord.contacts.models import Contact, ContactAttribute, ContactMerge, Identity
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.db import allocate_ids, bulk_insert, chunked, get_row, insert_rows, json_form, time_form
from accord.kernel.models import AuditEvent
from accord.kernel.vocabulary import LIFECYCLE_STAGES

STAGE_RANK = {stage: rank for rank, stage in enumerate(LIFECYCLE_STAGES)}

# Every (table, column) that points at a contact and moves with the person on a merge.
MOVABLE: tuple[tuple[str, str], ...] = (
    ("identity", "contact_id"), ("engagement", "contact_id"), ("touch", "contact_id"),
    ("conversation", "contact_id"), ("query", "contact_id"), ("consent", "contact_id"), ("deal", "contact_id"),
    ("sales_order", "contact_id"), ("task", "contact_id"), ("referral", "referrer_contact_id"),
    ("referral", "referred_contact_id"), ("audit_event", "contact_id"),
)


@dataclass(frozen=True, slots=True)
class PersonIn:
    """Someone seen somewhere: how to recognise them, what to call them, where and when they were first seen."""

    keys: tuple[IdentityKey, ...]
    display_name: str
    channel: str
    seen_at: datetime
    city: str | None = None
    region: str | None = None
    country: str | None = None
    stage: str = "follower"  # the stage a new contact starts at; stored contacts are not moved by it


@dataclass
class Resolution:
    """The contact id for each person given, and what resolving them changed."""

    contact_ids: list[int]
    created: list[int] = field(default_factory=list)
    merges: list[int] = field(default_factory=list)


class _Groups:
    """Union-find over identity keys and stored contacts, so people who share any key become one."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, node: object) -> object:
        parent = self.parent
        root = parent.setdefault(node, node)
        if root == node:
            return node
        while (above := parent[root]) != root:
            root = above
        while node != root:  # point the whole path at the root
            parent[node], node = root, parent[node]
        return root

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


_CONTACT_COLUMNS = ("id", "display_name", "lifecycle_stage", "first_channel", "city", "region", "country",
                    "created_at", "updated_at")
_AUDIT_COLUMNS = ("at", "actor_user_id", "actor", "entity", "entity_id", "contact_id", "action", "summary", "after")


def resolve_people(session: Session, people: Sequence[PersonIn], *, actor: Actor) -> Resolution:
    """Find or create one contact per distinct person, set-based: one lookup for all keys, one insert per table.

    People who share an email, phone or handle (with each other or with a stored contact) are one contact; two
    stored contacts found to share a key are merged, oldest kept; a new contact takes the name, channel and time
    of its first person and the furthest stage any of them reached. Name similarity alone never merges.
    """
    for index, person in enumerate(people):
        if not person.keys:
            raise Invalid("identity", f"person {index + 1} ({person.display_name!r}) has no email, phone or handle")
    stored = stored_identities(session, {key for person in people for key in person.keys})
    # Only people with several keys can tie keys (and stored contacts) together; everyone else is their key.
    groups = _Groups()
    for person in people:
        if len(person.keys) > 1:
            first = person.keys[0]
            for key in person.keys:
                groups.union(first, key)
                if key in stored:
                    groups.union(first, ("contact", stored[key]))
    members: dict[object, set[int]] = {}
    for node in list(groups.parent):
        if type(node) is tuple:  # ("contact", id); keys are IdentityKey
            members.setdefault(groups.find(node), set()).add(node[1])

    resolution = Resolution(contact_ids=[])
    chosen: dict[object, int] = {}
    for root, contact_ids in members.items():
        kept, *others = sorted(contact_ids)
        for other in others:
            merge = merge_contacts(session, kept, other, reason="they share an email, phone or handle", actor=actor)
            resolution.merges.append(merge.id)
        chosen[root] = kept
    roots: list[object] = []
    tied = groups.parent
    for person in people:
        key = person.keys[0]
        if key in tied:
            roots.append(groups.find(key))
        else:
            roots.append(key)
            if key in stored:
                chosen[key] = stored[key]

    new: dict[object, list] = {}  # root → [first person, furthest stage]
    for root, person in zip(roots, people, strict=True):
        if root in chosen:
            continue
        found = new.get(root)
        if found is None:
            new[root] = [person, person.stage]
        elif STAGE_RANK[person.stage] > STAGE_RANK[found[1]]:
            found[1] = person.stage
    if new:
        ids = allocate_ids(session, Contact, len(new))
        stamp, as_json = time_form(session), json_form(session)
        contacts, audit = [], []
        now = stamp(utcnow())
        for contact_id, (person, stage) in zip(ids, new.values(), strict=True):
            name = person.display_name[:200] or person.keys[0].value[:200]
            seen = stamp(person.seen_at)
            contacts.append((contact_id, name, stage, person.channel, person.city, person.region, person.country,
                             seen, seen))
            audit.append((now, actor.user_id, actor.label, "contact", contact_id, contact_id, "created",
                          f"First seen on {person.channel}, as {stage}",
                          as_json({"display_name": name, "first_channel": person.channel, "lifecycle_stage": stage})))
        insert_rows(session, Contact, _CONTACT_COLUMNS, contacts)
        insert_rows(session, AuditEvent, _AUDIT_COLUMNS, audit)
        chosen.update(zip(new, ids, strict=True))
        resolution.created = ids

    added: dict[IdentityKey, int] = {}
    for root, person in zip(roots, people, strict=True):
        contact_id = chosen[root]
        resolution.contact_ids.append(contact_id)
        for key in person.keys:
            if key not in stored and key not in added:
                added[key] = contact_id
    if added:
        now = time_form(session)(utcnow())
        insert_rows(session, Identity, ("contact_id", "kind", "channel", "value", "created_at"),
                    [(contact_id, key.kind, key.channel, key.value, now) for key, contact_id in added.items()])
    return resolution


def resolve_person(session: Session, person: PersonIn, *, actor: Actor) -> int:
    """Find or create the one contact for a person; returns its id."""
    return resolve_people(session, [person], actor=actor).contact_ids[0]


def advance_lifecycle(session: Session, contact_ids: Sequence[int], stage: str, *, actor: Actor,
                      at: datetime | None = None, reason: str = "") -> list[int]:
    """Move contacts forward to `stage`; contacts already at or past it stay. Returns the ids moved."""
    if stage not in STAGE_RANK:
        raise Invalid("lifecycle_stage", f"'{stage}' is not one of {', '.join(LIFECYCLE_STAGES)}")
    earlier = LIFECYCLE_STAGES[: STAGE_RANK[stage]]
    moved: list[tuple[int, str]] = []
    unique = sorted(set(contact_ids))
    for chunk in chunked(unique):
        moved += session.execute(
            select(Contact.id, Contact.lifecycle_stage).where(Contact.id.in_(chunk), Contact.lifecycle_stage.in_(earlier))
        ).all()
    if not moved:
        return []
    when = at or utcnow()
    ids = [cid for cid, _ in moved]
    for chunk in chunked(ids):
        session.execute(
            update(Contact).where(Contact.id.in_(chunk))
            .values(lifecycle_stage=stage, updated_at=when)
        )
    bulk_insert(session, AuditEvent, [
        {"at": when, "actor_user_id": actor.user_id, "actor": actor.label, "entity": "contact", "entity_id": cid,
         "contact_id": cid, "action": "lifecycle", "summary": f"Became {stage}" + (f": {reason}" if reason else ""),
         "before": {"lifecycle_stage": before}, "after": {"lifecycle_stage": stage}}
        for cid, before in moved
    ])
    return ids


def correct_lifecycle(session: Session, contact_id: int, stage: str, *, reason: str, actor: Actor) -> Contact:
    """Set any stage, backwards too, as an explicit and audited correction with a reason."""
    contact = live_contact(session, contact_id)
    if stage not in STAGE_RANK:
        raise Invalid("lifecycle_stage", f"'{stage}' is not one of {', '.join(LIFECYCLE_STAGES)}")
    if not reason.strip():
        raise Invalid("reason", "a correction needs a reason")
    before = contact.lifecycle_stage
    contact.lifecycle_stage = stage
    contact.updated_at = utcnow()
    record(session, actor=actor, entity="contact", entity_id=contact.id, contact_id=contact.id, action="correction",
           summary=f"Stage corrected from {before} to {stage}: {reason.strip()}",
           before={"lifecycle_stage": before}, after={"lifecycle_stage": stage})
    return contact


def live_contact(session: Session, contact_id: int) -> Contact:
    """A contact that exists, has not been merged into another and was not erased, or NotFound/Conflict."""
    contact = get_row(session, Contact, contact_id, "contact")
    if contact.merged_into_id is not None:
        raise Conflict(f"contact {contact_id} was merged into contact {contact.merged_into_id}")
    if contact.erased_at is not None:
        raise Conflict(f"contact {contact_id} was erased on {contact.erased_at:%Y-%m-%d} at their request")
    return contact


def _model(table_name: str):
    """The mapped class of a table, so bulk updates also refresh objects already loaded in the session."""
    for mapper in Contact.registry.mappers:
        if mapper.local_table.name == table_name:
            return mapper.class_
    raise LookupError(table_name)


def merge_contacts(session: Session, keep_id: int, merge_id: int, *, reason: str, actor: Actor) -> ContactMerge:
    """Merge one contact into another: identities, engagements, conversations, deals, orders and the rest move."""
    if keep_id == merge_id:
        raise Invalid("merge_id", "a contact cannot be merged into itself")
    kept, merged = live_contact(session, keep_id), live_contact(session, merge_id)
    moved: dict[str, list[int]] = {}
    for table_name, column in MOVABLE:
        model = _model(table_name)
        ids = list(session.scalars(select(model.id).where(getattr(model, column) == merge_id).order_by(model.id)))
        if ids:
            session.execute(update(model).where(model.id.in_(ids)).values({column: keep_id}))
            moved[f"{table_name}.{column}"] = ids
    attributes = _move_attributes(session, merge_id, keep_id)
    if attributes:
        moved["contact_attribute"] = attributes
    kept_before = {"lifecycle_stage": kept.lifecycle_stage, "created_at": kept.created_at.isoformat(),
                   "first_channel": kept.first_channel}
    if STAGE_RANK[merged.lifecycle_stage] > STAGE_RANK[kept.lifecycle_stage]:
        kept.lifecycle_stage = merged.lifecycle_stage
    if merged.created_at < kept.created_at:
        kept.created_at, kept.first_channel = merged.created_at, merged.first_channel
    now = utcnow()
    kept.updated_at = now
    merged.merged_into_id = kept.id
    merged.updated_at = now
    merge = ContactMerge(
        kept_contact_id=kept.id, merged_contact_id=merged.id, reason=reason, moved=moved, kept_before=kept_before,
        merged_at=now, merged_by=actor.label,
    )
    session.add(merge)
    session.flush()
    after = {"lifecycle_stage": kept.lifecycle_stage, "created_at": kept.created_at.isoformat(),
             "first_channel": kept.first_channel}
    record(session, actor=actor, entity="contact", entity_id=kept.id, contact_id=kept.id, action="merged",
           summary=f"{merged.display_name} (contact {merged.id}) merged into this contact: {reason}",
           before=kept_before, after=after)
    record(session, actor=actor, entity="contact", entity_id=merged.id, contact_id=merged.id, action="merged_into",
           summary=f"Merged into {kept.display_name} (contact {kept.id})", after={"merged_into_id": kept.id})
    return merge


def undo_merge(session: Session, merge_id: int, *, actor: Actor) -> ContactMerge:
    """Split a merge: everything that moved goes back, and the merged contact lives again."""
    merge = get_row(session, ContactMerge, merge_id, "merge")
    if merge.undone_at is not None:
        raise Conflict(f"merge {merge_id} was already undone")
    kept = session.get(Contact, merge.kept_contact_id)
    merged = session.get(Contact, merge.merged_contact_id)
    if kept is None or merged is None or kept.merged_into_id is not None:
        raise Conflict(f"merge {merge_id} cannot be undone: contact {merge.kept_contact_id} was merged again since")
    for path, ids in merge.moved.items():
        if path == "contact_attribute":
            _move_attributes(session, kept.id, merged.id, only=ids)
            continue
        table_name, column = path.split(".")
        model = _model(table_name)
        session.execute(
            update(model).where(model.id.in_(ids), getattr(model, column) == kept.id).values({column: merged.id})
        )
    before = merge.kept_before
    kept.lifecycle_stage = max(before["lifecycle_stage"], _stage_from_moved(session, kept.id), key=STAGE_RANK.get)
    kept.created_at = datetime.fromisoformat(before["created_at"])
    kept.first_channel = before["first_channel"]
    now = utcnow()
    kept.updated_at = merged.updated_at = now
    merged.merged_into_id = None
    merge.undone_at = now
    session.flush()
    for contact, other in ((kept, merged), (merged, kept)):
        record(session, actor=actor, entity="contact", entity_id=contact.id, contact_id=contact.id,
               action="merge_undone", summary=f"Merge with {other.display_name} (contact {other.id}) undone",
               after={"merge_id": merge.id})
    return merge


def _move_attributes(session: Session, from_id: int, to_id: int, *, only: list[list[str]] | None = None
                     ) -> list[list[str]]:
    """Move a contact's attribute values to another contact, except those it already has; the moved pairs."""
    held = set(session.execute(select(ContactAttribute.key, ContactAttribute.value)
                               .where(ContactAttribute.contact_id == to_id)).all())
    pairs = session.execute(select(ContactAttribute.key, ContactAttribute.value)
                            .where(ContactAttribute.contact_id == from_id)
                            .order_by(ContactAttribute.key, ContactAttribute.value)).all()
    wanted = None if only is None else {tuple(pair) for pair in only}
    moving = [[key, value] for key, value in pairs
              if (key, value) not in held and (wanted is None or (key, value) in wanted)]
    for key, value in moving:
        session.execute(update(ContactAttribute).where(
            ContactAttribute.contact_id == from_id, ContactAttribute.key == key, ContactAttribute.value == value,
        ).values(contact_id=to_id))
    return moving


def _stage_from_moved(session: Session, contact_id: int) -> str:
    """The stage the kept contact reached on its own after the merge, read from its audit trail."""
    stages = session.scalars(
        select(AuditEvent.after).where(AuditEvent.contact_id == contact_id, AuditEvent.action == "lifecycle")
    ).all()
    reached = [s["lifecycle_stage"] for s in stages if s and "lifecycle_stage" in s]
    return max(reached, key=STAGE_RANK.get) if reached else "follower"


DETAIL_FIELDS = ("display_name", "city", "region", "country")


def update_contact_details(session: Session, changes: Sequence[tuple[int, dict[str, str]]], *,
                           actor: Actor) -> list[int]:
    """Bring display name, city, region and country up to the given values where they differ (empty values
    leave what is stored); one audit row per contact changed. Returns the ids changed."""
    from sqlalchemy import bindparam  # imported here so this addition stays below the functions above

    wanted: dict[int, dict[str, str]] = {}
    for contact_id, values in changes:
        unknown = set(values) - set(DETAIL_FIELDS)
        if unknown:
            raise Invalid(sorted(unknown)[0], f"is not one of the details {', '.join(DETAIL_FIELDS)}")
        wanted.setdefault(contact_id, {}).update({k: v for k, v in values.items() if v})
    columns = [Contact.id, *(getattr(Contact, name) for name in DETAIL_FIELDS)]
    ids = sorted(contact_id for contact_id, values in wanted.items() if values)
    rows: list[dict] = []
    audit: list[dict] = []
    now = utcnow()
    for chunk in chunked(ids):
        for current in session.execute(select(*columns).where(Contact.id.in_(chunk))):
            stored = dict(zip(DETAIL_FIELDS, current[1:], strict=True))
            before = {k: stored[k] for k, v in wanted[current[0]].items() if stored[k] != v}
            if not before:
                continue
            after = {k: wanted[current[0]][k] for k in before}
            rows.append({"b_id": current[0], **stored, **after, "updated_at": now})
            audit.append({
                "at": now, "actor_user_id": actor.user_id, "actor": actor.label, "entity": "contact",
                "entity_id": current[0], "contact_id": current[0], "action": "updated",
                "summary": "Details updated: " + ", ".join(sorted(after)), "before": before, "after": after,
            })
    if rows:
        table = Contact.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in (*DETAIL_FIELDS, "updated_at")}),
            rows,
        )
        bulk_insert(session, AuditEvent, audit)
    return [row["b_id"] for row in rows]
