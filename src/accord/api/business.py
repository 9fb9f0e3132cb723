"""API: the business review's versions and their diff, spent vs received, and competitors with observations."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from fastapi import APIRouter, Query, Request

from accord.accounts.models import User
from accord.business import service
from accord.business.energy import energy
from accord.business.queries import (
    LATEST_OBSERVATIONS, VersionView, competitor_view, diff, latest_version, list_competitors, list_versions,
    version_by_number,
)
from accord.business.schemas import (
    CompetitorEdit, CompetitorIn, CompetitorOut, DiffOut, EnergyOut, ObservationIn, ObservationOut, VersionIn,
    VersionOut, VersionSummaryOut,
)
from accord.errors import Invalid, NotFound
from accord.kernel.audit import Actor
from accord.kernel.clock import last_twelve_months
from accord.kernel.workspace import workspace_today
from accord.reviews.report import warehouse_for
from accord.web.security import EVERYONE, PLANNERS, DbSession, api_user, store_of

router = APIRouter(prefix="/business", tags=["business"])


def _version_out(view: VersionView) -> VersionOut:
    return VersionOut(number=view.number, vision=view.vision, note=view.note, created_at=view.created_at,
                      created_by=view.created_by, entries=view.entries)


@router.get("", response_model=VersionOut)
def latest(session: DbSession, user: User = api_user(*EVERYONE)) -> VersionOut:
    """The latest version of the business review (404 before the first is saved)."""
    found = latest_version(session)
    if found is None:
        raise NotFound("no business review saved yet; save the first with POST /api/v1/business/versions")
    return _version_out(found)


@router.get("/versions", response_model=list[VersionSummaryOut])
def versions(session: DbSession, user: User = api_user(*EVERYONE)) -> list[VersionSummaryOut]:
    """Every version, newest first, with its entry counts per kind."""
    return [VersionSummaryOut(**asdict(summary)) for summary in list_versions(session)]


@router.get("/versions/{number}", response_model=VersionOut)
def version(session: DbSession, number: int, user: User = api_user(*EVERYONE)) -> VersionOut:
    """One version as it was saved."""
    return _version_out(version_by_number(session, number))


@router.post("/versions", response_model=VersionOut, status_code=201)
def save(data: VersionIn, session: DbSession, user: User = api_user(*PLANNERS)) -> VersionOut:
    """Save the whole review as the next version; 409 when nothing changed or a newer version was saved since."""
    saved = service.save_version(session, data, actor=Actor.user(user))
    return _version_out(version_by_number(session, saved.number))


@router.get("/diff", response_model=DiffOut)
def compare(
    session: DbSession, user: User = api_user(*EVERYONE),
    from_: int = Query(alias="from", description="The version to start from."),
    to: int = Query(description="The version to compare it with."),
) -> DiffOut:
    """Per kind: entries added, removed, changed (reworded in place) and kept; and the vision before and after."""
    found = diff(session, from_, to)
    return DiffOut(from_number=found.from_number, to_number=found.to_number, unchanged=found.unchanged,
                   vision={"before": found.vision.before, "after": found.vision.after,
                           "changed": found.vision.changed},
                   kinds=[asdict(kind) for kind in found.kinds])


@router.get("/energy", response_model=EnergyOut)
def spent_vs_received(
    request: Request, user: User = api_user(*EVERYONE),
    from_on: date | None = Query(default=None, description="First day included; default a year before to_on."),
    to_on: date | None = Query(default=None, description="First day not included; default tomorrow."),
) -> EnergyOut:
    """Marketing spend against what came back, from the ROI and income reviews; 409 before the first sync."""
    # A short transaction of its own: the reviews take seconds and must not keep the store open meanwhile.
    with store_of(request).transaction() as session:
        default_from, default_to = last_twelve_months(workspace_today(session))
    from_on, to_on = from_on or default_from, to_on or default_to
    if to_on <= from_on:
        raise Invalid("to_on", f"{to_on} is not after from_on {from_on}")
    with warehouse_for(store_of(request).settings) as warehouse:
        found = energy(warehouse, from_on, to_on)
    totals = found.income.totals
    return EnergyOut(from_on=from_on, to_on=to_on, currency=found.currency, spend_minor=found.roi.spend_minor,
                     revenue_minor=found.roi.revenue_minor, roi=found.roi.roi, roas=found.roi.roas,
                     net_minor=totals.net_minor, margin_minor=totals.margin_minor,
                     contribution_minor=totals.contribution_minor, notes=found.notes)


@router.get("/competitors", response_model=list[CompetitorOut])
def competitors(
    session: DbSession, user: User = api_user(*EVERYONE),
    latest: int = Query(default=LATEST_OBSERVATIONS, ge=1, le=1000, description="Newest observations per competitor."),
) -> list[CompetitorOut]:
    """Every competitor, local first, then by name, with its newest observations."""
    return [CompetitorOut(**asdict(view)) for view in list_competitors(session, latest=latest)]


@router.post("/competitors", response_model=CompetitorOut, status_code=201)
def add_competitor(data: CompetitorIn, session: DbSession, user: User = api_user(*PLANNERS)) -> CompetitorOut:
    """Start watching a competitor (409 when the name is taken, whatever its case)."""
    added = service.add_competitor(session, data, actor=Actor.user(user))
    return CompetitorOut(**asdict(competitor_view(session, added.id, latest=LATEST_OBSERVATIONS)))


@router.patch("/competitors/{competitor_id}", response_model=CompetitorOut)
def edit_competitor(competitor_id: int, data: CompetitorEdit, session: DbSession,
                    user: User = api_user(*PLANNERS)) -> CompetitorOut:
    """Change a competitor's name, scope, website or note; fields left out stay as they are."""
    service.edit_competitor(session, competitor_id, data, actor=Actor.user(user))
    return CompetitorOut(**asdict(competitor_view(session, competitor_id, latest=LATEST_OBSERVATIONS)))


@router.post("/competitors/{competitor_id}/observations", response_model=ObservationOut, status_code=201)
def observe(competitor_id: int, data: ObservationIn, session: DbSession,
            user: User = api_user(*PLANNERS)) -> ObservationOut:
    """Record what was seen a competitor doing on a day (not after today, in the workspace's time zone)."""
    saved = service.add_observation(session, competitor_id, data, actor=Actor.user(user))
    return ObservationOut(id=saved.id, competitor_id=saved.competitor_id, observed_on=saved.observed_on,
                          text=saved.text, source=saved.source, created_at=saved.created_at, recorded_by=user.name)
