"""The reviews API on the demo business: JSON equals the review run directly, CSV its rows, errors name fields."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from accord.accounts import service as accounts
from accord.kernel.audit import SYSTEM
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.reviews.base import ReviewQuery, ReviewResult, all_reviews
from stores import settings_for
from web.conftest import ROLE_EMAILS, LiveApp, serve
from web.test_reviews_pages import IN_ORDER, add_role_users, plain_text, run_directly, served_demo, steady

REVIEWS = all_reviews()
NAMES = list(REVIEWS)


def bearer(store: Store, role: str) -> dict[str, str]:
    with store.transaction() as session:
        user = accounts.user_by_email(session, ROLE_EMAILS[role])
        secret = accounts.issue_token(session, user, f"reviews test {role}", actor=SYSTEM).secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[LiveApp, dict[str, str]]]:
    """The demo business served over HTTP with its warehouse synced, and a viewer's API token."""
    with served_demo(tmp_path_factory, "reviews-api") as live:
        yield live, bearer(live.store, "viewer")


def as_json(query: ReviewQuery, result: ReviewResult) -> dict[str, Any]:
    """What the API must answer, built from the direct run with the standard JSON encoder."""
    rows = [{key: value.isoformat() if isinstance(value, date) else value for key, value in row.items()}
            for row in result.rows()]
    return json.loads(json.dumps({"query": query.model_dump(mode="json"), "notes": result.notes, "rows": rows,
                                  "charts": result.charts()}))


def test_the_list_gives_names_titles_and_query_schemas(demo):
    live, headers = demo
    with live.client() as api:
        answer = api.get("/api/v1/reviews", headers=headers)
    assert answer.status_code == 200
    assert answer.json() == [
        {"name": name, "title": REVIEWS[name].title, "summary": REVIEWS[name].summary,
         "query_schema": json.loads(json.dumps(REVIEWS[name].query_type.model_json_schema()))}
        for name in IN_ORDER
    ]


@pytest.mark.parametrize("name", NAMES)
def test_each_review_answers_what_run_returns(demo, name):
    live, headers = demo
    query = REVIEWS[name].query_type()
    with live.client() as api:
        answer = api.get(f"/api/v1/reviews/{name}", headers=headers)
    assert answer.status_code == 200, answer.text
    body, expected = answer.json(), as_json(query, run_directly(live.store, name, query))
    assert (body["query"], body["notes"], body["rows"]) == (expected["query"], expected["notes"], expected["rows"])
    assert steady(body["charts"]) == steady(expected["charts"])
    assert set(body) == {"query", "notes", "rows", "charts"}


def test_a_period_and_a_split_are_url_parameters_and_the_csv_is_the_rows(demo):
    live, headers = demo
    query = REVIEWS["revenue"].query_type(from_on=date(2024, 7, 1), to_on=date(2025, 7, 1), by="month")
    result = run_directly(live.store, "revenue", query)
    assert len(result.rows()) == 12
    with live.client() as api:
        answer = api.get("/api/v1/reviews/revenue?from_on=2024-07-01&to_on=2025-07-01&by=month", headers=headers)
        table = api.get("/api/v1/reviews/revenue.csv?from_on=2024-07-01&to_on=2025-07-01&by=month", headers=headers)
    assert answer.json() == as_json(query, result)
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    rows = result.rows()
    columns = list(rows[0])
    assert list(csv.reader(io.StringIO(table.text))) == [columns] + [[plain_text(r[c]) for c in columns] for r in rows]


@pytest.mark.parametrize(("query", "field", "detail"), [
    ("from_on=2025-07-01&to_on=2025-01-01", "to_on", "to_on: 2025-01-01 is not after from_on 2025-07-01"),
    ("from_on=yesterday", "from_on", "from_on: input should be a valid date or datetime, input is too short "
                                     "(got 'yesterday')"),
    ("top=0", "top", "top: input should be greater than or equal to 1 (got '0')"),
    ("by=horoscope", "by", "by: input should be "),
    ("colour=blue", "colour", "colour: the revenue review has no option 'colour'; its options are "),
])
def test_a_bad_value_is_a_422_naming_the_field(demo, query, field, detail):
    live, headers = demo
    with live.client() as api:
        for path in (f"/api/v1/reviews/revenue?{query}", f"/api/v1/reviews/revenue.csv?{query}"):
            answer = api.get(path, headers=headers)
            body = answer.json()
            assert (answer.status_code, answer.headers["content-type"]) == (422, "application/problem+json")
            assert (body["type"], body["title"], body["status"], body["field"]) == (
                "about:blank", "Invalid input", 422, field)
            assert body["detail"].startswith(detail), body["detail"]


def test_an_unknown_review_is_a_404(demo):
    live, headers = demo
    with live.client() as api:
        answer = api.get("/api/v1/reviews/horoscope", headers=headers)
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"no review called 'horoscope'; there are: {', '.join(NAMES)}"


def test_without_a_token_the_api_refuses(demo):
    live, _ = demo
    with live.client() as api:
        for path in ("/api/v1/reviews", "/api/v1/reviews/revenue", "/api/v1/reviews/revenue.csv"):
            answer = api.get(path)
            assert answer.status_code == 401
            assert answer.json()["title"] == "Login required"


def test_an_unsynced_warehouse_is_a_409_saying_run_accord_sync(tmp_path):
    store = Store.open(settings_for("sqlite", tmp_path), upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="New Shop")
    add_role_users(store)
    server = serve(store)
    url = next(server)
    try:
        with LiveApp(url, store).client() as api:
            answer = api.get("/api/v1/reviews/revenue", headers=bearer(store, "sales"))
    finally:
        server.close()
        store.close()
    assert answer.status_code == 409
    assert answer.json() == {"type": "about:blank", "title": "Conflict", "status": 409,
                             "detail": "the warehouse holds no data yet: run `accord sync` to copy the store into "
                                       "it, then look again"}
