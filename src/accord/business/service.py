"""Writes for the business review: saving a new version, and watching competitors with dated observations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.business.models import (
    COMPETITOR_SCOPES, ENTRY_KINDS, BusinessEntry, BusinessVersion, Competitor, CompetitorObservation,
)
from accord.business.queries import compare, latest_version, normalised
from accord.business.schemas import CompetitorEdit, CompetitorIn, ObservationIn, VersionIn
from accord.errors import Conflict, Invalid
from accord.kernel.audit import Actor, record, snapshot
from accord.kernel.clock import utcnow
from accord.kernel.db import get_row
from accord.kernel.workspace import workspace_today

KIND_TITLES = {"need": "Needs", "opportunity": "Opportunities", "improvement": "Improvements",
               "strength": "Strengths", "exception": "Exceptions"}
MAX_VISION = 2000
MAX_ENTRY = 300
MAX_ENTRIES = 40  # of one kind: a review is read in one sitting
MAX_NOTE = 300
MAX_NAME = 200
MAX_WEBSITE = 300
MAX_TEXT = 2000
MAX_SOURCE = 300


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise Invalid(field, f"{value!r} is not text")
    return value


def _limited(text: str, field: str, limit: int) -> str:
    if len(text) > limit:
        raise Invalid(field, f"{len(text):,} characters; the limit is {limit:,}")
    return text


@contextmanager
def _unique(session: Session, conflict: str) -> Iterator[None]:
    """Make the changes inside in a savepoint; a unique key a concurrent transaction took is a Conflict."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


def _vision(value: Any) -> str:
    text = _text(value, "vision").replace("\r\n", "\n").strip()
    return _limited(text, "vision", MAX_VISION)


def _entries(raw: Any) -> dict[str, list[str]]:
    """Entries by kind, tidied (one line each) and checked; each fault names its place, e.g. entries.need[2]."""
    if not isinstance(raw, Mapping):
        raise Invalid("entries", f"{raw!r} is not entries by kind, such as {{\"need\": [\"Orders on WhatsApp\"]}}")
    unknown = [kind for kind in raw if kind not in ENTRY_KINDS]
    if unknown:
        raise Invalid(f"entries.{unknown[0]}",
                      f"'{unknown[0]}' is not a kind of entry; the kinds are {', '.join(ENTRY_KINDS)}")
    clean: dict[str, list[str]] = {}
    for kind in ENTRY_KINDS:
        texts = raw.get(kind) or []
        if isinstance(texts, str) or not isinstance(texts, list | tuple):
            raise Invalid(f"entries.{kind}", f"{texts!r} is not a list of entries")
        if len(texts) > MAX_ENTRIES:
            raise Invalid(f"entries.{kind}", f"{len(texts)} entries; the limit is {MAX_ENTRIES} of one kind")
        plural = KIND_TITLES[kind].lower()
        first_at: dict[str, int] = {}
        tidy_texts = []
        for index, value in enumerate(texts):
            where = f"entries.{kind}[{index}]"
            tidy = " ".join(_text(value, where).split())
            key = normalised(tidy)
            if not key:
                raise Invalid(where, f"is empty; write the {kind} in a few words, or leave it out")
            _limited(tidy, where, MAX_ENTRY)
            if key in first_at:
                raise Invalid(where, f"'{tidy}' is already entry {first_at[key] + 1} of the {plural}")
            first_at[key] = index
            tidy_texts.append(tidy)
        clean[kind] = tidy_texts
    return clean


def _summary(number: int, entries: dict[str, list[str]]) -> str:
    counts = ", ".join(f"{len(texts)} {kind if len(texts) == 1 else KIND_TITLES[kind].lower()}"
                       for kind, texts in entries.items() if texts)
    return f"Business review version {number} saved" + (f": {counts}" if counts else "")


def save_version(session: Session, data: VersionIn, *, actor: Actor, at: datetime | None = None) -> BusinessVersion:
    """Save the whole review as the next version (1, 2, …); saved versions never change, and nothing is copied.

    Refused: an unknown kind, an empty, repeated or too long entry, an empty review, a review that reads the same
    as the latest version, and (when `based_on` is given) a review edited from a version that is no longer the
    latest.
    """
    vision = _vision(data.vision)
    entries = _entries(data.entries)
    note = _limited(" ".join(_text(data.note, "note").split()), "note", MAX_NOTE)
    if not vision and not any(entries.values()):
        raise Invalid("vision", "the review is empty: write the vision, or at least one need, opportunity, "
                                "improvement, strength or exception")
    latest = latest_version(session)
    if data.based_on is not None:
        if latest is None or data.based_on > latest.number:
            where = f"the latest is version {latest.number}" if latest else "none has been saved yet"
            raise Invalid("based_on", f"there is no version {data.based_on}; {where}")
        if data.based_on < latest.number:
            raise Conflict(f"version {latest.number} was saved after version {data.based_on}, which these changes "
                           f"started from; open version {latest.number}, make the changes there and save again")
    if latest is not None and compare(latest.vision, latest.entries, vision, entries).unchanged:
        raise Conflict(f"nothing changed since version {latest.number}: the vision and every entry read the same "
                       "(differences of case, spacing or a closing full stop do not count)")
    number = latest.number + 1 if latest else 1
    version = BusinessVersion(number=number, vision=vision, note=note, created_at=at or utcnow(),
                              created_by_user_id=actor.user_id)
    # Two people saving at once both reach for the same number; the second is told, not given a 500.
    with _unique(session, f"someone else saved version {number} at the same moment; open it and save again"):
        session.add(version)
    session.add_all(BusinessEntry(version_id=version.id, kind=kind, text=text, position=position)
                    for kind, texts in entries.items() for position, text in enumerate(texts))
    session.flush()
    record(session, actor=actor, entity="business_version", entity_id=version.id, action="saved",
           summary=_summary(number, entries)[:500], at=version.created_at,
           after={"number": number, "vision": vision, "note": note, "entries": entries})
    return version


