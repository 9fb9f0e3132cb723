"""The business review's versions, their diff, and competitors with observations, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.business import queries, service
from accord.business.models import BusinessEntry, BusinessVersion, Competitor, CompetitorObservation
from accord.business.queries import Change, KindDiff, VersionDiff, VersionSummary, VersionView, VisionDiff
from accord.business.schemas import CompetitorEdit, CompetitorIn, ObservationIn, VersionIn
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from accord.kernel.workspace import ensure_workspace
from business_support import FIRST, SECOND

UTC = timezone.utc
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
T3 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
NO_ENTRIES = {"need": [], "opportunity": [], "improvement": [], "strength": [], "exception": []}

@pytest.fixture
def owner(session) -> User:
    ensure_workspace(session, name="Kasi Kitchen")
    row = User(email="thandi@kitchen.example", name="Thandi", role="owner", password_hash="-", created_at=T1)
    session.add(row)
    session.flush()
    return row


def saved(session, owner, *versions: VersionIn) -> list[BusinessVersion]:
    return [service.save_version(session, data, actor=Actor.user(owner), at=at)
            for data, at in zip(versions, (T1, T2, T3), strict=False)]


def audit(session, entity: str) -> list[tuple]:
    rows = session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.summary, AuditEvent.before,
                                  AuditEvent.after).where(AuditEvent.entity == entity).order_by(AuditEvent.id))
    return [tuple(row) for row in rows]


def rows_of(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- versions ---------------------------------------------------------------------------------------------------


def test_versions_are_numbered_in_order_and_read_back_whole(session, owner):
    first, second = saved(session, owner, FIRST, SECOND)

    assert (first.number, second.number) == (1, 2)
    assert queries.version_by_number(session, 1) == VersionView(
        number=1, vision="Home-style catering for Soweto families.", note="the first review", created_at=T1,
        created_by="Thandi", entries=FIRST.entries)
    assert queries.latest_version(session) == VersionView(
        number=2, vision="Home-style catering for Soweto and Johannesburg families.", note="after the March review",
        created_at=T2, created_by="Thandi", entries=SECOND.entries)
    assert queries.list_versions(session) == [
        VersionSummary(2, T2, "Thandi", "after the March review",
                       "Home-style catering for Soweto and Johannesburg families.",
                       {"need": 4, "opportunity": 2, "improvement": 1, "strength": 3, "exception": 2}),
        VersionSummary(1, T1, "Thandi", "the first review", "Home-style catering for Soweto families.",
                       {"need": 3, "opportunity": 1, "improvement": 1, "strength": 3, "exception": 2}),
    ]


def test_saving_tidies_text_and_keeps_the_order_given(session, owner):
    saved(session, owner, VersionIn(vision="  We cook.\r\nYou celebrate.  ", note="  first   try ",
                                    entries={"strength": ["  Warm\n  food  ", "Big   portions"]}))

    assert queries.latest_version(session) == VersionView(
        number=1, vision="We cook.\nYou celebrate.", note="first try", created_at=T1, created_by="Thandi",
        entries={**NO_ENTRIES, "strength": ["Warm food", "Big portions"]})


def test_a_saved_version_never_changes_and_nothing_is_copied_into_the_next(session, owner):
    saved(session, owner, FIRST, VersionIn(vision="Only a vision now."))

    assert queries.version_by_number(session, 1).entries == FIRST.entries
    assert queries.version_by_number(session, 2).entries == NO_ENTRIES
    assert rows_of(session, BusinessEntry) == 10


def test_every_save_leaves_an_audit_row(session, owner):
    saved(session, owner, FIRST, SECOND)

    assert audit(session, "business_version") == [
        ("user:thandi@kitchen.example", "saved",
         "Business review version 1 saved: 3 needs, 1 opportunity, 1 improvement, 3 strengths, 2 exceptions", None,
         {"number": 1, "vision": FIRST.vision, "note": "the first review", "entries": FIRST.entries}),
        ("user:thandi@kitchen.example", "saved",
         "Business review version 2 saved: 4 needs, 2 opportunities, 1 improvement, 3 strengths, 2 exceptions", None,
         {"number": 2, "vision": SECOND.vision, "note": "after the March review", "entries": SECOND.entries}),
    ]


@pytest.mark.parametrize(("data", "field", "message"), [
    (VersionIn(entries={"need": ["Orders"], "wish": ["A food truck"]}), "entries.wish",
     "entries.wish: 'wish' is not a kind of entry; the kinds are need, opportunity, improvement, strength, exception"),
    (VersionIn(entries={"need": ["Orders on WhatsApp", "   "]}), "entries.need[1]",
     "entries.need[1]: is empty; write the need in a few words, or leave it out"),
    (VersionIn(entries={"exception": ["."]}), "entries.exception[0]",
     "entries.exception[0]: is empty; write the exception in a few words, or leave it out"),
    (VersionIn(entries={"strength": ["x" * 301]}), "entries.strength[0]",
     "entries.strength[0]: 301 characters; the limit is 300"),
    (VersionIn(entries={"need": ["Halaal options", "Vegan menu", "halaal  options."]}), "entries.need[2]",
     "entries.need[2]: 'halaal options.' is already entry 1 of the needs"),
    (VersionIn(entries={"opportunity": [f"Market {n}" for n in range(41)]}), "entries.opportunity",
     "entries.opportunity: 41 entries; the limit is 40 of one kind"),
    (VersionIn(vision="v" * 2001), "vision", "vision: 2,001 characters; the limit is 2,000"),
    (VersionIn(vision="Grow", note="n" * 301), "note", "note: 301 characters; the limit is 300"),
    (VersionIn(vision="  ", entries={"need": []}), "vision",
     "vision: the review is empty: write the vision, or at least one need, opportunity, improvement, strength or "
     "exception"),
    (VersionIn(vision="Grow", based_on=1), "based_on", "based_on: there is no version 1; none has been saved yet"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(session, owner, data, field, message):
    with pytest.raises(Invalid) as refused:
        service.save_version(session, data, actor=Actor.user(owner))

    assert (refused.value.field, refused.value.message) == (field, message)
    assert (rows_of(session, BusinessVersion), rows_of(session, BusinessEntry), rows_of(session, AuditEvent)) == (
        0, 0, 0)


def test_a_version_that_reads_the_same_as_the_latest_is_refused(session, owner):
    saved(session, owner, FIRST)
    same = VersionIn(vision="home-style  catering for soweto families", note="a different note",
                     entries={kind: [text.upper() + "." for text in texts] for kind, texts in FIRST.entries.items()})

    with pytest.raises(Conflict) as refused:
        service.save_version(session, same, actor=Actor.user(owner))

    assert refused.value.message == (
        "nothing changed since version 1: the vision and every entry read the same (differences of case, spacing or "
        "a closing full stop do not count)")
    assert rows_of(session, BusinessVersion) == 1


def test_only_a_new_order_is_a_change(session, owner):
    saved(session, owner, FIRST)
    reordered = VersionIn(vision=FIRST.vision, entries={**FIRST.entries, "exception": ["Closed on Sundays",
                                                                                      "No alcohol served"]})

    assert service.save_version(session, reordered, actor=Actor.user(owner)).number == 2


def test_changes_made_from_an_older_version_are_refused(session, owner):
    saved(session, owner, FIRST, SECOND)
    stale = VersionIn(vision="Edited from version 1", based_on=1)

    with pytest.raises(Conflict) as refused:
        service.save_version(session, stale, actor=Actor.user(owner))
    with pytest.raises(Invalid) as ahead:
        service.save_version(session, VersionIn(vision="x", based_on=5), actor=Actor.user(owner))

    assert refused.value.message == ("version 2 was saved after version 1, which these changes started from; open "
                                     "version 2, make the changes there and save again")
    assert ahead.value.message == "based_on: there is no version 5; the latest is version 2"
    current = VersionIn(vision="Edited from version 2", based_on=2)
    assert service.save_version(session, current, actor=Actor.user(owner)).number == 3


def test_missing_versions_are_named(session, owner):
    assert queries.latest_version(session) is None
    with pytest.raises(NotFound) as before_any:
        queries.version_by_number(session, 1)
    saved(session, owner, FIRST, SECOND)
    with pytest.raises(NotFound) as missing:
        queries.version_by_number(session, 7)
    with pytest.raises(NotFound) as in_diff:
        queries.diff(session, 2, 9)

    assert before_any.value.message == "no business review version 1; none has been saved yet"
    assert missing.value.message == "no business review version 7; the latest is version 2"
    assert in_diff.value.message == "no business review version 9; the latest is version 2"


# --- the diff ---------------------------------------------------------------------------------------------------


def test_the_diff_shows_added_removed_changed_and_kept_per_kind(session, owner):
    saved(session, owner, FIRST, SECOND)

    assert queries.diff(session, 1, 2) == VersionDiff(
        vision=VisionDiff("Home-style catering for Soweto families.",
                          "Home-style catering for Soweto and Johannesburg families."),
        kinds=[
            KindDiff("need", added=["Vegetarian menu"], removed=[],
                     changed=[Change("Delivery before 12:00", "Delivery before 11:00", 95)],
                     kept=["orders on whatsapp.", "Halaal options"], reordered=False),
            KindDiff("opportunity", added=["Wedding catering"], removed=[], changed=[],
                     kept=["Corporate year-end functions"], reordered=False),
            KindDiff("improvement", added=["Answer messages within an hour"], removed=["Faster invoices"],
                     changed=[], kept=[], reordered=False),
            KindDiff("strength", added=[], removed=[],
                     changed=[Change("Fast delivery in Soweto", "Fast delivery in Soweto and Alexandra", 77)],
                     kept=["Grandmother's recipes", "Friendly staff"], reordered=False),
            KindDiff("exception", added=[], removed=[], changed=[],
                     kept=["Closed on Sundays", "No alcohol served"], reordered=True),
        ],
        from_number=1, to_number=2,
    )
    assert queries.diff(session, 1, 2).vision.changed is True
    assert queries.diff(session, 1, 2).unchanged is False


def test_the_diff_backwards_swaps_added_and_removed(session, owner):
    saved(session, owner, FIRST, SECOND)

    backwards = queries.diff(session, 2, 1)

    assert [(k.kind, k.added, k.removed, [(c.before, c.after) for c in k.changed], k.reordered)
            for k in backwards.kinds] == [
        ("need", [], ["Vegetarian menu"], [("Delivery before 11:00", "Delivery before 12:00")], False),
        ("opportunity", [], ["Wedding catering"], [], False),
        ("improvement", ["Faster invoices"], ["Answer messages within an hour"], [], False),
        ("strength", [], [], [("Fast delivery in Soweto and Alexandra", "Fast delivery in Soweto")], False),
        ("exception", [], [], [], True),
    ]


def test_a_version_compared_with_itself_is_unchanged(session, owner):
    saved(session, owner, FIRST)

    same = queries.diff(session, 1, 1)

    assert same == VersionDiff(
        vision=VisionDiff(FIRST.vision, FIRST.vision),
        kinds=[KindDiff(kind, [], [], [], texts, False) for kind, texts in FIRST.entries.items()],
        from_number=1, to_number=1,
    )
    assert same.unchanged is True


def test_a_reworded_entry_pairs_with_its_new_wording_only_when_alike():
    found = queries.compare("", {"opportunity": ["More wedding clients", "Catering for schools"]},
                            "", {"opportunity": ["More corporate clients", "Catering for schools and creches"]})

    assert found.kinds[1] == KindDiff(
        "opportunity", added=["More corporate clients"], removed=["More wedding clients"],
        changed=[Change("Catering for schools", "Catering for schools and creches", 77)], kept=[], reordered=False)


# --- competitors ------------------------------------------------------------------------------------------------


def test_a_competitor_is_added_tidied_and_audited(session, owner):
    added = service.add_competitor(session, CompetitorIn(name="  Mama's   Kitchen ", scope="local",
                                                         website="mamaskitchen.co.za", note=" Cheaper lunch boxes "),
                                   actor=Actor.user(owner), at=T1)

    assert (added.name, added.scope, added.website, added.note, added.created_at) == (
        "Mama's Kitchen", "local", "https://mamaskitchen.co.za", "Cheaper lunch boxes", T1)
    assert audit(session, "competitor") == [
        ("user:thandi@kitchen.example", "created", "Watching local competitor Mama's Kitchen", None,
         {"name": "Mama's Kitchen", "scope": "local", "website": "https://mamaskitchen.co.za",
          "note": "Cheaper lunch boxes"}),
    ]


@pytest.mark.parametrize(("data", "message"), [
    (CompetitorIn(name="Chef Abroad", scope="regional"), "scope: 'regional' is not local or international"),
    (CompetitorIn(name="   ", scope="local"), "name: is empty; give the competitor's business name"),
    (CompetitorIn(name="N" * 201, scope="local"), "name: 201 characters; the limit is 200"),
    (CompetitorIn(name="Chef", scope="local", website="not a site"),
     "website: 'not a site' is not a web address such as https://example.co.za"),
    (CompetitorIn(name="Chef", scope="local", website="ftp://files.example.com"),
     "website: 'ftp://files.example.com' is not a web address such as https://example.co.za"),
    (CompetitorIn(name="Chef", scope="local", website="http://[::1"),
     "website: 'http://[::1' is not a web address such as https://example.co.za"),
])
def test_bad_competitors_are_refused_naming_the_field(session, owner, data, message):
    with pytest.raises(Invalid) as refused:
        service.add_competitor(session, data, actor=Actor.user(owner))

    assert refused.value.message == message
    assert (rows_of(session, Competitor), rows_of(session, AuditEvent)) == (0, 0)


def test_a_name_is_taken_whatever_its_case(session, owner):
    first = service.add_competitor(session, CompetitorIn(name="Mama's Kitchen", scope="local"), actor=Actor.user(owner))
    other = service.add_competitor(session, CompetitorIn(name="Nando's", scope="international"),
                                   actor=Actor.user(owner))

    with pytest.raises(Conflict) as again:
        service.add_competitor(session, CompetitorIn(name="MAMA'S  KITCHEN", scope="international"),
                               actor=Actor.user(owner))
    with pytest.raises(Conflict) as renamed:
        service.edit_competitor(session, other.id, CompetitorEdit(name="mama's kitchen"), actor=Actor.user(owner))

    expected = f"a competitor named 'Mama's Kitchen' is already watched (competitor {first.id})"
    assert (again.value.message, renamed.value.message) == (expected, expected)
    assert session.get(Competitor, other.id).name == "Nando's"


def test_editing_changes_only_what_is_given_and_audits_before_and_after(session, owner):
    added = service.add_competitor(session, CompetitorIn(name="Nandos", scope="local", website="nandos.co.za"),
                                   actor=Actor.user(owner))

    service.edit_competitor(session, added.id, CompetitorEdit(name="Nandos", scope="local"), actor=Actor.user(owner))
    edited = service.edit_competitor(session, added.id, CompetitorEdit(name="Nando's", scope="international",
                                                                       website=""), actor=Actor.user(owner))

    assert (edited.name, edited.scope, edited.website, edited.note) == ("Nando's", "international", None, "")
    assert audit(session, "competitor")[1:] == [
        ("user:thandi@kitchen.example", "edited", "Competitor Nando's: changed name, scope, website",
         {"name": "Nandos", "scope": "local", "website": "https://nandos.co.za"},
         {"name": "Nando's", "scope": "international", "website": None}),
    ]
    with pytest.raises(NotFound) as missing:
        service.edit_competitor(session, 999_999, CompetitorEdit(note="x"), actor=Actor.user(owner))
    assert missing.value.message == "no competitor 999999"


def test_observations_are_dated_no_later_than_the_workspace_today(session, owner):
    rival = service.add_competitor(session, CompetitorIn(name="Mama's Kitchen", scope="local"),
                                   actor=Actor.user(owner))
    # 22:30 UTC on 20 March is already 21 March in Johannesburg.
    late_evening = datetime(2026, 3, 20, 22, 30, tzinfo=UTC)

    seen = service.add_observation(session, rival.id, ObservationIn(observed_on=date(2026, 3, 21),
                                                                    text=" R99 lunch boxes ", source=" Instagram "),
                                   actor=Actor.user(owner), at=late_evening)
    refusals = []
    for data, competitor_id in [
        (ObservationIn(observed_on=date(2026, 3, 22), text="Tomorrow's special"), rival.id),
        (ObservationIn(text="No date"), rival.id),
        (ObservationIn(observed_on=date(2026, 3, 1), text="  "), rival.id),
        (ObservationIn(observed_on=date(2026, 3, 1), text="t" * 2001), rival.id),
    ]:
        with pytest.raises(Invalid) as refused:
            service.add_observation(session, competitor_id, data, actor=Actor.user(owner), at=late_evening)
        refusals.append(refused.value.message)
    with pytest.raises(NotFound) as missing:
        service.add_observation(session, 999_999, ObservationIn(observed_on=date(2026, 3, 1), text="x"),
                                actor=Actor.user(owner))

    assert (seen.observed_on, seen.text, seen.source, seen.created_at, seen.recorded_by_user_id) == (
        date(2026, 3, 21), "R99 lunch boxes", "Instagram", late_evening, owner.id)
    assert refusals == [
        "observed_on: 2026-03-22 is in the future; today is 2026-03-21",
        "observed_on: is missing; say on which day it was seen, such as 2026-03-20",
        "text: is empty; say what was seen, e.g. 'Launched a R99 lunch box'",
        "text: 2,001 characters; the limit is 2,000",
    ]
    assert missing.value.message == "no competitor 999999"
    assert rows_of(session, CompetitorObservation) == 1
    assert audit(session, "competitor_observation") == [
        ("user:thandi@kitchen.example", "recorded", "Mama's Kitchen on 2026-03-21: R99 lunch boxes", None,
         {"competitor_id": rival.id, "observed_on": "2026-03-21", "text": "R99 lunch boxes", "source": "Instagram"}),
    ]


def test_competitors_list_local_first_with_their_newest_observations(session, owner):
    actor = Actor.user(owner)
    zulu = service.add_competitor(session, CompetitorIn(name="Zulu Grill", scope="local"), actor=actor)
    abroad = service.add_competitor(session, CompetitorIn(name="Aunty's Diner", scope="international",
                                                          website="https://auntys.example.com"), actor=actor)
    mama = service.add_competitor(session, CompetitorIn(name="mama's kitchen", scope="local"), actor=actor)
    for day, text in [(3, "Opened a second shop"), (1, "New menu"), (9, "Free delivery weekend"),
                      (5, "Price up 10%"), (9, "Hiring cooks")]:
        service.add_observation(session, mama.id, ObservationIn(observed_on=date(2026, 3, day), text=text),
                                actor=actor, at=T2)

    found = queries.list_competitors(session)

    assert [(c.id, c.name, c.scope, c.website, c.observation_count) for c in found] == [
        (mama.id, "mama's kitchen", "local", None, 5),
        (zulu.id, "Zulu Grill", "local", None, 0),
        (abroad.id, "Aunty's Diner", "international", "https://auntys.example.com", 0),
    ]
    assert [(o.observed_on, o.text, o.recorded_by) for o in found[0].observations] == [
        (date(2026, 3, 9), "Hiring cooks", "Thandi"),
        (date(2026, 3, 9), "Free delivery weekend", "Thandi"),
        (date(2026, 3, 5), "Price up 10%", "Thandi"),
    ]
    assert [o.text for o in queries.competitor_view(session, mama.id).observations] == [
        "Hiring cooks", "Free delivery weekend", "Price up 10%", "Opened a second shop", "New menu"]


def test_two_people_saving_at_the_same_moment_get_one_version_and_a_conflict(engine, backend):
    if backend != "postgresql":
        pytest.skip("SQLite lets one writer in at a time, so two saves never read the same latest version")
    first, second = Session(engine), Session(engine)
    refused: list[str] = []

    def save_second() -> None:
        try:
            service.save_version(second, SECOND, actor=Actor("test"))
        except Conflict as exc:
            refused.append(exc.message)

    try:
        service.save_version(first, FIRST, actor=Actor("test"))  # number 1, not committed yet
        racer = threading.Thread(target=save_second)
        racer.start()
        with engine.connect() as watcher:  # commit only once the second save waits on the same number
            for _ in range(200):
                if watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()")):
                    break
                time.sleep(0.05)
        first.commit()
        racer.join(timeout=30)
        second.rollback()
        with Session(engine) as reader:
            numbers = reader.scalars(select(BusinessVersion.number)).all()
    finally:
        first.close()
        second.close()
        with engine.begin() as cleanup:
            cleanup.execute(delete(AuditEvent).where(AuditEvent.entity == "business_version"))
            cleanup.execute(delete(BusinessVersion))

    assert refused == ["someone else saved version 1 at the same moment; open it and save again"]
    assert numbers == [1]
