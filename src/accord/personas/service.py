"""Writes for personas: declared ones from rules, discovered ones from clusters, and every contact's fit to each.

Fits are stored in bulk and replaced whole: recomputing a persona deletes its fits and writes them afresh. A fit of
0 is not stored, so a contact with no row for a persona does not fit it at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.db import bulk_insert, get_row
from accord.kernel.workspace import get_workspace
from accord.personas import discovery as clustering
from accord.personas import rules as declared
from accord.personas.models import Persona, PersonaFit
from accord.personas.profile import Profiles, attribute_keys, load_profiles
from accord.personas.schemas import PersonaChange, PersonaIn

FIT_THRESHOLD = 0.5  # a contact fits a persona when the score is at least this
MAX_NAME = 120
MAX_DESCRIPTION = 2000
SAME_CLUSTER = 0.5  # a new cluster sharing this much of an old one's members (Jaccard) is that persona again


def _name(session: Session, name: Any, *, keep: int | None = None) -> str:
    clean = " ".join(name.split()) if isinstance(name, str) else ""
    if not 1 <= len(clean) <= MAX_NAME:
        raise Invalid("name", f"{name!r} is not a name of 1 to {MAX_NAME} characters")
    other = session.scalar(select(Persona).where(func.lower(Persona.name) == clean.lower(), Persona.id != (keep or 0)))
    if other is not None:
        raise Conflict(f"a persona named '{other.name}' already exists (persona {other.id}); choose another name")
    return clean


def _description(description: Any) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise Invalid("description", f"is not a text of at most {MAX_DESCRIPTION:,} characters")
    return description.strip()


def check_declared_rules(session: Session, rules: Any) -> list[declared.Condition]:
    """The conditions of a declared rule set, checked against the attributes this store has."""
    return declared.check_rules(rules, store_keys=attribute_keys(session),
                                currency=get_workspace(session).base_currency)


def get_persona(session: Session, persona_id: int) -> Persona:
    """The persona, or NotFound."""
    return get_row(session, Persona, persona_id, "persona")


def create_persona(session: Session, data: PersonaIn, *, actor: Actor) -> Persona:
    """A declared persona from rules; every contact's fit to it is computed at once."""
    conditions = check_declared_rules(session, data.rules)
    persona = Persona(name=_name(session, data.name), kind="declared", description=_description(data.description),
                      rules={"conditions": [c.as_json() for c in conditions]}, created_at=utcnow())
    session.add(persona)
    session.flush()
    _store_declared_fits(session, persona, conditions)
    record(session, actor=actor, entity="persona", entity_id=persona.id, action="created",
           summary=f"Declared persona '{persona.name}'"[:500], after=_state(persona))
    return persona


def update_persona(session: Session, persona_id: int, data: PersonaChange, *, actor: Actor) -> Persona:
    """Rename, re-describe, or (declared personas only) change the rules and recompute the fits."""
    persona = get_persona(session, persona_id)
    before = _state(persona)
    if data.rules is not None:
        if persona.kind != "declared":
            raise Invalid("rules", f"persona {persona.id} ('{persona.name}') was discovered from the data; its rules "
                                   "come from discovery, so run discovery again instead")
        conditions = check_declared_rules(session, data.rules)
    name = _name(session, data.name, keep=persona.id) if data.name is not None else persona.name
    description = _description(data.description) if data.description is not None else persona.description
    persona.name, persona.description = name, description
    if data.rules is not None:
        persona.rules = {"conditions": [c.as_json() for c in conditions]}
        session.flush()
        _store_declared_fits(session, persona, conditions)
    session.flush()
    if _state(persona) != before:
        record(session, actor=actor, entity="persona", entity_id=persona.id, action="updated",
               summary=f"Persona '{persona.name}' changed"[:500], before=before, after=_state(persona))
    return persona


def delete_persona(session: Session, persona_id: int, *, actor: Actor) -> None:
    """Remove a persona and its fits; campaigns that targeted it keep running without one."""
    persona = get_persona(session, persona_id)
    state = _state(persona)
    session.execute(delete(PersonaFit).where(PersonaFit.persona_id == persona.id))
    session.delete(persona)
    session.flush()
    record(session, actor=actor, entity="persona", entity_id=persona_id, action="deleted",
           summary=f"Persona '{state['name']}' removed"[:500], before=state)


def _state(persona: Persona) -> dict[str, Any]:
    return {"name": persona.name, "kind": persona.kind, "description": persona.description,
            "rules": persona.rules if persona.kind == "declared" else {}}


# --- fits -------------------------------------------------------------------------------------------------------


def _write_fits(session: Session, fits: dict[int, pd.Series]) -> None:
    """Replace the fits of these personas with the given scores (persona id → contact id → score)."""
    if not fits:
        return
    session.execute(delete(PersonaFit).where(PersonaFit.persona_id.in_(sorted(fits))))
    at = utcnow()
    for persona_id, scores in fits.items():
        kept = scores[scores > 0]
        bulk_insert(session, PersonaFit, [
            {"persona_id": persona_id, "contact_id": int(contact_id), "score": float(score), "computed_at": at}
            for contact_id, score in zip(kept.index.tolist(), kept.tolist())
        ])
    session.flush()


def _store_declared_fits(session: Session, persona: Persona, conditions: list[declared.Condition]) -> None:
    profiles = load_profiles(session, **declared.needs(conditions))
    _write_fits(session, {persona.id: declared.fit_scores(profiles, conditions)})


