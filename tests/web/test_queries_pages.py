"""Queries and insights over real HTTP: the open list with due-by times, resolving, targets, insights, role
refusals, and the same through the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accord.conversations.models import Query
from accord.conversations.queries_service import open_query, set_sla_target
from accord.kernel.audit import Actor
from factories import contact
from web.conftest import csrf_of

ACTOR = Actor("test")
JOBURG = ZoneInfo("Africa/Johannesburg")  # the test workspace's zone; open Monday–Friday 08:00–17:00


def sast(*args) -> datetime:
    return datetime(*args, tzinfo=JOBURG)


def rows(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="query-(\d+)"', page)]


def opened(live, channel: str, at: datetime, text: str, *, name: str = "Naledi", answered: datetime | None = None,
           kind: str = "question") -> int:
    """A query opened at `at` (answered at `answered`: send_message stamps the real clock), by its id."""
    with live.store.transaction() as session:
        who = contact(session, name=name)
        query = open_query(session, who.id, kind, channel, text, actor=ACTOR, at=at)
        query.first_response_at = answered
        return query.id


@pytest.fixture(scope="module")
def targets(live):
    """Email must be answered within an hour and resolved within a working day; WhatsApp within 30 minutes."""
    with live.store.transaction() as session:
        set_sla_target(session, "email", 60, 540, actor=ACTOR)
        set_sla_target(session, "whatsapp", 30, None, actor=ACTOR)


def test_open_queries_come_most_overdue_first_with_their_due_time_and_viewers_get_no_buttons(live, targets):
    email = opened(live, "email", sast(2026, 1, 5, 9, 0), "Do you cater for 40 people?")
    whatsapp = opened(live, "whatsapp", sast(2026, 1, 5, 9, 15), "Is the bunny chow halal?", name="Sipho")
    untimed = opened(live, "phone", sast(2026, 1, 2, 8, 0), "Call me back about the wedding", name="Thandi")
    with live.login("viewer") as client:
        page = client.get("/queries").text

    mine = [i for i in rows(page) if i in (email, whatsapp, untimed)]
    assert mine == [whatsapp, email, untimed]
    row = re.search(rf'<tr id="query-{whatsapp}".*?</tr>', page, re.S).group(0)
    assert "Mon 05 Jan 2026, 09:45" in row and "late</strong>" in row and "Is the bunny chow halal?" in row
    assert "Mon 05 Jan 2026, 10:00" in re.search(rf'<tr id="query-{email}".*?</tr>', page, re.S).group(0)
    assert "no target for phone" in re.search(rf'<tr id="query-{untimed}".*?</tr>', page, re.S).group(0)
    assert "hx-post" not in page and 'name="query_ids"' not in page and 'action="/queries/sla"' not in page


def test_a_viewer_cannot_resolve_and_a_query_is_resolved_once(live, targets):
    query = opened(live, "email", sast(2026, 2, 2, 9, 0), "Where is my order?", kind="complaint")
    with live.login("viewer") as viewer:
        refused = viewer.post(f"/queries/{query}/resolve", headers={"X-CSRF-Token": csrf_of(viewer.get("/queries"))})
    with live.login("sales") as sales:
        headers = {"X-CSRF-Token": csrf_of(sales.get("/queries")), "HX-Request": "true"}
        done = sales.post(f"/queries/{query}/resolve", headers=headers)
        again = sales.post(f"/queries/{query}/resolve", headers=headers)
        page = sales.get("/queries").text

    assert refused.status_code == 403
    assert "your role (viewer) cannot do this; ask an owner" in refused.text
    assert done.status_code == 200
    assert done.text.strip() == (f'<tr id="query-{query}" class="done"><td colspan="7">'
                                 'Resolved the complaint from email.</td></tr>')
    assert again.status_code == 409
    assert f"query {query} was already resolved at " in again.text
    assert query not in rows(page)
    with live.store.transaction() as session:
        stored = session.get(Query, query)
        assert stored.resolved_at is not None and stored.first_response_at == stored.resolved_at


def test_assigning_a_query_redraws_its_row(live, targets):
    query = opened(live, "whatsapp", sast(2026, 2, 3, 10, 0), "Can I pay cash on delivery?")
    with live.login("marketing") as client:
        page = client.get("/queries").text
        sales_id = re.search(r'<option value="(\d+)">Sales</option>', page).group(1)
        answer = client.post(f"/queries/{query}/assign", data={"user_id": sales_id},
                             headers={"X-CSRF-Token": csrf_of(client.get("/queries")), "HX-Request": "true"})
        not_a_number = client.post(f"/queries/{query}/assign", data={"user_id": "x"},
                                  headers={"X-CSRF-Token": csrf_of(client.get("/queries")), "HX-Request": "true"})

    assert answer.status_code == 200
    assert answer.text.lstrip().startswith(f'<tr id="query-{query}" class="overdue">')
    assert f'<option value="{sales_id}" selected>Sales</option>' in answer.text
    assert 'value="Viewer"' not in page and ">Viewer</option>" not in page  # viewers cannot answer queries
    assert not_a_number.status_code == 422 and "user_id: &#39;x&#39; is not a user number" in not_a_number.text


def test_only_owners_set_targets_and_bad_minutes_are_named(live, targets):
    with live.login("sales") as sales:
        refused = sales.post("/queries/sla", data={"channel": "marketplace", "first_response_minutes": "120",
                                                   "csrf_token": csrf_of(sales.get("/queries"))})
        assert 'action="/queries/sla"' not in sales.get("/queries").text
    with live.login("owner") as owner:
        token = csrf_of(owner.get("/queries"))
        saved = owner.post("/queries/sla", data={"channel": "marketplace", "first_response_minutes": "120",
                                                 "resolution_minutes": "600", "csrf_token": token})
        zero = owner.post("/queries/sla", data={"channel": "marketplace", "first_response_minutes": "0",
                                                "csrf_token": token})
        shorter = owner.post("/queries/sla", data={"channel": "marketplace", "first_response_minutes": "120",
                                                   "resolution_minutes": "90", "csrf_token": token})
        words = owner.post("/queries/sla", data={"channel": "marketplace", "first_response_minutes": "an hour",
                                                 "csrf_token": token})
        page = owner.get("/queries").text

    assert refused.status_code == 403
    assert (saved.status_code, saved.headers["location"]) == (303, "/queries#targets")
    row = re.search(r'<tr id="target-marketplace">.*?</tr>', page, re.S).group(0)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() == "marketplace 2 h 10 h"
    assert zero.status_code == 422
    assert "first_response_minutes: 0 is not between 1 and 525,600 business minutes" in zero.text
    assert shorter.status_code == 422
    assert "resolution_minutes: 90 is less than the first-response target of 120 minutes" in shorter.text
    assert words.status_code == 422 and "first_response_minutes: &#39;an hour&#39; is not a whole number" in words.text


def test_ticked_queries_become_an_insight_and_more_can_be_added(live, targets):
    vegan = opened(live, "instagram", sast(2026, 3, 2, 9, 0), "Do you have a vegan platter?")
    plant = opened(live, "whatsapp", sast(2026, 4, 14, 12, 30), "Please add a plant-based option", name="Sipho",
                   kind="suggestion")
    meat_free = opened(live, "email", sast(2026, 5, 6, 11, 0), "Anything meat-free for Friday?", name="Thandi")
    with live.login("viewer") as viewer:
        refused = viewer.post("/insights", data={"kind": "need", "title": "Vegan", "query_ids": [str(vegan)],
                                                 "csrf_token": csrf_of(viewer.get("/insights"))})
    with live.login("sales") as sales:
        token = csrf_of(sales.get("/queries"))
        created = sales.post("/insights", data={"kind": "need", "title": "People want a vegan platter",
                                                "description": "", "query_ids": [str(vegan), str(plant)],
                                                "csrf_token": token})
        insight = int(created.headers["location"].rsplit("-", 1)[1])
        linked = sales.post("/insights/link", data={"insight_id": str(insight), "query_ids": f"#{meat_free}",
                                                    "csrf_token": token})
        unknown = sales.post("/insights", data={"kind": "need", "title": "Ghosts", "query_ids": ["424242"],
                                                "csrf_token": token})
        untitled = sales.post("/insights", data={"kind": "need", "title": " ", "csrf_token": token})
        page = sales.get("/insights").text

    assert refused.status_code == 403
    assert created.status_code == 303 and created.headers["location"] == f"/insights#insight-{insight}"
    assert linked.status_code == 303
    row = re.search(rf'<tr id="insight-{insight}">.*?</tr>', page, re.S).group(0)
    assert "People want a vegan platter" in row
    assert re.search(r'<td class="num supporting">(\d+)</td>', row).group(1) == "3"
    assert "Wed 06 May 2026, 11:00" in row  # the latest supporting query
    assert re.findall(r'<small class="id">#(\d+)', row) == [str(meat_free), str(plant), str(vegan)]
    assert unknown.status_code == 422 and "query_ids: no query 424242" in unknown.text
    assert untitled.status_code == 422 and "title: empty; say in a few words what was learned" in untitled.text


def test_the_api_opens_lists_resolves_and_reports(live, targets):
    sales = {"Authorization": f"Bearer {live.api_token('sales')}"}
    viewer = {"Authorization": f"Bearer {live.api_token('viewer')}"}
    owner = {"Authorization": f"Bearer {live.api_token('owner')}"}
    with live.store.transaction() as session:
        who = contact(session, name="Bongi").id
    # Three YouTube queries, the only ones on that channel, answered in 20 and 90 business minutes and never.
    monday = sast(2026, 6, 1, 8, 0)
    with live.client() as api:
        assert api.put("/api/v1/sla/youtube", headers=sales, json={"first_response_minutes": 60}).status_code == 403
        target = api.put("/api/v1/sla/youtube", headers=owner,
                         json={"first_response_minutes": 60, "resolution_minutes": 600})
        made = [api.post("/api/v1/queries", headers=sales, json={
            "contact_id": who, "kind": "question", "channel": "youtube", "text": f"Question {n}",
            "opened_at": monday.isoformat()}) for n in (1, 2, 3)]
        refused = api.post("/api/v1/queries", headers=viewer, json={
            "contact_id": who, "kind": "question", "channel": "youtube", "text": "x", "opened_at": monday.isoformat()})
        bad = api.post("/api/v1/queries", headers=sales, json={
            "contact_id": who, "kind": "rant", "channel": "youtube", "text": "x"})
        ids = [m.json()["id"] for m in made]
        with live.store.transaction() as session:
            for query_id, minutes in zip(ids[:2], (20, 90), strict=True):
                session.get(Query, query_id).first_response_at = monday + timedelta(minutes=minutes)
        resolved = api.post(f"/api/v1/queries/{ids[0]}/resolve", headers=sales,
                            json={"resolved_at": "2026-06-01T10:00:00+02:00"})
        twice = api.post(f"/api/v1/queries/{ids[0]}/resolve", headers=sales)
        listed = api.get("/api/v1/queries?limit=1000", headers=viewer).json()
        late = api.get("/api/v1/queries/breaches?days=3660", headers=viewer).json()
        sla = api.get("/api/v1/sla?days=3660", headers=viewer).json()
        insight = api.post("/api/v1/insights", headers=sales, json={
            "kind": "objection", "title": "Videos do not say the price", "query_ids": ids[:2]})
        ghost = api.post("/api/v1/insights", headers=sales, json={"kind": "need", "title": "x", "query_ids": [424242]})
        insights = api.get("/api/v1/insights", headers=viewer).json()

    assert target.status_code == 200
    assert target.json() == {"channel": "youtube", "first_response_minutes": 60, "resolution_minutes": 600}
    assert [m.status_code for m in made] == [201, 201, 201]
    assert made[0].json() == {
        "id": ids[0], "contact_id": who, "conversation_id": None, "kind": "question", "channel": "youtube",
        "text": "Question 1", "opened_at": "2026-06-01T06:00:00Z", "first_response_at": None, "resolved_at": None,
        "assigned_user_id": None}
    assert refused.status_code == 403
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    assert bad.json()["detail"] == "kind: 'rant' is not one of question, concern, complaint, suggestion"
    assert resolved.status_code == 200 and resolved.json()["resolved_at"] == "2026-06-01T08:00:00Z"
    assert twice.status_code == 409
    assert twice.json()["detail"] == f"query {ids[0]} was already resolved at 2026-06-01 08:00 UTC"

    open_youtube = [i for i in listed["items"] if i["channel"] == "youtube"]
    assert [(i["query_id"], i["waiting_for"], i["due"], i["overdue"]) for i in open_youtube] == [
        (ids[2], "first response", "2026-06-01T07:00:00Z", True),
        (ids[1], "resolution", "2026-06-02T07:00:00Z", True),
    ]
    assert listed["total"] == len(listed["items"]) and listed["overdue"] == sum(i["overdue"] for i in listed["items"])
    # The unanswered one is also unresolved past its resolution time; equal due times list the newer query first.
    assert [(b["query_id"], b["target"], b["met_at"]) for b in late if b["channel"] == "youtube"] == [
        (ids[2], "resolution", None), (ids[1], "resolution", None), (ids[2], "first response", None),
        (ids[1], "first response", "2026-06-01T07:30:00Z")]
    assert {"channel": "youtube", "first_response_minutes": 60, "resolution_minutes": 600} in sla["targets"]
    [youtube] = [f for f in sla["by_channel"] if f["key"] == "youtube"]
    assert youtube == {"key": "youtube", "queries": 3, "answered": 2, "median_minutes": 20, "p90_minutes": 90,
                       "in_time": 1, "decided": 3, "share_in_time": 1 / 3}
    assert insight.status_code == 201
    body = insight.json()
    assert (body["kind"], body["title"], body["supporting"], [q["query_id"] for q in body["queries"]]) == (
        "objection", "Videos do not say the price", 2, [ids[1], ids[0]])  # latest first, then newest id
    assert body["latest_supporting_at"] == "2026-06-01T06:00:00Z"
    assert ghost.status_code == 422 and ghost.json() == {
        "type": "about:blank", "title": "Invalid input", "status": 422, "detail": "query_ids: no query 424242",
        "field": "query_ids"}
    assert body in insights
