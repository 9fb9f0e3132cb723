"""The business review's API over real HTTP, on SQLite and PostgreSQL: versions, the diff, competitors, roles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from business_support import FIRST, SECOND

JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
ROLES = ("owner", "marketing", "sales", "viewer")


@pytest.fixture(scope="module")
def tokens(live) -> dict[str, dict[str, str]]:
    """Authorization headers for one API token per role."""
    return {role: {"Authorization": f"Bearer {live.api_token(role)}"} for role in ROLES}


def problem(status: int, title: str, detail: str, **extra) -> dict:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def recent(text: str) -> bool:
    """True for an ISO time within the last minute."""
    return timedelta(0) <= datetime.now(timezone.utc) - datetime.fromisoformat(text) < timedelta(minutes=1)


def without_time(body: dict, *keys: str) -> dict:
    assert all(recent(body[key]) for key in keys), body
    return {key: value for key, value in body.items() if key not in keys}


def test_versions_are_saved_read_listed_and_compared(live, tokens):
    with live.client() as api:
        before_any = api.get("/api/v1/business", headers=tokens["viewer"])
        by_sales = api.post("/api/v1/business/versions", headers=tokens["sales"], json=FIRST.model_dump())
        first = api.post("/api/v1/business/versions", headers=tokens["marketing"], json=FIRST.model_dump())
        again = api.post("/api/v1/business/versions", headers=tokens["owner"], json=FIRST.model_dump())
        unknown_kind = api.post("/api/v1/business/versions", headers=tokens["owner"],
                                json={"vision": "x", "entries": {"wish": ["A food truck"]}})
        extra_field = api.post("/api/v1/business/versions", headers=tokens["owner"], json={"vision": "x", "mood": 1})
        second = api.post("/api/v1/business/versions", headers=tokens["owner"],
                          json={**SECOND.model_dump(), "based_on": 1})
        stale = api.post("/api/v1/business/versions", headers=tokens["owner"],
                         json={"vision": "From the first", "based_on": 1})
        latest = api.get("/api/v1/business", headers=tokens["sales"])
        one = api.get("/api/v1/business/versions/1", headers=tokens["viewer"])
        missing = api.get("/api/v1/business/versions/9", headers=tokens["viewer"])
        history = api.get("/api/v1/business/versions", headers=tokens["viewer"])
        compared = api.get("/api/v1/business/diff?from=1&to=2", headers=tokens["viewer"])
        itself = api.get("/api/v1/business/diff?from=2&to=2", headers=tokens["viewer"])
        beyond = api.get("/api/v1/business/diff?from=1&to=3", headers=tokens["viewer"])
        no_to = api.get("/api/v1/business/diff?from=1", headers=tokens["viewer"])

    assert (before_any.status_code, before_any.json()) == (404, problem(
        404, "Not found", "no business review saved yet; save the first with POST /api/v1/business/versions"))
    assert (by_sales.status_code, by_sales.json()) == (403, problem(
        403, "Permission denied", "the token's user has role sales, which cannot do this"))
    assert first.status_code == 201
    assert without_time(first.json(), "created_at") == {
        "number": 1, "vision": FIRST.vision, "note": "the first review", "created_by": "Marketing",
        "entries": FIRST.entries}
    assert (again.status_code, again.json()) == (409, problem(
        409, "Conflict", "nothing changed since version 1: the vision and every entry read the same (differences of "
                         "case, spacing or a closing full stop do not count)"))
    assert (unknown_kind.status_code, unknown_kind.json()) == (422, problem(
        422, "Invalid input", "entries.wish: 'wish' is not a kind of entry; the kinds are need, opportunity, "
                              "improvement, strength, exception", field="entries.wish"))
    assert (extra_field.status_code, extra_field.json()["field"]) == (422, "mood")
    assert second.status_code == 201
    assert without_time(second.json(), "created_at") == {
        "number": 2, "vision": SECOND.vision, "note": "after the March review", "created_by": "Owner",
        "entries": SECOND.entries}
    assert (stale.status_code, stale.json()["detail"]) == (409, (
        "version 2 was saved after version 1, which these changes started from; open version 2, make the changes "
        "there and save again"))
    assert latest.json() == second.json()
    assert one.json() == first.json()
    assert (missing.status_code, missing.json()) == (404, problem(
        404, "Not found", "no business review version 9; the latest is version 2"))
    assert [without_time(v, "created_at") for v in history.json()] == [
        {"number": 2, "created_by": "Owner", "note": "after the March review", "vision": SECOND.vision,
         "counts": {"need": 4, "opportunity": 2, "improvement": 1, "strength": 3, "exception": 2}},
        {"number": 1, "created_by": "Marketing", "note": "the first review", "vision": FIRST.vision,
         "counts": {"need": 3, "opportunity": 1, "improvement": 1, "strength": 3, "exception": 2}},
    ]
    assert compared.json() == {
        "from_number": 1, "to_number": 2, "unchanged": False,
        "vision": {"before": FIRST.vision, "after": SECOND.vision, "changed": True},
        "kinds": [
            {"kind": "need", "added": ["Vegetarian menu"], "removed": [],
             "changed": [{"before": "Delivery before 12:00", "after": "Delivery before 11:00", "similarity": 95}],
             "kept": ["orders on whatsapp.", "Halaal options"], "reordered": False},
            {"kind": "opportunity", "added": ["Wedding catering"], "removed": [], "changed": [],
             "kept": ["Corporate year-end functions"], "reordered": False},
            {"kind": "improvement", "added": ["Answer messages within an hour"], "removed": ["Faster invoices"],
             "changed": [], "kept": [], "reordered": False},
            {"kind": "strength", "added": [], "removed": [],
             "changed": [{"before": "Fast delivery in Soweto", "after": "Fast delivery in Soweto and Alexandra",
                          "similarity": 77}],
             "kept": ["Grandmother's recipes", "Friendly staff"], "reordered": False},
            {"kind": "exception", "added": [], "removed": [], "changed": [],
             "kept": ["Closed on Sundays", "No alcohol served"], "reordered": True},
        ],
    }
    assert itself.json()["unchanged"] is True
    assert [(k["added"], k["removed"], k["changed"], k["reordered"]) for k in itself.json()["kinds"]] == [
        ([], [], [], False)] * 5
    assert (beyond.status_code, beyond.json()) == (404, problem(
        404, "Not found", "no business review version 3; the latest is version 2"))
    assert (no_to.status_code, no_to.json()) == (422, problem(422, "Invalid input", "to: Field required",
                                                             field="to"))


def test_competitors_are_added_edited_observed_and_listed(live, tokens):
    today = datetime.now(JOHANNESBURG).date()
    with live.client() as api:
        added = api.post("/api/v1/business/competitors", headers=tokens["marketing"],
                         json={"name": "Mama's Kitchen", "scope": "local", "website": "mamaskitchen.co.za"})
        cid = added.json()["id"]
        twice = api.post("/api/v1/business/competitors", headers=tokens["owner"],
                         json={"name": "mama's kitchen", "scope": "international"})
        bad_scope = api.post("/api/v1/business/competitors", headers=tokens["owner"],
                             json={"name": "Chef Abroad", "scope": "regional"})
        by_viewer = api.post("/api/v1/business/competitors", headers=tokens["viewer"],
                             json={"name": "Chef Abroad", "scope": "international"})
        abroad = api.post("/api/v1/business/competitors", headers=tokens["owner"],
                          json={"name": "Chef Abroad", "scope": "international", "note": "Meal kits by post"})
        future = api.post(f"/api/v1/business/competitors/{cid}/observations", headers=tokens["marketing"],
                          json={"observed_on": (today + timedelta(days=1)).isoformat(), "text": "Tomorrow"})
        undated = api.post(f"/api/v1/business/competitors/{cid}/observations", headers=tokens["marketing"],
                           json={"text": "Some day"})
        seen = api.post(f"/api/v1/business/competitors/{cid}/observations", headers=tokens["marketing"],
                        json={"observed_on": today.isoformat(), "text": "R99 lunch boxes", "source": "Instagram"})
        nowhere = api.post("/api/v1/business/competitors/999999/observations", headers=tokens["marketing"],
                           json={"observed_on": today.isoformat(), "text": "x"})
        edited = api.patch(f"/api/v1/business/competitors/{cid}", headers=tokens["owner"],
                           json={"note": "2 km away", "website": ""})
        listed = api.get("/api/v1/business/competitors", headers=tokens["sales"])

    assert added.status_code == 201
    assert without_time(added.json(), "created_at") == {
        "id": cid, "name": "Mama's Kitchen", "scope": "local", "website": "https://mamaskitchen.co.za", "note": "",
        "observations": [], "observation_count": 0}
    assert (twice.status_code, twice.json()["detail"]) == (
        409, f"a competitor named 'Mama's Kitchen' is already watched (competitor {cid})")
    assert (bad_scope.status_code, bad_scope.json()) == (422, problem(
        422, "Invalid input", "scope: 'regional' is not local or international", field="scope"))
    assert by_viewer.status_code == 403
    assert future.json() == problem(422, "Invalid input", f"observed_on: {today + timedelta(days=1)} is in the "
                                                          f"future; today is {today}", field="observed_on")
    assert undated.json() == problem(422, "Invalid input", "observed_on: is missing; say on which day it was seen, "
                                                           "such as 2026-03-20", field="observed_on")
    assert seen.status_code == 201
    observation = without_time(seen.json(), "created_at")
    assert observation == {"id": observation["id"], "competitor_id": cid, "observed_on": today.isoformat(),
                           "text": "R99 lunch boxes", "source": "Instagram", "recorded_by": "Marketing"}
    assert (nowhere.status_code, nowhere.json()["detail"]) == (404, "no competitor 999999")
    assert (edited.status_code, edited.json()["note"], edited.json()["website"]) == (200, "2 km away", None)
    assert [(c["name"], c["scope"], c["note"], [o["text"] for o in c["observations"]], c["observation_count"])
            for c in listed.json()] == [
        ("Mama's Kitchen", "local", "2 km away", ["R99 lunch boxes"], 1),
        ("Chef Abroad", "international", "Meal kits by post", [], 0),
    ]
    assert abroad.json()["id"] == listed.json()[1]["id"]


def test_spent_vs_received_needs_a_synced_warehouse_and_a_forward_period(live, tokens):
    with live.client() as api:
        unsynced = api.get("/api/v1/business/energy", headers=tokens["viewer"])
        backwards = api.get("/api/v1/business/energy?from_on=2026-02-01&to_on=2026-01-01", headers=tokens["viewer"])

    assert (unsynced.status_code, unsynced.json()) == (409, problem(
        409, "Conflict", "the warehouse holds no data yet: run `accord sync` to copy the store into it, then look "
                         "again"))
    assert (backwards.status_code, backwards.json()) == (422, problem(
        422, "Invalid input", "to_on: 2026-01-01 is not after from_on 2026-02-01", field="to_on"))
