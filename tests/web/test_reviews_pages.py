"""Review pages over the demo business: every registered review renders, its CSV is its rows, bad queries are named."""

from __future__ import annotations

import atexit
import csv
import html
import io
import json
import os
import re
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from accord.accounts import service as accounts
from accord.accounts.schemas import UserIn
from accord.demo.loader import load_demo
from accord.kernel.audit import SYSTEM
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.reviews.base import ReviewQuery, ReviewResult, all_reviews
from accord.warehouse import connect, sync
from accord.web.routes.reviews import PAGE_ROWS
from stores import settings_for
from web.conftest import PASSWORD, ROLE_EMAILS, LiveApp, serving

REVIEWS = all_reviews()
NAMES = list(REVIEWS)
# Money first, then how it was won, then the people; reviews added later follow alphabetically.
OWNER_ORDER = ["revenue", "income", "growth", "roi", "attribution", "journey", "segments", "customers", "audience",
               "needs", "alignment"]
IN_ORDER = [name for name in OWNER_ORDER if name in REVIEWS] + [name for name in NAMES if name not in OWNER_ORDER]
DATASET_NAME = re.compile(r"^data-[0-9a-f]{32}$")
DEMO_TEMPLATE = Path(tempfile.gettempdir()) / f"accord-review-demo-{os.getpid()}"


def add_role_users(store: Store) -> None:
    """One user per role, with the password the test clients log in with."""
    with store.transaction() as session:
        for role, email in ROLE_EMAILS.items():
            accounts.create_user(session, UserIn(email=email, name=role.title(), role=role, password=PASSWORD),
                                 actor=SYSTEM)


def _build_demo(folder: Path) -> None:
    store = Store.open(settings_for("sqlite", folder), upgrade=True)
    try:
        load_demo(store, scale="small", seed=7)
        add_role_users(store)
        warehouse = connect(store.settings)
        try:
            sync(store, warehouse)
        finally:
            warehouse.disconnect()
    finally:
        store.close()


def demo_store(folder: Path) -> Store:
    """A SQLite store with the small demo business and one user per role, synced into its DuckDB warehouse.

    The page, API, CLI and browser tests each get their own copy of one workspace built once per test run.
    """
    if not (DEMO_TEMPLATE / "built").exists():
        _build_demo(DEMO_TEMPLATE)
        (DEMO_TEMPLATE / "built").touch()
        atexit.register(shutil.rmtree, DEMO_TEMPLATE, ignore_errors=True)
    shutil.copytree(DEMO_TEMPLATE, folder, ignore=shutil.ignore_patterns("built"), dirs_exist_ok=True)
    return Store.open(settings_for("sqlite", folder))


@contextmanager
def served_demo(tmp_path_factory, name: str) -> Iterator[LiveApp]:
    """A copy of the demo store (see demo_store) in a new folder `name`, served over HTTP until the block ends."""
    with serving(demo_store(tmp_path_factory.mktemp(name))) as live:
        yield live


def run_directly(store: Store, name: str, query: ReviewQuery) -> ReviewResult:
    """A review run straight over the store's warehouse: what every surface must show."""
    warehouse = connect(store.settings)
    try:
        return REVIEWS[name].run(warehouse, query)
    finally:
        warehouse.disconnect()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[LiveApp]:
    """The demo business served over HTTP, its warehouse synced."""
    with served_demo(tmp_path_factory, "reviews-demo") as live:
        yield live


@pytest.fixture(scope="module")
def expected(demo) -> dict[str, ReviewResult]:
    """Each review run directly over the warehouse with its default query: what every surface must show."""
    return {name: run_directly(demo.store, name, review.query_type()) for name, review in REVIEWS.items()}


def steady(value: Any) -> Any:
    """A chart spec without what changes between two runs of one review: float noise and Altair's dataset hashes."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str):
        return DATASET_NAME.sub("data", value)
    if isinstance(value, dict):
        return {steady(key): steady(item) for key, item in value.items()}
    if isinstance(value, list):
        return [steady(item) for item in value]
    return value


def plain_text(value: Any) -> str:
    """How a CSV cell holds a row value."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def default_pairs(name: str) -> list[tuple[str, str]]:
    """The default query as URL pairs, every field that has a value."""
    pairs = []
    for field, value in REVIEWS[name].query_type().model_dump(mode="json").items():
        for one in value if isinstance(value, list) else [] if value is None else [value]:
            pairs.append((field, str(one).lower() if isinstance(one, bool) else str(one)))
    return pairs