# --- competitors ------------------------------------------------------------------------------------------------


def _name(value: Any) -> str:
    text = " ".join(_text(value, "name").split())
    if not text:
        raise Invalid("name", "is empty; give the competitor's business name")
    return _limited(text, "name", MAX_NAME)


def _scope(value: Any) -> str:
    if value not in COMPETITOR_SCOPES:
        raise Invalid("scope", f"{value!r} is not local or international")
    return value


def _website(value: Any) -> str | None:
    """A web address, with https:// added to a bare domain; None for nothing."""
    if value is None:
        return None
    text = _text(value, "website").strip()
    if not text:
        return None
    address = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(address)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        parts, host = None, ""
    if parts is None or parts.scheme not in ("http", "https") or "." not in host \
            or any(c.isspace() for c in address):
        raise Invalid("website", f"'{text}' is not a web address such as https://example.co.za")
    return _limited(address, "website", MAX_WEBSITE)


def _note(value: Any) -> str:
    return _limited(_text(value, "note").strip(), "note", MAX_TEXT)


def _unique_name(session: Session, name: str, competitor_id: int | None = None) -> None:
    query = select(Competitor).where(func.lower(Competitor.name) == name.lower())
    if competitor_id is not None:
        query = query.where(Competitor.id != competitor_id)
    existing = session.scalar(query)
    if existing is not None:
        raise Conflict(f"a competitor named '{existing.name}' is already watched (competitor {existing.id})")


def _competitor(session: Session, competitor_id: int) -> Competitor:
    return get_row(session, Competitor, competitor_id, "competitor")


def _watched(competitor: Competitor) -> dict[str, Any]:
    return {key: value for key, value in snapshot(competitor).items() if key in ("name", "scope", "website", "note")}


def add_competitor(session: Session, data: CompetitorIn, *, actor: Actor, at: datetime | None = None) -> Competitor:
    """Start watching a competitor; names are unique whatever their case."""
    name = _name(data.name)
    competitor = Competitor(name=name, scope=_scope(data.scope), website=_website(data.website), note=_note(data.note),
                            created_at=at or utcnow())
    _unique_name(session, name)
    with _unique(session, f"a competitor named '{name}' was added at the same moment"):
        session.add(competitor)
    record(session, actor=actor, entity="competitor", entity_id=competitor.id, action="created",
           summary=f"Watching {competitor.scope} competitor {name}"[:500], after=_watched(competitor),
           at=competitor.created_at)
    return competitor


def edit_competitor(session: Session, competitor_id: int, data: CompetitorEdit, *, actor: Actor) -> Competitor:
    """Change a competitor's name, scope, website or note; fields left out (None) stay as they are."""
    competitor = _competitor(session, competitor_id)
    wanted: dict[str, Any] = {}
    if data.name is not None:
        wanted["name"] = _name(data.name)
    if data.scope is not None:
        wanted["scope"] = _scope(data.scope)
    if data.website is not None:
        wanted["website"] = _website(data.website)
    if data.note is not None:
        wanted["note"] = _note(data.note)
    before = _watched(competitor)
    changes = {key: value for key, value in wanted.items() if before[key] != value}
    if not changes:
        return competitor
    if "name" in changes:
        _unique_name(session, changes["name"], competitor.id)
    with _unique(session, f"a competitor named '{changes.get('name', competitor.name)}' was added at the same moment"):
        for key, value in changes.items():
            setattr(competitor, key, value)
    record(session, actor=actor, entity="competitor", entity_id=competitor.id, action="edited",
           summary=f"Competitor {competitor.name}: changed {', '.join(changes)}"[:500],
           before={key: before[key] for key in changes}, after=changes)
    return competitor


def add_observation(session: Session, competitor_id: int, data: ObservationIn, *, actor: Actor,
                    at: datetime | None = None) -> CompetitorObservation:
    """Record what was seen a competitor doing on a day, which may not be after today in the workspace's zone."""
    competitor = _competitor(session, competitor_id)
    if data.observed_on is None:
        raise Invalid("observed_on", "is missing; say on which day it was seen, such as 2026-03-20")
    when = at or utcnow()
    today = workspace_today(session, when)
    if data.observed_on > today:
        raise Invalid("observed_on", f"{data.observed_on} is in the future; today is {today}")
    text = _text(data.text, "text").strip()
    if not text:
        raise Invalid("text", "is empty; say what was seen, e.g. 'Launched a R99 lunch box'")
    source = _text(data.source, "source").strip() if data.source is not None else ""
    observation = CompetitorObservation(
        competitor_id=competitor.id, observed_on=data.observed_on, text=_limited(text, "text", MAX_TEXT),
        source=_limited(source, "source", MAX_SOURCE) or None, created_at=when, recorded_by_user_id=actor.user_id,
    )
    session.add(observation)
    session.flush()
    record(session, actor=actor, entity="competitor_observation", entity_id=observation.id, action="recorded",
           summary=f"{competitor.name} on {data.observed_on}: {text}"[:500], at=when,
           after={"competitor_id": competitor.id, "observed_on": data.observed_on.isoformat(), "text": text,
                  "source": observation.source})
    return observation
