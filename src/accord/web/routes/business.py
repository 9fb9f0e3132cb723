"""The business review pages: the review with spent vs received and competitors, its history, and the diff."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.business import service
from accord.business.energy import energy
from accord.business.models import COMPETITOR_SCOPES, ENTRY_KINDS
from accord.business.queries import diff, latest_version, list_competitors, list_versions, version_by_number
from accord.business.schemas import CompetitorEdit, CompetitorIn, ObservationIn, VersionIn
from accord.business.service import KIND_TITLES
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor
from accord.kernel.clock import last_twelve_months
from accord.kernel.workspace import get_workspace, workspace_today
from accord.reviews.report import warehouse_for
from accord.web.forms import optional_date
from accord.web.security import EVERYONE, PLANNERS, DbSession, page_user, store_of
from accord.web.templating import is_fragment_request

router = APIRouter()
KIND_HINTS = {
    "need": "what customers need from the business",
    "opportunity": "openings to grow",
    "improvement": "what to do better",
    "strength": "what the business does best",
    "exception": "what sets it apart, or what it will not do",
}
ENTRY_FIELD = re.compile(r"^entries\.(\w+)(?:\[(\d+)\])?$")
# The forms' words for the fields the services name.
FIELD_LABELS = {"vision": "Vision", "note": "Note", "based_on": "Version", "name": "Name", "scope": "Where",
                "website": "Website", "observed_on": "Date seen", "text": "What they did", "source": "Seen where"}
Text = Annotated[str, Form()]


def _render(request: Request, tz: str, name: str, user: User, status: int = 200, **context: Any) -> Response:
    context = {"user": user, "active": "/business", "kinds": ENTRY_KINDS, "titles": KIND_TITLES, "hints": KIND_HINTS,
               "can_edit": user.role in PLANNERS, "tz": tz, **context}
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def _page(request: Request, session: Session, name: str, user: User, status: int = 200, **context: Any) -> Response:
    return _render(request, get_workspace(session).timezone, name, user, status, **context)


def _energy_url(from_on: date | None, to_on: date | None) -> str:
    given = {key: value.isoformat() for key, value in (("from_on", from_on), ("to_on", to_on)) if value}
    return "/business/energy" + (f"?{urlencode(given)}" if given else "")


def _lines(text: str) -> list[str]:
    """A textarea's entries: one a line, blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _problem(exc: Invalid | Conflict) -> dict[str, str]:
    """What went wrong, in the words of the form: entries.need[2] reads 'Needs, entry 3', observed_on 'Date seen'."""
    if isinstance(exc, Conflict):
        return {"field": "", "message": exc.message}
    found = ENTRY_FIELD.match(exc.field)
    if found and found[1] in KIND_TITLES:
        where = KIND_TITLES[found[1]] + (f", entry {int(found[2]) + 1}" if found[2] is not None else "")
        return {"field": f"entries.{found[1]}", "message": f"{where}: {exc.reason}"}
    return {"field": exc.field, "message": f"{FIELD_LABELS.get(exc.field, exc.field)}: {exc.reason}"}


def _business_page(request: Request, session: Session, user: User, *, from_on: date | None = None,
                   to_on: date | None = None, form: str = "", values: dict[str, Any] | None = None,
                   problem: dict[str, str] | None = None, saved: int | None = None, status: int = 200) -> Response:
    latest = latest_version(session)
    draft = values if form == "version" and values else {
        "vision": latest.vision if latest else "", "note": "",
        "based_on": str(latest.number) if latest else "",
        **{f"entries.{kind}": "\n".join(latest.entries[kind]) if latest else "" for kind in ENTRY_KINDS},
    }
    competitors = list_competitors(session)
    default_from, default_to = last_twelve_months(workspace_today(session))
    from_on, to_on = from_on or default_from, to_on or default_to
    return _page(
        request, session, "business/index.html", user, status, version=latest, draft=draft, form=form,
        values=values or {}, problem=problem, energy_url=_energy_url(from_on, to_on), from_on=from_on, to_on=to_on,
        local=[c for c in competitors if c.scope == "local"],
        international=[c for c in competitors if c.scope == "international"],
        scopes=COMPETITOR_SCOPES, today=workspace_today(session), saved=saved,
    )


@router.get("/business")
def business(request: Request, session: DbSession, user: User = page_user(*EVERYONE),
             from_on: date | None = None, to_on: date | None = None,
             saved: int | None = Query(default=None, description="The version just saved, to say so.")) -> Response:
    """The business review: vision, entries by kind, spent vs received, and competitors near and far."""
    return _business_page(request, session, user, from_on=from_on, to_on=to_on, saved=saved)


@router.get("/business/energy")
def business_energy(request: Request, user: User = page_user(*EVERYONE), from_on: date | None = None,
                    to_on: date | None = None) -> Response:
    """Spent vs received for a period (default the last twelve months), from the ROI and income reviews."""
    # A short transaction of its own: the reviews take seconds and must not keep the store open meanwhile.
    with store_of(request).transaction() as session:
        today, tz = workspace_today(session), get_workspace(session).timezone
    default_from, default_to = last_twelve_months(today)
    from_on, to_on = from_on or default_from, to_on or default_to
    context: dict[str, Any] = {"from_on": from_on, "to_on": to_on, "energy": None, "problem": None, "error": None}
    status = 200
    try:
        if to_on <= from_on:
            raise Invalid("to_on", f"{to_on} is not after from_on {from_on}")
        with warehouse_for(store_of(request).settings) as warehouse:
            context["energy"] = energy(warehouse, from_on, to_on)
        query = urlencode({"from_on": from_on.isoformat(), "to_on": to_on.isoformat()})
        context["links"] = {"roi": f"/reviews/roi?{query}", "income": f"/reviews/income?{query}"}
    except Invalid as exc:
        context["error"], status = exc, 422
    except Conflict as exc:
        context["problem"] = exc.message
    name = "business/_energy.html" if is_fragment_request(request) else "business/energy.html"
    return _render(request, tz, name, user, status, **context)