def notes_of(shown: str) -> list[str]:
    """The notes a result shows, as text."""
    if 'id="review-notes"' not in shown:
        return []
    listed = shown.split('id="review-notes"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(note) for note in re.findall(r"<li>(.*?)</li>", listed, flags=re.S)]


def result_part(page: str) -> str:
    return page[page.index('<div id="review-result"'):]


def test_reviews_are_registered():
    assert {"revenue"} <= set(NAMES), NAMES


def test_the_list_links_every_review_with_its_summary(demo):
    with demo.login("viewer") as client:
        page = client.get("/reviews")
    assert page.status_code == 200
    listed = re.findall(r'<a class="card" href="/reviews/(\w+)" data-review="\w+">\s*<h2>([^<]+)</h2>\s*<p>([^<]+)</p>',
                        page.text)
    assert [tuple(html.unescape(part) for part in item) for item in listed] == [
        (name, REVIEWS[name].title, REVIEWS[name].summary) for name in IN_ORDER]


@pytest.mark.parametrize("name", NAMES)
def test_each_review_page_shows_notes_charts_table_and_a_csv_link(demo, expected, name):
    result = expected[name]
    with demo.login("owner") as client:
        page = client.get(f"/reviews/{name}")
    assert page.status_code == 200, page.text
    text = page.text
    assert html.unescape(re.search(r"<h1>(.*?)</h1>", text).group(1)) == REVIEWS[name].title
    for field in REVIEWS[name].query_type.model_fields:
        assert re.search(rf'<(input|select)[^>]* name="{field}"', text), f"no form field for {field}"
    shown = result_part(text)
    assert notes_of(shown) == result.notes
    specs = [json.loads(html.unescape(s)) for s in re.findall(r"data-spec='([^']*)'", shown)]
    assert steady(specs) == steady(json.loads(json.dumps(result.charts())))
    rows = result.rows()
    body = re.search(r'<table id="review-table".*?<tbody>(.*?)</tbody>', shown, flags=re.S)
    shown_rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), flags=re.S) if body else []
    assert len(shown_rows) == min(len(rows), PAGE_ROWS)
    count = html.unescape(re.search(r'<small id="review-count">(.*?)</small>', shown).group(1))
    assert count == (f"The first {PAGE_ROWS} of {len(rows):,} rows; the CSV holds them all.".replace(",", "\u202f")
                     if len(rows) > PAGE_ROWS else f"{len(rows)} row{'' if len(rows) == 1 else 's'}")
    if rows:
        heads = re.findall(r"<th[^>]*>([^<]*)</th>", shown.split("<thead>", 1)[1].split("</thead>", 1)[0])
        assert len(heads) == len({key for row in rows for key in row})
    link = re.search(r'<a href="([^"]+)" id="review-csv"', shown).group(1)
    parts = urlsplit(html.unescape(link))
    assert (parts.path, parse_qsl(parts.query)) == (f"/reviews/{name}.csv", default_pairs(name))


