"""Identity keys: emails, phones (E.164) and per-channel handles, normalised so equal people compare equal; and
bulk resolution, which finds or creates the contacts behind a whole batch of people at once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ARRAY, ColumnElement, any_, bindparam, func, select
from sqlalchemy.orm import Session

from accord.contacts.models import Contact, Identity
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.db import _sqlite_datetime, allocate_ids
from accord.kernel.models import AuditEvent
from accord.kernel.vocabulary import CHANNELS

if TYPE_CHECKING:
    from accord.contacts.service import PersonIn, Resolution

# Handles on these channels are case-insensitive and may be written with a leading '@'.
_AT_HANDLE_CHANNELS = frozenset({"instagram", "x", "tiktok", "youtube", "linkedin", "facebook"})
_PHONE_CHANNELS = frozenset({"whatsapp", "phone"})


class IdentityKey(NamedTuple):
    """One normalised identity: kind ('email', 'phone', 'handle'), channel and value."""

    kind: str
    channel: str
    value: str


def email_key(raw: str, *, field: str = "email") -> IdentityKey:
    """The normalised email identity, or Invalid naming the field."""
    text = raw.strip()
    try:
        normal = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(field, f"'{raw}' is not an email address ({exc})") from None
    return IdentityKey("email", "email", normal.lower())


def phone_key(raw: str, region: str, *, field: str = "phone") -> IdentityKey:
    """The phone identity in E.164 (e.g. +27821234567), read with the workspace's default region."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Invalid(field, f"'{raw}' is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise Invalid(field, f"'{raw}' is not a possible phone number for region {region}")
    return IdentityKey("phone", "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def handle_key(channel: str, raw: str, region: str = "ZA", *, field: str = "handle") -> IdentityKey:
    """The handle identity on a channel; WhatsApp and phone handles become phone identities."""
    if channel not in CHANNELS:
        raise Invalid("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")
    if channel in _PHONE_CHANNELS:
        return phone_key(raw, region, field=field)
    if channel == "email":
        return email_key(raw, field=field)
    value = " ".join(raw.split())  # runs of whitespace as one space: what \\s+ matches, without a regex
    if channel in _AT_HANDLE_CHANNELS:
        value = value.lstrip("@").casefold()
    if not value:
        raise Invalid(field, f"the {channel} handle is empty")
    if len(value) > 320:
        raise Invalid(field, f"the {channel} handle is longer than 320 characters")
    return IdentityKey("handle", channel, value)


# Bulk resolution: the identity lookup and contact creation behind every import and webhook batch.
# The store helpers below (value lists, tuple inserts, stored forms) serve the engagement ledger too.

def matches_any(session: Session, column: ColumnElement, values: Sequence[object]) -> ColumnElement[bool]:
    """`column IN values` as one bound value however long the list: a JSON array on SQLite, an array on PostgreSQL.

    A plain IN list binds one parameter per value, which SQLite caps and SQLAlchemy re-renders per call.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(listed.c.value))


def time_form(session: Session) -> Callable[[datetime], object]:
    """Aware datetime → what the store's driver takes: SQLAlchemy's UTC text on SQLite, the datetime elsewhere."""
    return _sqlite_text if session.get_bind().dialect.name == "sqlite" else _utc


def json_form(session: Session) -> Callable[[object], object]:
    """A JSON value → what the store's driver takes: its text on SQLite, the value elsewhere."""
    return json.dumps if session.get_bind().dialect.name == "sqlite" else _same


def insert_rows(session: Session, model: type, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows given as tuples in `columns` order, values already in the store's form (time_form, json_form).

    On SQLite the tuples go straight to the driver's executemany; elsewhere through SQLAlchemy's executemany.
    """
    if not rows:
        return
    table = model.__table__
    if session.get_bind().dialect.name != "sqlite":
        session.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _sqlite_text(value: datetime) -> str:
    if value.tzinfo is not timezone.utc:  # another zone, or none (refused), goes the general way
        return _sqlite_datetime(value)
    return value.isoformat(" ", "microseconds")[:26]  # the same text, without a copy of the datetime


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def _same(value: object) -> object:
    return value


def stored_identities(session: Session, keys: Iterable[IdentityKey]) -> dict[IdentityKey, int]:
    """The contact each already-stored key belongs to: one query per kind and channel, however many keys."""
    values: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        values.setdefault((key.kind, key.channel), []).append(key.value)
    found: dict[IdentityKey, int] = {}
    for (kind, channel), group in values.items():
        rows = session.execute(select(Identity.value, Identity.contact_id).where(
            Identity.kind == kind, Identity.channel == channel, matches_any(session, Identity.value, group)))
        found.update((IdentityKey(kind, channel, value), contact_id) for value, contact_id in rows)
    return found


_CONTACT_COLUMNS = ("id", "display_name", "lifecycle_stage", "first_channel", "city", "region", "country",
                    "created_at", "updated_at")
_AUDIT_COLUMNS = ("at", "actor_user_id", "actor", "entity", "entity_id", "contact_id", "action", "summary", "after")


def resolve_in_bulk(session: Session, people: Sequence[PersonIn], *, actor: Actor) -> Resolution:
    """Find or create one contact per distinct person, set-based: one lookup for all keys, one insert per table.

    The rules are resolve_people's: people who share an email, phone or handle (with each other or with a
    stored contact) are one contact; two stored contacts found to share a key are merged, oldest kept; a new
    contact takes the name, channel and time of its first person and the furthest stage any of them reached.
    """
    from accord.contacts.service import STAGE_RANK, Resolution, merge_contacts  # it imports this module

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
