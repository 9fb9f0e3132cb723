"""Persona shapes for the API: a declared persona in, personas and fits out, and a discovery run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RULES_HELP = (
    'A rule set: {"conditions": [{"attribute": "city", "operator": "in", "values": ["Sandton"], "weight": 2}, ...]}. '
    "Attributes: city, region, country, industry, org_size, first_channel, lifecycle_stage (operators in, not_in); "
    "channel, interest, hangout and any other contact attribute key (any_of, all_of, none_of); spend in minor units "
    "of the base currency (at_least [n], at_most [n], between [min, max]). Fit = weighted share of conditions met."
)
RULES_EXAMPLE = {"conditions": [
    {"attribute": "city", "operator": "in", "values": ["Sandton", "Rosebank"], "weight": 2},
    {"attribute": "channel", "operator": "any_of", "values": ["instagram", "tiktok"]},
    {"attribute": "spend", "operator": "at_least", "values": [100000]},
]}


class PersonaIn(BaseModel):
    """A declared persona; the service checks the rules and names the condition at fault."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    rules: Any = Field(description=RULES_HELP, examples=[RULES_EXAMPLE])


class PersonaChange(BaseModel):
    """What to change; fields left out stay as they are. Only declared personas take new rules."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    rules: Any = Field(default=None, description=RULES_HELP)


class DiscoverIn(BaseModel):
    """How many clusters to find; leave it out and the Calinski-Harabasz index chooses 2, 3 or 4."""

    model_config = ConfigDict(extra="forbid")

    clusters: int | None = Field(default=None, description="2, 3 or 4; empty: chosen by the data")


class TraitOut(BaseModel):
    """One attribute that sets a discovered persona apart."""

    feature: str
    text: str
    cluster: float
    overall: float
    effect: float


class PersonaOut(BaseModel):
    """A persona with its rules in words and how many contacts fit it (a fit of at least 0.5)."""

    id: int
    name: str
    kind: str
    description: str
    rules: dict[str, Any]
    rules_text: list[str]
    traits: list[TraitOut]
    contacts_fitting: int
    created_at: datetime


class DiscoveryOut(BaseModel):
    """A discovery run: the personas found and the Calinski-Harabasz index of each number of clusters tried."""

    clusters: int
    criterion: str
    scores: dict[str, float]
    chosen_by: str
    removed: list[str]
    personas: list[PersonaOut]


class FitOut(BaseModel):
    """A contact's fit to one persona, 0 to 1."""

    persona_id: int
    name: str
    kind: str
    score: float


class FitCountOut(BaseModel):
    """How many contacts fit a persona after the fits were computed."""

    persona_id: int
    name: str
    kind: str
    contacts_fitting: int
