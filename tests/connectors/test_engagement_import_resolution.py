"""Identity resolution on the import path: set-based, with merges when a row's keys bridge two stored contacts,
and the same people joined whether they arrive as one batch or one at a time."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from accord.contacts.identity import IdentityKey, email_key, handle_key, phone_key
from accord.contacts.models import Contact, ContactMerge, Identity
from accord.contacts.service import PersonIn, resolve_people
from accord.engagement.models import Engagement
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from import_support import rows, run

T = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
MAPPING = """
source = "crm-export"

[fields]
external_id = "id"
occurred_at = "when"
channel = { value = "instagram" }
kind = "kind"
text = "text"
display_name = "name"

[[identity]]
kind = "handle"
column = "handle"
channel = "instagram"

[[identity]]
kind = "email"
column = "email"
"""


def test_a_row_whose_keys_bridge_two_stored_contacts_merges_them_oldest_kept(store, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("id,handle,email,when,kind,text,name\n"
                     "1,@Zanele,,2024-05-01T10:00:00,comment,Do you cater?,Zanele\n"
                     "2,,zanele@example.com,2024-05-02T10:00:00,follow,,Zanele M\n"
                     "3,lerato,,2024-05-02T11:00:00,comment,Price please,Lerato\n", encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text("id,handle,email,when,kind,text,name\n"
                      "4,zanele,ZANELE@example.com,2024-05-03T10:00:00,comment,Booked!,Zanele Mokoena\n"
                      "5,lerato,lerato@example.com,2024-05-03T11:00:00,like,,Lerato\n"
                      "6,,lerato@example.com,2024-05-03T12:00:00,comment,Thanks,Lerato D\n", encoding="utf-8")

    reports = [run(store, "engagements", path, MAPPING, tmp=tmp_path) for path in (first, second)]

    assert [(r.rows_read, r.rows_written, r.rows_duplicate, r.rows_rejected) for r in reports] == [
        (3, 3, 0, 0), (3, 3, 0, 0)]
    contacts = rows(store, select(Contact.id, Contact.display_name, Contact.lifecycle_stage, Contact.merged_into_id)
                    .order_by(Contact.id))
    assert contacts == [(1, "Zanele", "engager", None), (2, "Zanele M", "follower", 1), (3, "Lerato", "engager", None)]
    assert rows(store, select(Identity.contact_id, Identity.kind, Identity.value).order_by(Identity.value)) == [
        (3, "handle", "lerato"), (3, "email", "lerato@example.com"), (1, "handle", "zanele"),
        (1, "email", "zanele@example.com")]
    assert rows(store, select(Engagement.external_id, Engagement.contact_id).order_by(Engagement.external_id)) == [
        ("1", 1), ("2", 1), ("3", 3), ("4", 1), ("5", 3), ("6", 3)]
    assert rows(store, select(ContactMerge.kept_contact_id, ContactMerge.merged_contact_id, ContactMerge.reason,
                              ContactMerge.moved)) == [
        (1, 2, "they share an email, phone or handle", {"identity.contact_id": [2], "engagement.contact_id": [2],
                                                        "audit_event.contact_id": [2]})]
    assert rows(store, select(AuditEvent.contact_id, AuditEvent.action, AuditEvent.summary).order_by(AuditEvent.id)) == [
        (1, "created", "First seen on instagram, as engager"),
        (1, "created", "First seen on instagram, as follower"),  # contact 2's row, moved by the merge
        (3, "created", "First seen on instagram, as engager"),
        (1, "merged", "Zanele M (contact 2) merged into this contact: they share an email, phone or handle"),
        (2, "merged_into", "Merged into Zanele (contact 1)"),
    ]


def _people(rng: random.Random) -> tuple[list[PersonIn], list[PersonIn]]:
    """People already stored (one key each) and a batch with one to three keys each, drawn from a small pool."""
    pool: list[IdentityKey] = (
        [email_key(f"p{n}@example.com") for n in range(5)] + [handle_key("instagram", f"@P{n}") for n in range(5)]
        + [phone_key(f"082 555 000{n}", "ZA") for n in range(3)])

    def person(keys: list[IdentityKey], n: int) -> PersonIn:
        return PersonIn(tuple(dict.fromkeys(keys)), rng.choice(["", f"Person {n}"]), rng.choice(["instagram", "x"]),
                        T + timedelta(minutes=rng.randrange(600)), stage=rng.choice(["follower", "engager", "lead"]))

    stored = [person([key], n) for n, key in enumerate(rng.sample(pool, rng.randrange(6)))]
    batch = [person(rng.sample(pool, rng.choice([1, 1, 1, 2, 3])), 100 + n) for n in range(rng.randrange(1, 14))]
    return stored, batch


def _partition(session, person_ids: list[int]) -> dict:
    """The live contacts, each named by its sorted keys, and the live contact each person ended with."""
    into = dict(session.execute(select(Contact.id, Contact.merged_into_id)).all())
    keys_of: dict[int, list] = {}
    for contact_id, kind, channel, value in session.execute(
            select(Identity.contact_id, Identity.kind, Identity.channel, Identity.value)):
        keys_of.setdefault(contact_id, []).append(IdentityKey(kind, channel, value))

    def live(contact_id: int) -> tuple:
        while into[contact_id] is not None:
            contact_id = into[contact_id]
        return tuple(sorted(keys_of[contact_id]))

    return {"contacts": sorted(live(cid) for cid, merged in into.items() if merged is None),
            "people": [live(cid) for cid in person_ids]}


def _components(stored: list[PersonIn], batch: list[PersonIn]) -> dict:
    """The same partition worked out by hand: keys a person holds together are one contact, with every key
    that any of them reaches."""
    owner: dict[IdentityKey, IdentityKey] = {}

    def root(key: IdentityKey) -> IdentityKey:
        while owner.setdefault(key, key) != key:
            key = owner[key]
        return key

    for person in (*stored, *batch):
        for key in person.keys:
            owner[root(key)] = root(person.keys[0])
    members: dict[IdentityKey, list] = {}
    for key in list(owner):
        members.setdefault(root(key), []).append(key)
    named = {top: tuple(sorted(keys)) for top, keys in members.items()}
    return {"contacts": sorted(named.values()), "people": [named[root(person.keys[0])] for person in batch]}


@pytest.mark.parametrize("seed", range(40))
def test_a_batch_joins_people_exactly_as_one_at_a_time_does_and_as_worked_out_by_hand(session, seed):
    rng = random.Random(seed)
    stored, batch = _people(rng)
    actor = Actor("test")
    outcomes = []
    for one_at_a_time in (False, True):
        with session.begin_nested() as nested:
            for person in stored:
                resolve_people(session, [person], actor=actor)
            if one_at_a_time:
                ids = [resolve_people(session, [person], actor=actor).contact_ids[0] for person in batch]
            else:
                result = resolve_people(session, batch, actor=actor)
                ids = result.contact_ids
                stored_in = {}  # how many stored contacts each component holds: all but the oldest are merged
                expected = _components(stored, batch)
                for person in stored:
                    component = next(c for c in expected["contacts"] if person.keys[0] in c)
                    stored_in[component] = stored_in.get(component, 0) + 1
                batch_components = set(expected["people"])
                assert len(result.created) == len(batch_components - set(stored_in))
                assert len(result.merges) == sum(n - 1 for c, n in stored_in.items() if c in batch_components)
            session.flush()
            outcomes.append(_partition(session, ids))
            nested.rollback()
        session.expire_all()

    assert outcomes[0] == _components(stored, batch)
    assert outcomes[1] == outcomes[0]