@pytest.mark.parametrize("name", NAMES)
def test_the_csv_is_the_rows(demo, expected, name):
    rows = expected[name].rows()
    with demo.login("sales") as client:
        answer = client.get(f"/reviews/{name}.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith(f'attachment; filename="{name}')
    table = list(csv.reader(io.StringIO(answer.text)))
    columns = list(dict.fromkeys(key for row in rows for key in row))
    assert table[0] == columns
    assert table[1:] == [[plain_text(row.get(c)) for c in columns] for row in rows]


def test_a_changed_period_changes_the_result_and_htmx_gets_the_fragment_alone(demo):
    name = "revenue"
    query = REVIEWS[name].query_type(from_on=date(2025, 1, 1), to_on=date(2025, 4, 1))
    result = run_directly(demo.store, name, query)
    with demo.login("marketing") as client:
        fragment = client.get(f"/reviews/{name}?from_on=2025-01-01&to_on=2025-04-01", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<form" not in fragment.text
    assert '<p class="review-period" id="review-period">1 January 2025 to 31 March 2025</p>' in fragment.text
    rows = re.findall(r"<tr>", fragment.text.split("<tbody>", 1)[1]) if "<tbody>" in fragment.text else []
    assert len(rows) == len(result.rows())
    assert notes_of(fragment.text) == result.notes
    assert 'href="/reviews/revenue.csv?from_on=2025-01-01&amp;to_on=2025-04-01' in fragment.text


@pytest.mark.parametrize(("query", "field", "message"), [
    ("from_on=2025-04-01&to_on=2025-01-01", "to_on", "To (not included): 2025-01-01 is not after from_on 2025-04-01"),
    ("from_on=2025-02-31", "from_on", "From: input should be a valid date or datetime, day value is outside "
                                      "expected range (got &#39;2025-02-31&#39;)"),
    ("colour=blue", "colour", "colour: the revenue review has no option &#39;colour&#39;; its options are "),
])
def test_a_bad_query_is_named_on_the_page_and_in_the_fragment(demo, query, field, message):
    with demo.login("viewer") as client:
        page = client.get(f"/reviews/revenue?{query}")
        fragment = client.get(f"/reviews/revenue?{query}", headers={"HX-Request": "true"})
    assert (page.status_code, fragment.status_code) == (422, 422)
    for text in (page.text, fragment.text):
        error = re.search(r'<p class="notice error" role="alert" id="review-error" data-field="(\w+)">\s*(.*?)</p>',
                          text, flags=re.S)
        assert error.group(1) == field
        assert error.group(2).strip().startswith(message)
    assert '<form id="review-form"' in page.text and "<form" not in fragment.text
    if field in REVIEWS["revenue"].query_type.model_fields:
        assert re.search(rf'name="{field}"[^>]* aria-invalid="true"', page.text)


def test_an_unknown_review_is_not_found(demo):
    with demo.login("viewer") as client:
        page = client.get("/reviews/horoscope")
        csv_answer = client.get("/reviews/horoscope.csv")
    assert (page.status_code, csv_answer.status_code) == (404, 404)
    assert f"no review called &#39;horoscope&#39;; there are: {', '.join(NAMES)}" in page.text


@pytest.mark.parametrize("role", list(ROLE_EMAILS))
def test_every_signed_in_role_reads_reviews(demo, role):
    with demo.login(role) as client:
        assert client.get("/reviews").status_code == 200
        assert client.get("/reviews/revenue.csv").status_code == 200


@pytest.mark.parametrize("path", ["/reviews", "/reviews/revenue", "/reviews/revenue.csv?by=month"])
def test_anonymous_is_sent_to_log_in(demo, path):
    with demo.client() as client:
        page = client.get(path)
        fragment = client.get(path, headers={"HX-Request": "true"})
    assert (page.status_code, fragment.status_code) == (303, 401)
    assert page.headers["location"].startswith("/login?next=/reviews")
    assert fragment.headers["hx-redirect"].startswith("/login?next=/reviews")


@pytest.fixture(scope="module")
def unsynced(tmp_path_factory) -> Iterator[LiveApp]:
    """A workspace whose warehouse was never synced."""
    store = Store.open(settings_for("sqlite", tmp_path_factory.mktemp("unsynced")), upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="New Shop")
    add_role_users(store)
    with serving(store) as live:
        yield live


def test_a_warehouse_never_synced_says_run_accord_sync(unsynced):
    with unsynced.login("viewer") as client:
        page = client.get("/reviews/revenue")
        download = client.get("/reviews/revenue.csv")
    assert page.status_code == 200
    assert re.search(r'<p class="notice" role="alert" id="review-problem">the warehouse holds no data yet: run '
                     r"`accord sync` to copy the store into it, then look again</p>", page.text)
    assert 'id="review-table"' not in page.text
    assert download.status_code == 409
    assert "run `accord sync`" in download.text


def test_the_csv_file_name_keeps_only_safe_characters(demo):
    free_text = [(name, field) for name, r in REVIEWS.items() for field, info in r.query_type.model_fields.items()
                 if info.annotation in (str, str | None)]
    with demo.login("viewer") as client:
        plain_name = client.get("/reviews/revenue.csv", params={"from_on": "2025-01-01", "by": "channel", "top": "7"})
        answers = {(name, field): client.get(f"/reviews/{name}.csv", params={field: 'in "person"\r\nX-Evil: 1'})
                   for name, field in free_text}
    assert plain_name.headers["content-disposition"] == 'attachment; filename="revenue-2025-01-01-channel-7.csv"'
    assert answers, "some review has a free-text option to try"
    for (name, _), answer in answers.items():
        assert "x-evil" not in answer.headers
        if answer.status_code == 422:  # the option refuses text it does not know: nothing reaches the header
            continue
        assert answer.status_code == 200
        disposition = answer.headers["content-disposition"]
        assert re.fullmatch(rf'attachment; filename="{name}-[A-Za-z0-9._-]*in__person___X-Evil__1[A-Za-z0-9._-]*'
                            r'\.csv"', disposition), disposition


def test_the_demo_customers_have_a_lifetime_value_from_one_shared_drop_out_chance(demo, expected):
    result = expected["customers"]
    model = result.purchase_model
    assert model is not None and model.customers == len(result.customers) > 100
    chance = model.a / (model.a + model.b)
    # The demo's three kinds of customer stop after a purchase with chances of about 6 %, 10 % and 13 %.
    assert 0.06 < chance < 0.13
    assert any(note.startswith("Every customer drops out with the same chance: ") and f"{chance:.1%}." in note
               for note in result.notes)
    assert all(c.clv_minor is not None and c.clv_minor >= 0 and 0 <= c.p_alive <= 1 for c in result.customers)
    # Long gone (a year without an order after buying five times or more) against just seen: the model tells
    # every one of them apart.
    gone = [c.p_alive for c in result.customers if c.days_since_last > 365 and c.purchases >= 5]
    recent = [c.p_alive for c in result.customers if c.days_since_last < 14 and c.purchases >= 5]
    assert gone and recent and max(gone) < min(recent)
    assert statistics.median(gone) < 0.05 and statistics.median(recent) > 0.5
    with demo.login("owner") as client:
        page = client.get("/reviews/customers").text
    assert f"with probability {chance:.1%}." in html.unescape(page)
    assert "Lifetime value is not estimated" not in page
