"""The business review and competitors in and out of the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.business.models import COMPETITOR_SCOPES, ENTRY_KINDS

KINDS_TEXT = ", ".join(ENTRY_KINDS)


class VersionIn(BaseModel):
    """The whole review as it should read now; saving it makes the next version (nothing is copied implicitly)."""

    model_config = ConfigDict(extra="forbid")

    vision: str = ""
    entries: dict[str, list[str]] = Field(
        default_factory=dict,
        description=f"Entries by kind, in the order they should be read; the kinds are {KINDS_TEXT}. "
                    'e.g. {"need": ["Orders on WhatsApp"], "strength": ["Home-style food"]}')
    note: str = Field("", description="why this version was saved, e.g. 'after the March review'")
    based_on: int | None = Field(
        None, description="the version this one was edited from; a newer version saved since is a 409")


class VersionOut(BaseModel):
    """One saved version: its vision and every kind's entries in order (a kind without entries is an empty list)."""

    number: int
    vision: str
    note: str
    created_at: datetime
    created_by: str | None
    entries: dict[str, list[str]]


class VersionSummaryOut(BaseModel):
    """A version in the history: when, by whom, why, and how many entries of each kind."""

    number: int
    created_at: datetime
    created_by: str | None
    note: str
    vision: str
    counts: dict[str, int]


class ChangeOut(BaseModel):
    """An entry reworded in place: its text before and after, and how alike the two are (0–100)."""

    before: str
    after: str
    similarity: int


class KindDiffOut(BaseModel):
    """How one kind of entry changed between two versions."""

    kind: str
    added: list[str]
    removed: list[str]
    changed: list[ChangeOut]
    kept: list[str]
    reordered: bool


class VisionDiffOut(BaseModel):
    """The vision before and after; changed is False when they read the same."""

    before: str
    after: str
    changed: bool


class DiffOut(BaseModel):
    """How the business review evolved from one version to another; unchanged when nothing differs."""

    from_number: int
    to_number: int
    unchanged: bool
    vision: VisionDiffOut
    kinds: list[KindDiffOut]


class CompetitorIn(BaseModel):
    """A business in the industry to watch, nearby (local) or abroad (international)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    scope: str = Field(description=" or ".join(COMPETITOR_SCOPES))
    website: str | None = None
    note: str = ""


class CompetitorEdit(BaseModel):
    """The fields to change on a competitor; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    scope: str | None = None
    website: str | None = Field(None, description="an empty string removes it")
    note: str | None = None


class ObservationIn(BaseModel):
    """What was seen a competitor doing, on a day no later than today (the workspace's today)."""

    model_config = ConfigDict(extra="forbid")

    observed_on: date | None = None
    text: str = ""
    source: str | None = Field(None, description="where it was seen: a link, a shop window, a customer")


class ObservationOut(BaseModel):
    """A recorded observation."""

    id: int
    competitor_id: int
    observed_on: date
    text: str
    source: str | None
    created_at: datetime
    recorded_by: str | None


class CompetitorOut(BaseModel):
    """A competitor with its latest observations, newest first."""

    id: int
    name: str
    scope: str
    website: str | None
    note: str
    created_at: datetime
    observations: list[ObservationOut]
    observation_count: int


class EnergyOut(BaseModel):
    """Energy spent against energy received in a period, from the ROI and income reviews, in base-currency minor units.

    spend_minor and revenue_minor (revenue credited to spend), roi and roas are the ROI review's figures;
    net_minor, margin_minor and contribution_minor are the income review's totals.
    """

    from_on: date
    to_on: date
    currency: str
    spend_minor: int
    revenue_minor: int
    roi: float | None
    roas: float | None
    net_minor: int
    margin_minor: int
    contribution_minor: int | None
    notes: list[str]
