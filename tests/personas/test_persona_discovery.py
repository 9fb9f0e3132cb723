"""Discovered personas: on the demo business, discovery recovers the generator's three latent personas and names them
by what sets them apart; discovering again keeps the same personas; new contacts are scored from the stored centres."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

from accord.demo.loader import load_demo
from accord.demo.models import DemoPersonaTruth
from accord.errors import Invalid
from accord.kernel.audit import SYSTEM
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.personas.models import Persona, PersonaFit
from accord.personas.schemas import PersonaChange
from accord.personas.service import compute_fits, discover_personas, update_persona
from persona_people import organisation, person
from stores import settings_for

ANCHOR = date(2026, 11, 15)


@pytest.fixture(scope="module")
def demo(backend: str, tmp_path_factory) -> Iterator[Store]:
    """The small demo business, loaded once per backend."""
    store = Store.open(settings_for(backend, tmp_path_factory.mktemp(f"persona-demo-{backend}")), upgrade=True)
    load_demo(store, anchor_on=ANCHOR)
    yield store
    store.close()


def best_discovered(session) -> dict[int, int]:
    """contact → the discovered persona it fits at 0.5 or more (each contact fits exactly one)."""
    rows = session.execute(select(PersonaFit.contact_id, PersonaFit.persona_id)
                           .join(Persona, Persona.id == PersonaFit.persona_id)
                           .where(Persona.kind == "discovered", PersonaFit.score >= 0.5)).all()
    found = dict(rows)
    assert len(found) == len(rows), "a contact fits two discovered personas at 0.5 or more"
    return found


def test_discovery_recovers_the_three_latent_personas(demo):
    with demo.transaction() as session:
        found = discover_personas(session, actor=SYSTEM)
        truth = dict(session.execute(select(DemoPersonaTruth.contact_id, DemoPersonaTruth.persona_key)).all())
        assigned = best_discovered(session)
        personas = {p.id: (p.name, p.description, p.rules["discovery"]) for p in found.personas}
    # Three clusters, because three separate best by the stated criterion.
    assert found.clusters == 3
    assert max(found.scores, key=found.scores.get) == 3 and sorted(found.scores) == [2, 3, 4]
    assert set(assigned) == set(truth)
    contacts = sorted(truth)
    ari = adjusted_rand_score([truth[c] for c in contacts], [assigned[c] for c in contacts])
    print(f"adjusted Rand index against the demo's recorded personas: {ari:.4f}")
    assert ari >= 0.8
    # Each cluster is named by what sets it apart from everyone, in the order of how far apart it is.
    majority = {pid: Counter(truth[c] for c, p in assigned.items() if p == pid).most_common(1)[0][0]
                for pid in personas}
    assert sorted(majority.values()) == ["busy_professional", "corporate_buyer", "family_host"]
    named = {majority[pid]: personas[pid] for pid in personas}
    assert named["corporate_buyer"][0] == "Corporate · LinkedIn"
    assert named["busy_professional"][0].startswith("Instagram · ")
    assert named["family_host"][0].startswith("Facebook · ")
    corporate = named["corporate_buyer"]
    assert [t["feature"] for t in corporate[2]["traits"]][:2] == ["organisation=yes", "share:linkedin"]
    assert corporate[1].startswith(f"{corporate[2]['contacts']:,} contacts (")
    assert "at an organisation (" in corporate[1] and "of their engagements on LinkedIn (vs " in corporate[1]
    assert "× the average order." in corporate[1]


def test_discovering_again_keeps_the_personas_and_a_given_name(demo):
    with demo.transaction() as session:
        first = discover_personas(session, actor=SYSTEM)
        ids = [p.id for p in first.personas]
        update_persona(session, ids[0], PersonaChange(name="Family hosts"), actor=SYSTEM)
    with demo.transaction() as session:
        again = discover_personas(session, actor=SYSTEM)
        assert [p.id for p in again.personas] == ids
        assert again.personas[0].name == "Family hosts"
        assert [p.name for p in again.personas[1:]] == [p.name for p in first.personas[1:]]
        assert again.removed == []
        with pytest.raises(Invalid) as refused:
            update_persona(session, ids[0], PersonaChange(rules={"conditions": []}), actor=SYSTEM)
        assert refused.value.field == "rules"
    with demo.transaction() as session:
        two = discover_personas(session, clusters=2, actor=SYSTEM)
        assert two.clusters == 2 and two.asked == 2
        assert len(session.scalars(select(Persona).where(Persona.kind == "discovered")).all()) == 2


def test_a_new_contact_is_scored_from_the_stored_centres(demo):
    with demo.transaction() as session:
        found = discover_personas(session, clusters=3, actor=SYSTEM)
        corporate = next(p for p in found.personas if p.name.startswith("Corporate"))
        office = organisation(session, industry="finance", size="51-200", city="Cape Town", region="Western Cape")
        newcomer = person(session, "Naledi Office", channel="linkedin", org=office,
                          engaged=["linkedin", "linkedin", "email"])
        counts = {c.persona_id: c.contacts for c in compute_fits(session)}
        fits = dict(session.execute(select(PersonaFit.persona_id, PersonaFit.score)
                                    .where(PersonaFit.contact_id == newcomer.id)).all())
        assert set(fits) == {p.id for p in found.personas}
        assert max(fits, key=fits.get) == corporate.id and fits[corporate.id] >= 0.5
        assert sum(counts.values()) == len(best_discovered(session))


def test_too_few_contacts_are_refused(session):
    ensure_workspace(session)
    for n in range(5):
        person(session, f"Person {n}", engaged=["instagram"])
    with pytest.raises(Invalid) as refused:
        discover_personas(session, actor=SYSTEM)
    assert str(refused.value) == "contacts: discovery needs at least 20 contacts; there are 5"
    with pytest.raises(Invalid) as asked:
        discover_personas(session, clusters=5, actor=SYSTEM)
    assert str(asked.value) == "clusters: 5 is not 2, 3 or 4; leave it out to let the data choose"