def _discovered_fits(profiles: Profiles, personas: list[Persona]) -> dict[int, pd.Series]:
    """Discovered personas' fits from their stored centres, so new contacts are scored without clustering again."""
    if not personas:
        return {}
    models = [p.rules["discovery"] for p in personas]
    names = [f["name"] for f in models[0]["features"]]
    if any([f["name"] for f in m["features"]] != names for m in models):
        raise Conflict("the discovered personas come from different discovery runs; run discovery again")
    space = clustering.standardised(profiles, [clustering.Feature(**f) for f in models[0]["features"]])
    fits = clustering.relative_fits(space, pd.DataFrame([m["centre"] for m in models]).to_numpy(dtype=float))
    return {p.id: pd.Series(fits[:, j], index=profiles.ids) for j, p in enumerate(personas)}


@dataclass(frozen=True)
class FitCount:
    """How many contacts fit a persona (a score of at least FIT_THRESHOLD)."""

    persona_id: int
    name: str
    kind: str
    contacts: int


def compute_fits(session: Session) -> list[FitCount]:
    """Recompute every persona's fit for every live contact: declared ones by their rules, discovered ones by the
    stored centres (new contacts included); returns how many contacts fit each."""
    personas = list(session.scalars(select(Persona).order_by(Persona.kind, Persona.id)))
    if not personas:
        return []
    profiles = load_profiles(session, attribute_keys=None)
    currency = get_workspace(session).base_currency
    store_keys = attribute_keys(session)
    fits: dict[int, pd.Series] = {}
    for persona in personas:
        if persona.kind == "declared":
            conditions = declared.check_rules(persona.rules, store_keys=store_keys, currency=currency)
            fits[persona.id] = declared.fit_scores(profiles, conditions)
    fits.update(_discovered_fits(profiles, [p for p in personas if p.kind == "discovered"]))
    _write_fits(session, fits)
    return [FitCount(p.id, p.name, p.kind, int((fits[p.id] >= FIT_THRESHOLD).sum())) for p in personas]


# --- discovery --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovered:
    """What a discovery run found: the personas (largest first) and how their number was chosen."""

    personas: list[Persona]
    scores: dict[int, float]
    asked: int | None
    sampled: int | None
    removed: list[str]

    @property
    def clusters(self) -> int:
        """How many personas were found."""
        return len(self.personas)


def discover_personas(session: Session, *, clusters: int | None = None, actor: Actor) -> Discovered:
    """Cluster the contacts into 2 to 4 discovered personas, replacing the previous ones.

    A new cluster that is mostly the same people as a previous discovered persona (Jaccard similarity of at least
    0.5) keeps that persona's id and campaign links, and its name when someone renamed it; the others are removed.
    """
    profiles = load_profiles(session, attribute_keys=None)
    found = clustering.discover(profiles, clusters=clusters)
    old = list(session.scalars(select(Persona).where(Persona.kind == "discovered").order_by(Persona.id)))
    members = _members(session, [p.id for p in old])
    matched: dict[int, Persona] = {}
    for index, cluster in enumerate(found.clusters):
        mine = set(cluster.members.tolist())
        best, best_overlap = None, SAME_CLUSTER
        for persona in old:
            theirs = members.get(persona.id, set())
            overlap = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
            if persona not in matched.values() and overlap >= best_overlap:
                best, best_overlap = persona, overlap
        if best is not None:
            matched[index] = best
    removed = [p for p in old if p not in matched.values()]
    for persona in removed:
        session.delete(persona)
    # Clear renamed-by-discovery names first, so two kept personas can swap names without a unique clash.
    kept_auto = [p for p in matched.values() if p.name == p.rules.get("discovery", {}).get("auto_name")]
    for persona in kept_auto:
        persona.name = f"(renaming {persona.id})"
    session.flush()
    personas: list[Persona] = []
    now = utcnow()
    for index, cluster in enumerate(found.clusters):
        model = found.model(index)
        model["discovery"]["description"] = cluster.description
        persona = matched.get(index)
        if persona is None:
            persona = Persona(name=_free_name(session, cluster.name), kind="discovered",
                              description=cluster.description, rules=model, created_at=now)
            session.add(persona)
        else:
            previous = persona.rules.get("discovery", {})
            if persona in kept_auto:
                persona.name = _free_name(session, cluster.name)
            if persona.description == previous.get("description"):
                persona.description = cluster.description
            persona.rules = model
        session.flush()
        personas.append(persona)
    _write_fits(session, {p.id: found.fits[j] for j, p in enumerate(personas)})
    scores = ", ".join(f"k={k}: {v:,.1f}" for k, v in found.scores.items())
    record(session, actor=actor, entity="persona", entity_id=personas[0].id, action="discovered",
           summary=f"Discovered {len(personas)} personas ({scores}): {'; '.join(p.name for p in personas)}"[:500],
           after={"personas": [p.id for p in personas], "removed": [p.id for p in removed],
                  "scores": {str(k): v for k, v in found.scores.items()}})
    return Discovered(personas, found.scores, clusters, found.sampled, [p.name for p in removed])


def _members(session: Session, persona_ids: list[int]) -> dict[int, set[int]]:
    """The contacts that fit each persona (score of at least FIT_THRESHOLD)."""
    members: dict[int, set[int]] = {}
    if not persona_ids:
        return members
    for persona_id, contact_id in session.execute(
        select(PersonaFit.persona_id, PersonaFit.contact_id)
        .where(PersonaFit.persona_id.in_(persona_ids), PersonaFit.score >= FIT_THRESHOLD)
    ):
        members.setdefault(persona_id, set()).add(contact_id)
    return members


def _free_name(session: Session, name: str) -> str:
    """The name, or the name marked as discovered (and numbered) when a persona already holds it."""
    taken = {n.lower() for n in session.scalars(select(Persona.name))}
    candidates = [name, f"{name} (discovered)", *(f"{name} (discovered {n})" for n in range(2, 100))]
    return next(c for c in candidates if c.lower() not in taken)