@router.post("/business/versions")
def save_version(
    request: Request, session: DbSession, vision: Text = "", note: Text = "", based_on: Text = "",
    need: Text = "", opportunity: Text = "", improvement: Text = "", strength: Text = "", exception: Text = "",
    user: User = page_user(*PLANNERS),
) -> Response:
    """Save the form as the next version of the review (one entry a line)."""
    texts = {"need": need, "opportunity": opportunity, "improvement": improvement, "strength": strength,
             "exception": exception}
    values = {"vision": vision, "note": note, "based_on": based_on,
              **{f"entries.{kind}": text for kind, text in texts.items()}}
    try:
        if based_on.strip() and not based_on.strip().isdigit():
            raise Invalid("based_on", f"'{based_on}' is not a version number")
        data = VersionIn(vision=vision, note=note, based_on=int(based_on) if based_on.strip() else None,
                         entries={kind: _lines(text) for kind, text in texts.items()})
        saved = service.save_version(session, data, actor=Actor.user(user))
    except (Invalid, Conflict) as exc:
        return _business_page(request, session, user, form="version", values=values, problem=_problem(exc),
                              status=exc.status_code)
    return RedirectResponse(f"/business?saved={saved.number}", status_code=303)


@router.post("/business/competitors")
def add_competitor(request: Request, session: DbSession, name: Text = "", scope: Text = "", website: Text = "",
                   note: Text = "", user: User = page_user(*PLANNERS)) -> Response:
    """Start watching a competitor."""
    values = {"name": name, "scope": scope, "website": website, "note": note}
    try:
        added = service.add_competitor(session, CompetitorIn(**values), actor=Actor.user(user))
    except (Invalid, Conflict) as exc:
        return _business_page(request, session, user, form="competitor", values=values, problem=_problem(exc),
                              status=exc.status_code)
    return RedirectResponse(f"/business#competitor-{added.id}", status_code=303)


@router.post("/business/competitors/{competitor_id}")
def edit_competitor(request: Request, session: DbSession, competitor_id: int, name: Text = "", scope: Text = "",
                    website: Text = "", note: Text = "", user: User = page_user(*PLANNERS)) -> Response:
    """Change a competitor's name, scope, website or note."""
    values = {"name": name, "scope": scope, "website": website, "note": note, "competitor_id": competitor_id}
    try:
        service.edit_competitor(session, competitor_id, CompetitorEdit(name=name, scope=scope, website=website,
                                                                       note=note), actor=Actor.user(user))
    except (Invalid, Conflict) as exc:
        return _business_page(request, session, user, form=f"edit-{competitor_id}", values=values,
                              problem=_problem(exc), status=exc.status_code)
    return RedirectResponse(f"/business#competitor-{competitor_id}", status_code=303)


@router.post("/business/competitors/{competitor_id}/observations")
def add_observation(request: Request, session: DbSession, competitor_id: int, observed_on: Text = "",
                    text: Text = "", source: Text = "", user: User = page_user(*PLANNERS)) -> Response:
    """Record what was seen a competitor doing, on a day."""
    values = {"observed_on": observed_on, "text": text, "source": source}
    try:
        data = ObservationIn(observed_on=optional_date(observed_on, "observed_on"), text=text, source=source or None)
        service.add_observation(session, competitor_id, data, actor=Actor.user(user))
    except (Invalid, Conflict) as exc:
        return _business_page(request, session, user, form=f"observe-{competitor_id}", values=values,
                              problem=_problem(exc), status=exc.status_code)
    return RedirectResponse(f"/business#competitor-{competitor_id}", status_code=303)


@router.get("/business/versions")
def versions(request: Request, session: DbSession, user: User = page_user(*EVERYONE)) -> Response:
    """Every saved version, newest first, with links to read each and compare it with the one before."""
    return _page(request, session, "business/versions.html", user, versions=list_versions(session))


@router.get("/business/versions/{number}")
def version_page(request: Request, session: DbSession, number: int, user: User = page_user(*EVERYONE)) -> Response:
    """One saved version as it was."""
    shown = version_by_number(session, number)
    latest = latest_version(session)
    return _page(request, session, "business/version.html", user, version=shown, latest=latest)


@router.get("/business/diff")
def diff_page(
    request: Request, session: DbSession, user: User = page_user(*EVERYONE),
    from_: int | None = Query(default=None, alias="from", ge=1, description="The version to start from."),
    to: int | None = Query(default=None, ge=1, description="The version to compare it with."),
) -> Response:
    """What changed between two versions: added, removed (struck through) and reworded (before → after)."""
    history = list_versions(session)
    if from_ is None or to is None:
        newest = history[0].number if history else None
        to = to or newest
        from_ = from_ or (to - 1 if to and to > 1 else to)
    found = diff(session, from_, to) if from_ and to else None
    return _page(request, session, "business/diff.html", user, versions=history, diff=found, from_number=from_,
                 to_number=to)
