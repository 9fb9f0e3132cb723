"""Read models for personas: the list with rules in words, one persona's page, a contact's fits, the best fit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.contacts.models import Contact, ContactAttribute, Organisation
from accord.kernel.db import get_row
from accord.kernel.vocabulary import CHANNELS, LIFECYCLE_STAGES
from accord.kernel.workspace import get_workspace
from accord.personas import rules as declared
from accord.personas.models import Persona, PersonaFit
from accord.personas.profile import attribute_keys
from accord.personas.service import FIT_THRESHOLD, get_persona


@dataclass(frozen=True)
class PersonaSummary:
    """A persona as the list shows it."""

    id: int
    name: str
    kind: str
    description: str
    rules: dict[str, Any]
    rules_text: list[str]
    traits: list[dict[str, Any]]
    contacts_fitting: int
    created_at: datetime
    computed_at: datetime | None


def conditions_of(persona: Persona) -> list[declared.Condition]:
    """A declared persona's stored conditions (checked when they were saved)."""
    if persona.kind != "declared":
        return []
    return [declared.Condition(c["attribute"], c["operator"], tuple(c["values"]), float(c.get("weight", 1)))
            for c in persona.rules.get("conditions", [])]


def _summary(persona: Persona, currency: str, fitting: int, computed_at: datetime | None) -> PersonaSummary:
    discovery = persona.rules.get("discovery", {}) if persona.kind == "discovered" else {}
    return PersonaSummary(
        persona.id, persona.name, persona.kind, persona.description, persona.rules,
        [declared.condition_text(c, currency) for c in conditions_of(persona)], list(discovery.get("traits", [])),
        fitting, persona.created_at, computed_at,
    )


def _fitting(session: Session, *conditions) -> dict[int, tuple[int, datetime | None]]:
    rows = session.execute(
        select(PersonaFit.persona_id, func.count().filter(PersonaFit.score >= FIT_THRESHOLD),
               func.max(PersonaFit.computed_at))
        .where(*conditions).group_by(PersonaFit.persona_id)
    )
    return {persona_id: (int(count or 0), at) for persona_id, count, at in rows}


def has_personas(session: Session) -> bool:
    """Whether the workspace has any persona, declared or discovered."""
    return session.scalar(select(Persona.id).limit(1)) is not None


def list_personas(session: Session) -> list[PersonaSummary]:
    """Declared personas, then discovered ones, each in the order they were made."""
    currency = get_workspace(session).base_currency
    fitting = _fitting(session)
    personas = session.scalars(select(Persona).order_by(Persona.kind, Persona.id))
    return [_summary(p, currency, *fitting.get(p.id, (0, None))) for p in personas]


def persona_summary(session: Session, persona_id: int) -> PersonaSummary:
    """One persona as the list shows it; NotFound if there is none."""
    persona = get_persona(session, persona_id)
    fitting = _fitting(session, PersonaFit.persona_id == persona.id)
    return _summary(persona, get_workspace(session).base_currency, *fitting.get(persona.id, (0, None)))


@dataclass(frozen=True)
class FittingContact:
    """A contact who fits a persona, and how well."""

    contact_id: int
    display_name: str
    lifecycle_stage: str
    score: float


@dataclass(frozen=True)
class PersonaDetail:
    """One persona's page: the summary, how discovery chose it, and the contacts who fit it best."""

    summary: PersonaSummary
    discovery: dict[str, Any]
    best_fitting: list[FittingContact] = field(default_factory=list)


def persona_detail(session: Session, persona_id: int, *, limit: int = 20) -> PersonaDetail:
    """The persona, its discovery record (empty for declared ones) and the `limit` contacts fitting it best."""
    summary = persona_summary(session, persona_id)
    rows = session.execute(
        select(Contact.id, Contact.display_name, Contact.lifecycle_stage, PersonaFit.score)
        .join(PersonaFit, PersonaFit.contact_id == Contact.id)
        .where(PersonaFit.persona_id == persona_id, PersonaFit.score >= FIT_THRESHOLD)
        .order_by(PersonaFit.score.desc(), Contact.id).limit(limit)
    )
    discovery = {k: v for k, v in summary.rules.get("discovery", {}).items() if k not in ("features", "centre")}
    return PersonaDetail(summary, discovery, [FittingContact(*row) for row in rows])


@dataclass(frozen=True)
class ContactFit:
    """A contact's fit to one persona."""

    persona_id: int
    name: str
    kind: str
    score: float


def contact_fits(session: Session, contact_id: int) -> list[ContactFit]:
    """Every persona a contact fits at all, best first (ties: the older persona first); NotFound without the contact."""
    get_row(session, Contact, contact_id, "contact")
    rows = session.execute(
        select(Persona.id, Persona.name, Persona.kind, PersonaFit.score)
        .join(PersonaFit, PersonaFit.persona_id == Persona.id)
        .where(PersonaFit.contact_id == contact_id).order_by(PersonaFit.score.desc(), Persona.id)
    )
    return [ContactFit(*row) for row in rows]


def best_fits(session: Session, contact_ids: set[int]) -> dict[int, tuple[str, float]]:
    """Each contact's best-fitting persona (ties: the older one) and its score, in one query for these contacts."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(PersonaFit.contact_id, Persona.name, PersonaFit.score)
        .join(Persona, Persona.id == PersonaFit.persona_id)
        .where(PersonaFit.contact_id.in_(sorted(contact_ids)))
        .order_by(PersonaFit.contact_id, PersonaFit.score.desc(), Persona.id)
    )
    best: dict[int, tuple[str, float]] = {}
    for contact_id, name, score in rows:
        best.setdefault(contact_id, (name, score))
    return best


@dataclass(frozen=True)
class AttributeChoice:
    """An attribute the rule builder offers: its kind, what it holds, its operators and some values to pick."""

    name: str
    kind: str
    help: str
    operators: tuple[str, ...]
    suggestions: list[str]


def rule_attributes(session: Session, *, suggestions: int = 30) -> list[AttributeChoice]:
    """Every attribute a rule can use here, with the commonest values of each as suggestions."""
    helps = {**declared.TEXT_ATTRIBUTES, **declared.SET_ATTRIBUTES, **declared.AMOUNT_ATTRIBUTES}
    fixed = {"first_channel": list(CHANNELS), "channel": list(CHANNELS), "lifecycle_stage": list(LIFECYCLE_STAGES)}
    columns = {"city": (Contact.city, Organisation.city), "region": (Contact.region, Organisation.region),
               "country": (Contact.country, Organisation.country), "industry": (Organisation.industry,),
               "org_size": (Organisation.size,)}
    choices = []
    for name in declared.available_attributes(attribute_keys(session)):
        if name in fixed:
            values = fixed[name]
        elif name in columns:
            values = sorted({v for column in columns[name] for v in session.scalars(
                select(column).where(column.is_not(None)).group_by(column)
                .order_by(func.count().desc(), column).limit(suggestions))})
        elif declared.kind_of(name) == "set":
            values = list(session.scalars(
                select(ContactAttribute.value).where(ContactAttribute.key == name).group_by(ContactAttribute.value)
                .order_by(func.count().desc(), ContactAttribute.value).limit(suggestions)))
        else:
            values = []
        kind = declared.kind_of(name)
        choices.append(AttributeChoice(name, kind, helps.get(name, f"contact attribute '{name}'"),
                                       declared.OPERATORS[kind], values))
    return choices
