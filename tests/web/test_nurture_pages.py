"""Follow-ups and referrals through the running app, its API and the `accord tasks` command."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.cli.nurture import tasks_command
from accord.contacts.models import Contact
from accord.errors import Invalid
from accord.kernel.audit import SYSTEM, Actor
from accord.nurture import service
from accord.nurture.models import Referral, Task
from factories import contact, order
from web.conftest import PASSWORD, ROLE_EMAILS, LiveApp

SAST = ZoneInfo("Africa/Johannesburg")  # the test workspace's zone
UTC = timezone.utc
ACTOR = Actor("test")


@pytest.fixture(scope="module")
def site(live) -> LiveApp:
    """The running app (its nurture pages and API are registered like every other area's)."""
    return live


def user_id(site: LiveApp, role: str) -> int:
    with site.store.transaction() as session:
        return accounts.user_by_email(session, ROLE_EMAILS[role]).id


def new_salesperson(site: LiveApp, name: str) -> int:
    """A user of their own, so each test reads a due list no other test writes to."""
    with site.store.transaction() as session:
        made = accounts.create_user(session, UserIn(email=f"{name.lower()}@test.example", name=name, role="sales",
                                                    password=PASSWORD), actor=SYSTEM)
        return made.id


def plan(site: LiveApp, assignee: int, *tasks: tuple[str, datetime], who: str = "Naledi") -> list[int]:
    with site.store.transaction() as session:
        person = contact(session, name=who)
        return [service.create_task(session, person.id, title, due_at=due, assigned_user_id=assignee,
                                    actor=ACTOR).id for title, due in tasks]


def csrf_of(page) -> str:
    return re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)


def section_rows(page: str, section: str) -> list[int]:
    body = re.search(rf'<section id="{section}">(.*?)</section>', page, re.S).group(1)
    return [int(n) for n in re.findall(r'<tr id="task-(\d+)"', body)]


def today_end(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(SAST).date() + timedelta(days=1), time(0), SAST)


def api_token(site: LiveApp, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.api_token(role)}"}


def test_the_due_list_shows_overdue_in_red_then_today_and_a_viewer_gets_no_buttons(site):
    zola = new_salesperson(site, "Zola")
    now = datetime.now(UTC)
    overdue, today, later = plan(site, zola, ("Care call", now - timedelta(days=3)),
                                 ("Check-in", now + (today_end(now) - now) / 2),
                                 ("Anniversary", now + timedelta(days=60)))
    with site.login("viewer") as viewer:
        page = viewer.get(f"/tasks?user={zola}")
        fragment = viewer.get(f"/tasks?user={zola}", headers={"HX-Request": "true"})

    assert page.status_code == 200
    assert "Zola’s follow-ups" in page.text
    assert (section_rows(page.text, "overdue"), section_rows(page.text, "today"), section_rows(page.text, "week")) == (
        [overdue], [today], [])
    assert '<h2 class="over">Overdue' in page.text and f'<tr id="task-{overdue}" class="overdue">' in page.text
    assert "3 days late" in page.text
    assert re.search(r'id="count-overdue">1<', page.text) and re.search(r'id="count-today">1<', page.text)
    assert "1 more after Sunday" in page.text and str(later) not in re.findall(r'task-(\d+)', page.text)
    assert "hx-post" not in page.text
    assert "<html" not in fragment.text and section_rows(fragment.text, "overdue") == [overdue]


def test_done_is_one_click_and_a_second_click_is_refused_viewers_cannot_complete(site):
    thabo = new_salesperson(site, "Thabo")
    [task] = plan(site, thabo, ("Drop off the menu", datetime.now(UTC) + timedelta(days=40)))
    with site.login("viewer") as viewer:
        refused = viewer.post(f"/tasks/{task}/done", headers={"X-CSRF-Token": csrf_of(viewer.get("/tasks")),
                                                               "HX-Request": "true"})
    with site.login("sales") as sales:
        headers = {"X-CSRF-Token": csrf_of(sales.get("/tasks")), "HX-Request": "true"}
        done = sales.post(f"/tasks/{task}/done", headers=headers)
        again = sales.post(f"/tasks/{task}/done", headers=headers)

    assert refused.status_code == 403 and "your role (viewer) cannot do this; ask an owner" in refused.text
    assert done.status_code == 200
    assert done.text.strip() == f'<tr id="task-{task}" class="done"><td colspan="4">Done on time: Drop off the menu.</td></tr>'
    assert again.status_code == 409
    assert f"task {task} (&#39;Drop off the menu&#39;) was already done on " in again.text
    assert "<html" not in again.text  # a fragment for the notice area, not a page
    with site.store.transaction() as session:
        assert session.get(Task, task).done_at is not None


