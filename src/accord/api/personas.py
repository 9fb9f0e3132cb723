"""API: personas, declared by rules or discovered from the data, and each contact's fit to them."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.kernel.audit import Actor
from accord.personas.discovery import CRITERION
from accord.personas.queries import PersonaSummary, contact_fits, list_personas, persona_summary
from accord.personas.schemas import (
    DiscoverIn, DiscoveryOut, FitCountOut, FitOut, PersonaChange, PersonaIn, PersonaOut, TraitOut,
)
from accord.personas.service import compute_fits, create_persona, delete_persona, discover_personas, update_persona
from accord.web.security import EVERYONE, PLANNERS, DbSession, api_user

router = APIRouter(tags=["personas"])


def _out(summary: PersonaSummary) -> PersonaOut:
    traits = [TraitOut(**{k: t[k] for k in TraitOut.model_fields}) for t in summary.traits]
    return PersonaOut(id=summary.id, name=summary.name, kind=summary.kind, description=summary.description,
                      rules=summary.rules, rules_text=summary.rules_text, traits=traits,
                      contacts_fitting=summary.contacts_fitting, created_at=summary.created_at)


def _one(session: Session, persona_id: int) -> PersonaOut:
    return _out(persona_summary(session, persona_id))


@router.get("/personas", response_model=list[PersonaOut])
def personas(session: DbSession, user: User = api_user(*EVERYONE)):
    """Every persona, declared first: rules in words or distinguishing attributes, and how many contacts fit."""
    return [_out(p) for p in list_personas(session)]


@router.post("/personas", response_model=PersonaOut, status_code=201)
def declare(session: DbSession, data: PersonaIn, user: User = api_user(*PLANNERS)):
    """Declare a persona from rules; every contact's fit is computed at once. A bad rule is a 422 naming it."""
    return _one(session, create_persona(session, data, actor=Actor.user(user)).id)


@router.post("/personas/discover", response_model=DiscoveryOut)
def discover(session: DbSession, data: DiscoverIn, user: User = api_user(*PLANNERS)):
    """Find 2 to 4 personas in the data (replacing the discovered ones) and score every contact."""
    found = discover_personas(session, clusters=data.clusters, actor=Actor.user(user))
    return DiscoveryOut(clusters=found.clusters, criterion=CRITERION,
                        scores={str(k): round(v, 2) for k, v in found.scores.items()},
                        chosen_by="asked" if found.asked else CRITERION, removed=found.removed,
                        personas=[_one(session, p.id) for p in found.personas])


@router.post("/personas/fits", response_model=list[FitCountOut])
def refit(session: DbSession, user: User = api_user(*PLANNERS)):
    """Score every live contact against every persona again; how many fit each (a fit of at least 0.5)."""
    return [FitCountOut(persona_id=c.persona_id, name=c.name, kind=c.kind, contacts_fitting=c.contacts)
            for c in compute_fits(session)]


@router.get("/personas/{persona_id}", response_model=PersonaOut)
def persona(session: DbSession, persona_id: int, user: User = api_user(*EVERYONE)):
    """One persona."""
    return _one(session, persona_id)


@router.patch("/personas/{persona_id}", response_model=PersonaOut)
def change(session: DbSession, persona_id: int, data: PersonaChange, user: User = api_user(*PLANNERS)):
    """Rename or re-describe a persona; a declared one also takes new rules and is scored again."""
    return _one(session, update_persona(session, persona_id, data, actor=Actor.user(user)).id)


@router.delete("/personas/{persona_id}", status_code=204, response_class=Response)
def remove(session: DbSession, persona_id: int, user: User = api_user(*PLANNERS)) -> Response:
    """Remove a persona and its fits."""
    delete_persona(session, persona_id, actor=Actor.user(user))
    return Response(status_code=204)


@router.get("/contacts/{contact_id}/personas", response_model=list[FitOut])
def fits(session: DbSession, contact_id: int, user: User = api_user(*EVERYONE)):
    """Every persona the contact fits at all, best first."""
    return [FitOut(persona_id=f.persona_id, name=f.name, kind=f.kind, score=f.score)
            for f in contact_fits(session, contact_id)]
