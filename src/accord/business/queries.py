"""Read models for the business review: versions, their history, the diff between two, and the competitors.

Two entries are the same entry when their normalised texts are equal: Unicode-normalised (NFKC), case-folded,
runs of white space made one space, and a closing full stop, comma, colon, semicolon or exclamation mark
dropped. So "Fast delivery." and "fast  delivery" are one entry; a new version that only changes such things
has not changed, and the diff shows the entry as kept.

An entry that is not kept is "changed" rather than removed and added when an entry of the other version stands
in the same place and reads alike. The same place means: after the same number of kept entries, and at the same
index among the entries that are not kept there (so an entry reworded in place pairs with its new wording even
when another entry was inserted above it). Reads alike means rapidfuzz's token_sort_ratio of the two normalised
texts is at least CHANGED_AT (70 of 100): "Fast delivery in Soweto" → "Fast delivery in Soweto and Alexandra"
scores 77 and is a change; "More wedding clients" → "More corporate clients" scores 62 and is one entry
removed and another added.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from accord.accounts.models import User
from accord.business.models import ENTRY_KINDS, BusinessEntry, BusinessVersion, Competitor, CompetitorObservation
from accord.errors import NotFound
from accord.kernel.db import get_row

CHANGED_AT = 70
LATEST_OBSERVATIONS = 3
_CLOSING_MARKS = ".,;:! "


def normalised(text: str) -> str:
    """The text two entries are compared by (see the module's description)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split()).rstrip(_CLOSING_MARKS)


@dataclass(frozen=True)
class VersionView:
    """One saved version: the vision and every kind's entries in order (a kind without entries is empty)."""

    number: int
    vision: str
    note: str
    created_at: datetime
    created_by: str | None
    entries: dict[str, list[str]]

    @property
    def counts(self) -> dict[str, int]:
        """How many entries of each kind."""
        return {kind: len(texts) for kind, texts in self.entries.items()}


@dataclass(frozen=True)
class VersionSummary:
    """A version in the history list."""

    number: int
    created_at: datetime
    created_by: str | None
    note: str
    vision: str
    counts: dict[str, int]


def _latest_number(session: Session) -> int | None:
    return session.scalar(select(func.max(BusinessVersion.number)))


def _missing(session: Session, number: int) -> NotFound:
    latest = _latest_number(session)
    where = f"the latest is version {latest}" if latest else "none has been saved yet"
    return NotFound(f"no business review version {number}; {where}")


def _view(session: Session, version: BusinessVersion) -> VersionView:
    entries: dict[str, list[str]] = {kind: [] for kind in ENTRY_KINDS}
    rows = session.execute(
        select(BusinessEntry.kind, BusinessEntry.text).where(BusinessEntry.version_id == version.id)
        .order_by(BusinessEntry.position, BusinessEntry.id)
    )
    for kind, text in rows:
        entries[kind].append(text)
    author = session.get(User, version.created_by_user_id) if version.created_by_user_id is not None else None
    return VersionView(version.number, version.vision, version.note, version.created_at,
                       author.name if author else None, entries)


def latest_version(session: Session) -> VersionView | None:
    """The newest version, or None before the first is saved."""
    found = session.scalar(select(BusinessVersion).order_by(BusinessVersion.number.desc()).limit(1))
    return _view(session, found) if found is not None else None


def version_by_number(session: Session, number: int) -> VersionView:
    """Version `number`, or NotFound naming it and the latest there is."""
    found = session.scalar(select(BusinessVersion).where(BusinessVersion.number == number))
    if found is None:
        raise _missing(session, number)
    return _view(session, found)


def list_versions(session: Session) -> list[VersionSummary]:
    """Every version, newest first, with its entry counts per kind."""
    counts: dict[int, dict[str, int]] = {}
    for version_id, kind, count in session.execute(
        select(BusinessEntry.version_id, BusinessEntry.kind, func.count()).group_by(BusinessEntry.version_id,
                                                                                    BusinessEntry.kind)
    ):
        counts.setdefault(version_id, {})[kind] = count
    rows = session.execute(
        select(BusinessVersion, User.name).outerjoin(User, User.id == BusinessVersion.created_by_user_id)
        .order_by(BusinessVersion.number.desc())
    )
    return [VersionSummary(v.number, v.created_at, author, v.note, v.vision,
                           {kind: counts.get(v.id, {}).get(kind, 0) for kind in ENTRY_KINDS})
            for v, author in rows]


# --- the diff ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """An entry reworded in place, and how alike the two wordings are (0–100)."""

    before: str
    after: str
    similarity: int


@dataclass(frozen=True)
class KindDiff:
    """How one kind of entry changed: added, removed and changed entries, those kept, and whether kept ones moved."""

    kind: str
    added: list[str]
    removed: list[str]
    changed: list[Change]
    kept: list[str]
    reordered: bool

    @property
    def unchanged(self) -> bool:
        """True when this kind reads the same in both versions."""
        return not (self.added or self.removed or self.changed or self.reordered)


@dataclass(frozen=True)
class VisionDiff:
    """The vision before and after."""

    before: str
    after: str

    @property
    def changed(self) -> bool:
        """True when the two read differently once normalised."""
        return normalised(self.before) != normalised(self.after)


@dataclass(frozen=True)
class Comparison:
    """The vision and every kind of entry compared between two states of the review."""

    vision: VisionDiff
    kinds: list[KindDiff]

    @property
    def unchanged(self) -> bool:
        """True when nothing differs."""
        return not self.vision.changed and all(kind.unchanged for kind in self.kinds)


@dataclass(frozen=True)
class VersionDiff(Comparison):
    """How the review evolved from version from_number to version to_number."""

    from_number: int
    to_number: int


def _slots(count: int, kept: set[int]) -> list[tuple[int, tuple[int, int]]]:
    """Each entry that is not kept, with its place: (kept entries before it, its index among the others there)."""
    slots, kept_before, in_gap = [], 0, 0
    for index in range(count):
        if index in kept:
            kept_before, in_gap = kept_before + 1, 0
            continue
        slots.append((index, (kept_before, in_gap)))
        in_gap += 1
    return slots


def _kind_diff(kind: str, before: Sequence[str], after: Sequence[str]) -> KindDiff:
    before_keys = [normalised(text) for text in before]
    after_keys = [normalised(text) for text in after]
    where_after = {key: index for index, key in enumerate(after_keys)}
    kept_pairs = [(i, where_after[key]) for i, key in enumerate(before_keys) if key in where_after]
    kept_after = sorted(j for _, j in kept_pairs)
    kept = set(kept_after)
    removed_at = {slot: i for i, slot in _slots(len(before), {i for i, _ in kept_pairs})}
    changed, paired_before, paired_after = [], set(), set()
    for j, slot in _slots(len(after), kept):
        i = removed_at.get(slot)
        if i is None:
            continue
        score = round(fuzz.token_sort_ratio(before_keys[i], after_keys[j]))
        if score >= CHANGED_AT:
            changed.append(Change(before[i], after[j], score))
            paired_before.add(i)
            paired_after.add(j)
    return KindDiff(
        kind=kind,
        added=[after[j] for j in range(len(after)) if j not in paired_after and j not in kept],
        removed=[before[i] for i in sorted(removed_at.values()) if i not in paired_before],
        changed=changed,
        kept=[after[j] for j in kept_after],
        reordered=[j for _, j in kept_pairs] != kept_after,
    )


def compare(before_vision: str, before: Mapping[str, Sequence[str]], after_vision: str,
            after: Mapping[str, Sequence[str]]) -> Comparison:
    """The vision and each kind's entries compared, kinds in their fixed order."""
    return Comparison(VisionDiff(before_vision, after_vision),
                      [_kind_diff(kind, before.get(kind, []), after.get(kind, [])) for kind in ENTRY_KINDS])


def diff(session: Session, from_number: int, to_number: int) -> VersionDiff:
    """How the review evolved from one version to another (either may be the older); NotFound names a missing one."""
    older, newer = version_by_number(session, from_number), version_by_number(session, to_number)
    found = compare(older.vision, older.entries, newer.vision, newer.entries)
    return VersionDiff(found.vision, found.kinds, from_number, to_number)


# --- competitors ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationView:
    """What was seen a competitor doing, on a day, and who wrote it down."""

    id: int
    competitor_id: int
    observed_on: date
    text: str
    source: str | None
    created_at: datetime
    recorded_by: str | None


@dataclass(frozen=True)
class CompetitorView:
    """A competitor with its newest observations (newest first) and how many there are in all."""

    id: int
    name: str
    scope: str
    website: str | None
    note: str
    created_at: datetime
    observations: list[ObservationView]
    observation_count: int


def _observations(session: Session, competitor_ids: list[int], latest: int | None) -> dict[int, list[ObservationView]]:
    ranked = select(
        CompetitorObservation,
        func.row_number().over(partition_by=CompetitorObservation.competitor_id,
                               order_by=(CompetitorObservation.observed_on.desc(),
                                         CompetitorObservation.id.desc())).label("rank"),
    ).where(CompetitorObservation.competitor_id.in_(competitor_ids)).subquery()
    seen = aliased(CompetitorObservation, ranked)
    query = (select(seen, User.name).outerjoin(User, User.id == seen.recorded_by_user_id)
             .order_by(seen.competitor_id, ranked.c.rank))
    if latest is not None:
        query = query.where(ranked.c.rank <= latest)
    found: dict[int, list[ObservationView]] = {}
    for row, author in session.execute(query):
        found.setdefault(row.competitor_id, []).append(ObservationView(
            row.id, row.competitor_id, row.observed_on, row.text, row.source, row.created_at, author))
    return found


def _views(session: Session, competitors: list[Competitor], latest: int | None) -> list[CompetitorView]:
    ids = [c.id for c in competitors]
    if not ids:
        return []
    counts = dict(session.execute(
        select(CompetitorObservation.competitor_id, func.count()).where(CompetitorObservation.competitor_id.in_(ids))
        .group_by(CompetitorObservation.competitor_id)
    ).all())
    observations = _observations(session, ids, latest)
    return [CompetitorView(c.id, c.name, c.scope, c.website, c.note, c.created_at, observations.get(c.id, []),
                           int(counts.get(c.id, 0))) for c in competitors]


def list_competitors(session: Session, *, latest: int | None = LATEST_OBSERVATIONS) -> list[CompetitorView]:
    """Every competitor, local ones first, then by name, each with its `latest` newest observations (None: all)."""
    order = [Competitor.scope != "local", func.lower(Competitor.name), Competitor.id]
    return _views(session, list(session.scalars(select(Competitor).order_by(*order))), latest)


def competitor_view(session: Session, competitor_id: int, *, latest: int | None = None) -> CompetitorView:
    """One competitor with its observations (all of them unless `latest` is given), or NotFound."""
    found = get_row(session, Competitor, competitor_id, "competitor")
    return _views(session, [found], latest)[0]