def test_reschedule_moves_to_the_chosen_day_at_the_same_local_time_and_without_htmx_redirects(site):
    lindi = new_salesperson(site, "Lindi")
    due = datetime(2026, 6, 10, 15, 30, tzinfo=SAST)
    moved, finished = plan(site, lindi, ("Tasting follow-up", due), ("Invoice", due))
    with site.login("sales") as sales:
        token = csrf_of(sales.get("/tasks"))
        answer = sales.post(f"/tasks/{moved}/reschedule", data={"on": "2026-06-15", "csrf_token": token},
                            headers={"HX-Request": "true"})
        plain = sales.post(f"/tasks/{finished}/done", data={"csrf_token": token})
        bad = sales.post(f"/tasks/{moved}/reschedule", data={"on": "someday", "csrf_token": token})

    assert answer.status_code == 200
    assert "Moved to Mon 15 Jun 15:30: Tasting follow-up." in answer.text
    assert (plain.status_code, plain.headers["location"]) == (303, "/tasks")
    assert bad.status_code == 422 and "on: Input should be a valid date" in bad.text
    with site.store.transaction() as session:
        assert session.get(Task, moved).due_at == datetime(2026, 6, 15, 13, 30, tzinfo=UTC)


def test_the_team_view_is_for_owners_and_counts_each_persons_tasks(site):
    nomsa = new_salesperson(site, "Nomsa")
    now = datetime.now(UTC)
    plan(site, nomsa, ("Call", now - timedelta(days=2)), ("Call", now - timedelta(days=1)),
         ("Visit", now + timedelta(days=50)))
    with site.login("sales") as sales:
        refused = sales.get("/tasks/team")
    with site.login("owner") as owner:
        page = owner.get("/tasks/team")
        mine = owner.get("/tasks")

    assert refused.status_code == 403
    row = re.search(rf'<tr id="member-{nomsa}">(.*?)</tr>', page.text, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["Nomsa", "sales", "2", "0", "0", "0% (0 of 2)"]
    assert 'class="num late">2<' in row
    assert f'<a href="/tasks?user={nomsa}">Nomsa</a>' in mine.text and '<a href="/tasks/team">' in mine.text


def test_a_follow_up_is_planned_from_a_form_on_a_local_day_and_time(site):
    sales_id = user_id(site, "sales")
    with site.store.transaction() as session:
        ayanda = contact(session, name="Ayanda").id
    with site.login("sales") as sales:
        token = csrf_of(sales.get("/tasks"))
        form = {"csrf_token": token, "contact_id": str(ayanda), "title": "Call about the December order",
                "due_on": "2026-11-30", "due_time": "10:15", "notes": "Ask about halaal options",
                "next": f"/contacts/{ayanda}#tasks"}
        planned = sales.post("/tasks", data=form)
        elsewhere = sales.post("/tasks", data=form | {"next": "//evil.example/x", "title": "Second"})
        empty = sales.post("/tasks", data=form | {"title": "  "})

    assert (planned.status_code, planned.headers["location"]) == (303, f"/contacts/{ayanda}#tasks")
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (303, f"/contacts/{ayanda}")
    assert empty.status_code == 422 and "title: &#39;  &#39; is empty" in empty.text
    with site.store.transaction() as session:
        rows = session.execute(select(Task.title, Task.due_at, Task.assigned_user_id, Task.notes)
                               .where(Task.contact_id == ayanda).order_by(Task.id)).all()
    assert [tuple(r) for r in rows] == [
        ("Call about the December order", datetime(2026, 11, 30, 8, 15, tzinfo=UTC), sales_id, "Ask about halaal options"),
        ("Second", datetime(2026, 11, 30, 8, 15, tzinfo=UTC), sales_id, "Ask about halaal options"),
    ]


def test_referrals_page_records_one_makes_a_customer_an_ambassador_and_refuses_a_second(site):
    with site.store.transaction() as session:
        lerato = contact(session, name="Lerato Customer", stage="customer")
        order(session, lerato, at=datetime(2026, 5, 1, tzinfo=UTC), lines=[(1, 30_000)])
        friend = contact(session, name="Friend Of Lerato", stage="follower")
        lerato, friend = lerato.id, friend.id
    with site.login("viewer") as viewer:
        refused = viewer.post("/referrals", data={"csrf_token": csrf_of(viewer.get("/referrals")),
                                                  "referrer_id": lerato, "referred_id": friend, "currency": "ZAR"})
    with site.login("sales") as sales:
        token = csrf_of(sales.get("/referrals"))
        recorded = sales.post("/referrals", data={"csrf_token": token, "referrer_id": lerato, "referred_id": friend,
                                                  "reward": "150.00", "currency": "ZAR"})
        again = sales.post("/referrals", data={"csrf_token": token, "referrer_id": lerato, "referred_id": friend,
                                               "reward": "0", "currency": "ZAR"})
        page = sales.get("/referrals")

    assert refused.status_code == 403
    assert (recorded.status_code, recorded.headers["location"]) == (303, "/referrals")
    assert again.status_code == 409
    assert f"Friend Of Lerato (contact {friend}) was already referred by Lerato Customer (contact {lerato})" in again.text
    assert re.search(rf'<a href="/contacts/{lerato}">Lerato Customer</a> <span class="stage">ambassador</span>',
                     page.text)
    assert "R150,00" in page.text
    with site.store.transaction() as session:
        stored = session.scalars(select(Referral).where(Referral.referred_contact_id == friend)).one()
        assert (stored.referrer_contact_id, stored.reward_minor, stored.reward_currency) == (lerato, 15_000, "ZAR")
        assert session.get(Contact, lerato).lifecycle_stage == "ambassador"


def test_the_api_lists_creates_completes_and_starts_cadences_idempotently(site):
    kagiso = new_salesperson(site, "Kagiso")
    sales, viewer = api_token(site, "sales"), api_token(site, "viewer")
    with site.store.transaction() as session:
        naledi = contact(session, name="Naledi API").id
    as_of = "2026-06-10T12:00:00+02:00"
    with site.client() as api:
        made = api.post("/api/v1/tasks", headers=sales, json={
            "contact_id": naledi, "title": "Call back", "due_at": "2026-06-09T09:00:00+02:00",
            "assigned_user_id": kagiso})
        today = api.post("/api/v1/tasks", headers=sales, json={
            "contact_id": naledi, "title": "Send photos", "due_at": "2026-06-10T16:00:00+02:00",
            "assigned_user_id": kagiso})
        naive = api.post("/api/v1/tasks", headers=sales, json={
            "contact_id": naledi, "title": "x", "due_at": "2026-06-10T16:00:00", "assigned_user_id": kagiso})
        listing = api.get(f"/api/v1/tasks?user={kagiso}&at={as_of.replace('+', '%2B')}", headers=viewer).json()
        overdue = api.get(f"/api/v1/tasks?user={kagiso}&due=overdue&at={as_of.replace('+', '%2B')}", headers=viewer)
        moved = api.post(f"/api/v1/tasks/{today.json()['id']}/reschedule", headers=sales,
                         json={"due_at": "2026-06-11T09:00:00+02:00"})
        handed = api.post(f"/api/v1/tasks/{today.json()['id']}/reassign", headers=sales,
                          json={"assigned_user_id": user_id(site, "marketing")})
        to_viewer = api.post(f"/api/v1/tasks/{today.json()['id']}/reassign", headers=sales,
                             json={"assigned_user_id": user_id(site, "viewer")})
        by_viewer = api.post(f"/api/v1/tasks/{made.json()['id']}/done", headers=viewer)
        done = api.post(f"/api/v1/tasks/{made.json()['id']}/done", headers=sales)
        twice = api.post(f"/api/v1/tasks/{made.json()['id']}/done", headers=sales)

        bad = api.post("/api/v1/cadences", headers=sales, json={"name": "Events", "steps": [
            {"after_days": 2, "title": "Thank-you"}, {"after_days": 4000, "title": "Reunion"}]})
        cadence = api.post("/api/v1/cadences", headers=sales, json={"name": "Events", "steps": [
            {"after_days": 2, "title": "Thank-you"}, {"after_days": 90, "title": "Next event?"}]})
        body = {"contact_id": naledi, "start_at": "2026-06-20T18:00:00+02:00", "assigned_user_id": kagiso}
        started = api.post(f"/api/v1/cadences/{cadence.json()['id']}/start", headers=sales, json=body)
        repeated = api.post(f"/api/v1/cadences/{cadence.json()['id']}/start", headers=sales, json=body)
        listed = api.get("/api/v1/cadences", headers=viewer).json()

    assert (made.status_code, made.json()["assigned_user_id"], made.json()["due_at"]) == (
        201, kagiso, "2026-06-09T07:00:00Z")
    assert naive.status_code == 422 and naive.json()["field"] == "due_at"
    assert {k: listing[k] for k in ("user_id", "user_name", "day", "time_zone", "counts", "later", "on_time")} == {
        "user_id": kagiso, "user_name": "Kagiso", "day": "2026-06-10", "time_zone": "Africa/Johannesburg",
        "counts": {"overdue": 1, "today": 1, "week": 0}, "later": 0,
        "on_time": {"done_on_time": 0, "due": 1, "share": 0.0}}
    assert [(i["id"], i["bucket"], i["contact_name"]) for i in listing["items"]] == [
        (made.json()["id"], "overdue", "Naledi API"), (today.json()["id"], "today", "Naledi API")]
    assert [i["title"] for i in overdue.json()["items"]] == ["Call back"]
    assert (moved.json()["due_at"], handed.json()["assigned_user_id"]) == (
        "2026-06-11T07:00:00Z", user_id(site, "marketing"))
    assert (to_viewer.status_code, to_viewer.json()["field"]) == (422, "assigned_user_id")
    assert by_viewer.status_code == 403
    assert done.status_code == 200 and done.json()["done_at"] is not None
    assert twice.status_code == 409 and twice.json()["title"] == "Conflict"
    assert bad.status_code == 422
    assert (bad.json()["field"], bad.json()["detail"]) == (
        "steps[1].after_days", "steps[1].after_days: 4000 is not a whole number of days from 0 to 3650")
    assert cadence.status_code == 201
    assert (started.status_code, repeated.status_code) == (201, 200)
    assert [(t["title"], t["due_at"]) for t in started.json()["tasks"]] == [
        ("Thank-you", "2026-06-22T16:00:00Z"), ("Next event?", "2026-09-18T16:00:00Z")]
    assert [t["id"] for t in repeated.json()["tasks"]] == [t["id"] for t in started.json()["tasks"]]
    assert repeated.json()["created"] is False
    assert [c["name"] for c in listed] == ["Events"]


def test_the_api_records_referrals_and_refuses_self_and_second_ones(site):
    sales = api_token(site, "sales")
    with site.store.transaction() as session:
        sipho = contact(session, name="Sipho Referrer", stage="engager").id
        bongi = contact(session, name="Bongi Referred").id
    with site.client() as api:
        self_ref = api.post("/api/v1/referrals", headers=sales, json={
            "referrer_id": sipho, "referred_id": sipho, "reward_currency": "ZAR"})
        negative = api.post("/api/v1/referrals", headers=sales, json={
            "referrer_id": sipho, "referred_id": bongi, "reward_minor": -100, "reward_currency": "ZAR"})
        made = api.post("/api/v1/referrals", headers=sales, json={
            "referrer_id": sipho, "referred_id": bongi, "reward_minor": 5000, "reward_currency": "zar",
            "referred_at": "2026-06-02T10:00:00+02:00"})
        second = api.post("/api/v1/referrals", headers=sales, json={
            "referrer_id": sipho, "referred_id": bongi, "reward_currency": "ZAR"})

    assert (self_ref.status_code, self_ref.json()["field"]) == (422, "referred_id")
    assert (negative.status_code, negative.json()["detail"]) == (
        422, "reward_minor: -100 is negative; a reward is 0 or more minor units")
    assert made.status_code == 201
    assert {k: v for k, v in made.json().items() if k != "id"} == {
        "referrer_contact_id": sipho, "referred_contact_id": bongi, "referred_at": "2026-06-02T08:00:00Z",
        "reward_minor": 5000, "reward_currency": "ZAR"}
    assert second.status_code == 409
    assert second.json()["detail"] == (f"Bongi Referred (contact {bongi}) was already referred by Sipho Referrer "
                                       f"(contact {sipho}) on 2026-06-02")
    with site.store.transaction() as session:
        assert session.get(Contact, sipho).lifecycle_stage == "engager"  # has not bought: stays as they are


def run_tasks(site: LiveApp, *args: str):
    settings = site.store.settings
    env = {"ACCORD_WORKSPACE": str(settings.workspace)}
    if settings.database_url:
        env["ACCORD_DATABASE_URL"] = settings.database_url
    command = typer.Typer()
    command.command()(tasks_command)
    return CliRunner().invoke(command, list(args), env=env)


def test_accord_tasks_prints_a_users_due_list_as_of_a_moment(site):
    amahle = new_salesperson(site, "Amahle")
    with site.store.transaction() as session:
        thandi = contact(session, name="Thandi CLI").id
        for title, due, done in (("Overdue call", datetime(2026, 6, 8, 9, 0, tzinfo=SAST), None),
                                 ("Photos", datetime(2026, 6, 10, 16, 0, tzinfo=SAST), None),
                                 ("Friday visit", datetime(2026, 6, 12, 11, 0, tzinfo=SAST), None),
                                 ("Next month", datetime(2026, 7, 12, 11, 0, tzinfo=SAST), None),
                                 ("Kept", datetime(2026, 6, 9, 11, 0, tzinfo=SAST), datetime(2026, 6, 9, 8, 0, tzinfo=UTC))):
            task = service.create_task(session, thandi, title, due_at=due, assigned_user_id=amahle, actor=ACTOR)
            if done:
                service.complete_task(session, task.id, actor=ACTOR, at=done)
        ids = dict(session.execute(select(Task.title, Task.id).where(Task.contact_id == thandi)).all())

    everything = run_tasks(site, "--user", "amahle@test.example", "--at", "2026-06-10T12:00+02:00")
    overdue = run_tasks(site, "--user", "Amahle@Test.Example", "--due", "overdue", "--at", "2026-06-10T10:00Z")
    wrong = run_tasks(site, "--user", "amahle@test.example", "--due", "soon")
    naive = run_tasks(site, "--user", "amahle@test.example", "--at", "2026-06-10T12:00")

    assert everything.exit_code == 0, everything.output
    assert everything.output.splitlines() == [
        "Follow-ups for Amahle on Wednesday 10 June 2026 (Africa/Johannesburg)",
        "Overdue: 1",
        f"  Mon 08 Jun 09:00  Thandi CLI: Overdue call  (task {ids['Overdue call']})",
        "Due today: 1",
        f"  Wed 10 Jun 16:00  Thandi CLI: Photos  (task {ids['Photos']})",
        "Later this week: 1",
        f"  Fri 12 Jun 11:00  Thandi CLI: Friday visit  (task {ids['Friday visit']})",
        "After this week: 1",
        "Done on time, last 30 days: 1 of 2 (50%)",
    ]
    assert overdue.output.splitlines() == [
        "Follow-ups for Amahle on Wednesday 10 June 2026 (Africa/Johannesburg)",
        "Overdue: 1",
        f"  Mon 08 Jun 09:00  Thandi CLI: Overdue call  (task {ids['Overdue call']})",
    ]
    assert isinstance(wrong.exception, Invalid) and wrong.exception.message == (
        "--due: 'soon' is not one of overdue, today, week")
    assert isinstance(naive.exception, Invalid) and naive.exception.message == (
        "--at: '2026-06-10T12:00' has no time zone; add one, e.g. 2026-06-10T12:00+02:00")


def test_a_due_list_for_someone_unknown_is_not_found(site):
    with site.login("owner") as owner:
        page = owner.get("/tasks?user=999999")
    assert page.status_code == 404 and "no user 999999" in page.text
