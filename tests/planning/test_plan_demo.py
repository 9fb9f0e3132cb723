"""A review cycle on the demo business, over real HTTP: goal progress is the matching review's number, planned
and actual spend per campaign are right to the cent, and the written plan prints as a PDF whose pages render."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from html import unescape
from pathlib import Path

import numpy as np
import pytest
from babel.numbers import format_currency
from sqlalchemy import select

from accord.demo.models import DemoRun
from accord.kernel.audit import Actor
from accord.kernel.money import Money
from accord.kernel.store import Store
from accord.planning import service
from accord.planning.metrics import value_text
from accord.planning.schemas import CycleIn
from accord.reviews import alignment, audience, customers, journey, revenue, roi
from cli.cli_support import Call, run
from stores import settings_for
from web.conftest import LiveApp
from web.test_reviews_pages import run_directly, served_demo

RUNNING_GOAL_DAYS = 120  # the running goals start this many days before the demo's last day


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[LiveApp]:
    """The demo business served over HTTP, its warehouse synced."""
    with served_demo(tmp_path_factory, "plan-demo") as live:
        yield live


@pytest.fixture(scope="module")
def anchor(demo) -> date:
    """The demo's last day of history."""
    with demo.store.transaction() as session:
        return session.scalar(select(DemoRun.anchor_on))


@pytest.fixture(scope="module")
def tokens(demo) -> dict[str, dict[str, str]]:
    """API headers of the marketing user and of a viewer."""
    return {role: {"Authorization": f"Bearer {demo.api_token(role)}"} for role in ("marketing", "viewer")}


def cli_run(workspace: Path, *args: str):
    """`accord --workspace WORKSPACE ARGS…` run as a user would."""
    return run(Call(["--workspace", str(workspace), *args], cwd=workspace.parent), timeout=120)


def last_full_month(anchor: date) -> tuple[date, date]:
    last = anchor.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def sql(demo: LiveApp, query: str, *args) -> list[tuple]:
    """An independent read of the store's SQLite file."""
    with sqlite3.connect(demo.store.settings.workspace / "accord.sqlite3") as db:
        return db.execute(query, args).fetchall()


def rand(minor: int) -> str:
    return format_currency(Decimal(minor) / 100, "ZAR", locale="en_ZA")


def review_numbers(demo: LiveApp, start: date, end: date) -> dict[str, float | None]:
    """Each metric's number as the Reviews pages compute it, run straight over the warehouse."""
    after = end + timedelta(days=1)
    found_revenue = run_directly(demo.store, "revenue", revenue.RevenueQuery(from_on=start, to_on=after))
    found_customers = run_directly(demo.store, "customers", customers.CustomersQuery(to_on=after))
    found_journey = run_directly(demo.store, "journey", journey.JourneyQuery(from_on=start, to_on=after))
    found_alignment = run_directly(demo.store, "alignment", alignment.AlignmentQuery(from_on=start, to_on=after))
    found_audience = run_directly(demo.store, "audience", audience.AudienceQuery(from_on=start, to_on=after))
    median = {m.key: m.value for m in found_alignment.measures}["engagement_response_median"]
    return {
        "revenue": found_revenue.net_minor,
        "new_customers": sum(1 for c in found_customers.customers if c.first_on >= start),
        "conversion_rate": found_journey.won * 10_000 / found_journey.contacts,
        "response_time": median * 3600,
        "engaged_contacts": found_audience.engaged,
    }


@pytest.fixture(scope="module")
def plan_with_goals(demo, anchor, tokens) -> dict:
    """A plan over the demo's year with one goal on each metric: running goals and one finished goal."""
    marketing = tokens["marketing"]
    running = (anchor - timedelta(days=RUNNING_GOAL_DAYS), anchor + timedelta(days=60))
    new_year = anchor.replace(month=1, day=1)
    finished = (new_year - timedelta(days=365), new_year - timedelta(days=1))
    with demo.client() as api:
        plan = api.post("/api/v1/plans", headers=marketing, json={
            "title": "Kasi Kitchen plan", "vision": "Every office in Joburg eats well at lunch.",
            "period_start": running[0].isoformat(), "period_end": running[1].isoformat()}).json()
        targets = {"revenue": 400_000_000, "new_customers": 150, "conversion_rate": 1500, "response_time": 7200,
                   "engaged_contacts": 1000}
        goals = {}
        for metric, target in targets.items():
            answer = api.post("/api/v1/goals", headers=marketing, json={
                "metric": metric, "target": target, "period_start": running[0].isoformat(),
                "period_end": running[1].isoformat(), "plan_id": plan["id"]})
            assert answer.status_code == 201, answer.text
            goals[metric] = answer.json()
        last_year = api.post("/api/v1/goals", headers=marketing, json={
            "metric": "revenue", "target": 1, "name": "Revenue last year", "period_start": finished[0].isoformat(),
            "period_end": finished[1].isoformat()})
        assert last_year.status_code == 201, last_year.text
    return {"plan": plan, "goals": goals, "running": running, "finished": finished, "last_year": last_year.json()}


def test_goal_progress_equals_the_matching_review_number(demo, plan_with_goals, tokens):
    start, end = plan_with_goals["running"]
    numbers = review_numbers(demo, start, end)
    with demo.client() as api:
        answers = {metric: api.get(f"/api/v1/goals/{goal['id']}", headers=tokens["viewer"]).json()
                   for metric, goal in plan_with_goals["goals"].items()}
    assert {metric: answer["actual"] for metric, answer in answers.items()} == numbers
    elapsed = (date.fromisoformat(answers["revenue"]["as_of"]) - start).days + 1
    days = (end - start).days + 1
    assert answers["revenue"]["expected_so_far"] == pytest.approx(400_000_000 * elapsed / days)
    assert answers["revenue"]["status"] == ("on course" if numbers["revenue"] >= 400_000_000 * elapsed / days
                                            else "behind")
    assert answers["response_time"]["status"] == ("on course" if numbers["response_time"] <= 7200 else "behind")
    assert answers["revenue"]["source"] == "Revenue review: net revenue in ZAR"
    with demo.client() as api:
        finished = api.get(f"/api/v1/goals/{plan_with_goals['last_year']['id']}", headers=tokens["viewer"]).json()
    first, last = plan_with_goals["finished"]
    expected = run_directly(demo.store, "revenue", revenue.RevenueQuery(from_on=first, to_on=last + timedelta(days=1)))
    assert (finished["actual"], finished["status"], finished["expected_so_far"]) == (expected.net_minor, "met", 1.0)
    # The plan page shows the same figures as a person reads them.
    with demo.login("sales") as client:
        page = client.get(f"/plan?plan={plan_with_goals['plan']['id']}")
    assert page.status_code == 200
    for metric, goal in plan_with_goals["goals"].items():
        row = re.search(rf'<tr data-goal-id="{goal["id"]}">(.*?)</tr>', page.text, flags=re.S).group(1)
        shown = unescape(re.search(r'<span class="actual">(.*?)</span>', row).group(1))
        assert shown == value_text(goal["unit"], numbers[metric], goal["currency"])
        assert f'<span class="status {answers[metric]["status"].replace(" ", "-")}">' in row


def test_a_closed_cycle_shows_planned_and_actual_spend_per_campaign_to_the_cent(demo, anchor, plan_with_goals, tokens):
    first, last = last_full_month(anchor)
    marketing = tokens["marketing"]
    with demo.client() as api:
        opened = api.post("/api/v1/review-cycles", headers=marketing, json={
            "starts_on": first.isoformat(), "ends_on": last.isoformat()})
        assert opened.status_code == 201, opened.text
        cycle = opened.json()
        closed = api.post(f"/api/v1/review-cycles/{cycle['id']}/close", headers=marketing, json={
            "learned": "Search keeps paying for itself.", "changes": "Move the newsletter budget to search."})
    assert closed.status_code == 200, closed.text
    snapshot = closed.json()["closed"]["snapshot"]

    # Independently: the campaigns running in the month, their spend rows dated in it, and the budget share of
    # their days that fall in it.
    campaigns = sql(demo, "SELECT id, name, budget_minor, starts_on, ends_on FROM campaign "
                          "WHERE starts_on <= ? AND ends_on >= ? ORDER BY starts_on, name", last.isoformat(),
                    first.isoformat())
    spent = dict(sql(demo, "SELECT campaign_id, SUM(amount_minor) FROM spend WHERE spent_on BETWEEN ? AND ? "
                           "GROUP BY campaign_id", first.isoformat(), last.isoformat()))
    assert sql(demo, "SELECT DISTINCT currency FROM spend") == [("ZAR",)]

    def planned(budget: int, starts: str, ends: str) -> int:
        begin, end = date.fromisoformat(starts), date.fromisoformat(ends)
        shared = (min(end, last) - max(begin, first)).days + 1
        share = Decimal(budget) * shared / ((end - begin).days + 1)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

    assert len(campaigns) >= 3
    assert [(e["campaign_id"], e["name"], e["budget_minor"], e["planned_minor"], e["spent_minor"],
             e["variance_minor"]) for e in snapshot["campaigns"]] == [
        (cid, name, budget, planned(budget, s, e), spent.get(cid, 0), spent.get(cid, 0) - planned(budget, s, e))
        for cid, name, budget, s, e in campaigns]
    # The same spend as the ROI review's, which reads the warehouse, and its credited revenue per campaign.
    found = run_directly(demo.store, "roi", roi.RoiQuery(from_on=first, to_on=last + timedelta(days=1)))
    lines = {line.name: line for line in found.lines}
    for entry in snapshot["campaigns"]:
        assert entry["spent_minor"] == lines[entry["name"]].spend_minor
        assert (entry["attributed_revenue_minor"], entry["roi"]) == (lines[entry["name"]].revenue_minor,
                                                                     lines[entry["name"]].roi)
    numbers = review_numbers(demo, *plan_with_goals["running"])
    running = {goal["id"] for goal in plan_with_goals["goals"].values()}
    assert {g["metric"]: g["actual"] for g in snapshot["goals"] if g["goal_id"] in running} == numbers

    # The cycle page shows each campaign's planned and actual spend to the cent; the next cycle starts from it.
    with demo.login("viewer") as client:
        page = client.get(f"/plan/cycles/{cycle['id']}")
        following = client.get(f"/plan/cycles/{closed.json()['next']['id']}")
    assert page.status_code == 200
    for entry in snapshot["campaigns"]:
        row = re.search(rf'<tr data-campaign-id="{entry["campaign_id"]}">(.*?)</tr>', page.text, flags=re.S).group(1)
        assert unescape(re.search(r'<td class="num nowrap planned">(.*?)</td>', row).group(1)) == rand(
            entry["planned_minor"])
        assert unescape(re.search(r'<td class="num nowrap spent">(.*?)</td>', row).group(1)) == rand(
            entry["spent_minor"])
    assert '<p class="learned" id="learned">Search keeps paying for itself.</p>' in page.text
    next_cycle = closed.json()["next"]
    assert (next_cycle["starts_on"], next_cycle["previous_cycle_id"], next_cycle["status"]) == (
        (last + timedelta(days=1)).isoformat(), cycle["id"], "open")
    assert '<p class="agenda" id="agenda">Move the newsletter budget to search.</p>' in following.text

    with demo.client() as api:
        again = api.post(f"/api/v1/review-cycles/{cycle['id']}/close", headers=marketing, json={"learned": "twice"})
        edit = api.patch(f"/api/v1/review-cycles/{cycle['id']}", headers=marketing, json={"changes": "rewrite"})
    assert (again.status_code, again.json()["detail"]) == (409, f"review cycle {cycle['id']} is already closed")
    assert (edit.status_code, edit.json()["detail"]) == (
        409, f"review cycle {cycle['id']} is closed; a closed cycle is read-only")


def _pgm(path: Path) -> np.ndarray:
    """A binary PGM image (what pdftoppm -gray writes) as an array of grey levels."""
    data = path.read_bytes()
    magic, width, height, depth, pixels = re.match(rb"(P5)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", data, flags=re.S).groups()
    assert (magic, depth) == (b"P5", b"255")
    return np.frombuffer(pixels, dtype=np.uint8).reshape(int(height), int(width))


@pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("pdftoppm") is None,
                    reason="printing the plan needs Chromium and poppler-utils")
def test_the_written_plan_prints_as_a_pdf_whose_pages_render(demo, plan_with_goals, tokens, tmp_path):
    plan = plan_with_goals["plan"]
    with demo.client() as api:
        answer = api.get(f"/api/v1/plans/{plan['id']}/plan.pdf", headers=tokens["viewer"], timeout=120)
        document = api.get(f"/api/v1/plans/{plan['id']}", headers=tokens["viewer"]).json()
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(answer.content)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                text=True, check=True).stdout).group(1))
    subprocess.run(["pdftoppm", "-r", "50", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages >= 2
    for image in images:
        pixels = _pgm(image)
        assert min(pixels.shape) > 400  # an A4 page at 50 dpi is 413 × 585 pixels
        assert (pixels < 128).sum() > 100, f"{image.name} is blank"  # a line of text has hundreds of dark pixels
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.replace("\xa0", " ").split())
    for heading in ("Kasi Kitchen plan", "Vision", "Personas", "Goals", "Campaigns", "Budget", "Calendar",
                    "Every office in Joburg eats well at lunch."):
        assert heading in text
    budget = sum(c["budget_base_minor"] for c in document["campaigns"])
    assert budget == document["budget"]["budget_base_minor"]
    assert f"Total budget (ZAR) {rand(budget)}".replace("\xa0", " ") in text
    for goal in document["goals"]:
        unit, currency = goal["goal"]["unit"], goal["goal"]["currency"]
        assert value_text(unit, goal["goal"]["target"], currency).replace("\xa0", " ") in text
        assert value_text(unit, goal["actual"], currency).replace("\xa0", " ") in text
    for campaign in document["campaigns"]:
        assert rand(campaign["spent_base_minor"]).replace("\xa0", " ") in text


def test_the_written_plan_downloads_as_markdown_from_the_page(demo, plan_with_goals):
    plan = plan_with_goals["plan"]
    with demo.login("viewer") as client:
        page = client.get(f"/plan?plan={plan['id']}")
        answer = client.get(f"/plan/plans/{plan['id']}/plan.md")
    assert f'href="/plan/plans/{plan["id"]}/plan.md">Download Markdown</a>' in page.text
    assert f'href="/plan/plans/{plan["id"]}/plan.pdf">Download PDF</a>' in page.text
    # The demo declares no persona: the plan says where to make one.
    assert ('<p class="muted">No personas yet; describe the true customer on the <a href="/personas">Personas page'
            '</a>.</p>') in page.text
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="plan-{plan["id"]}-{plan["period_start"]}.md"')
    headings = [line for line in answer.text.splitlines() if line.startswith("#")]
    campaign_names = [name for (name,) in sql(demo, "SELECT name FROM campaign WHERE plan_id IS NULL AND "
                                                    "starts_on <= ? AND ends_on >= ? ORDER BY starts_on, name",
                                              plan["period_end"], plan["period_start"])]
    assert headings == ["# Kasi Kitchen plan", "## Vision", "## Personas", "## Goals", "## Campaigns",
                        *[f"### {name}" for name in campaign_names], "## Budget", "## Calendar"]


def test_the_cli_exports_the_plan_and_prints_the_goals(demo, plan_with_goals, tmp_path):
    plan = plan_with_goals["plan"]
    workspace = tmp_path / "ws"
    shutil.copytree(demo.store.settings.workspace, workspace)
    exported = cli_run(workspace, "plan", "export", "--plan", str(plan["id"]), "--out", str(tmp_path / "plan.md"))
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "plan.md").read_text(encoding="utf-8").startswith(
        "# Kasi Kitchen plan\n\nKasi Kitchen & Catering · ")
    refused = cli_run(workspace, "plan", "export", "--out", str(tmp_path / "plan.docx"))
    assert (refused.returncode, refused.stdout, refused.stderr.strip()) == (
        1, "", "error: --out: plan.docx must end in .md or .pdf")
    listed = cli_run(workspace, "plan", "goals", "--plan", str(plan["id"]))
    assert listed.returncode == 0, listed.stderr
    numbers = review_numbers(demo, *plan_with_goals["running"])
    for metric, goal in plan_with_goals["goals"].items():
        assert value_text(goal["unit"], numbers[metric], goal["currency"]) in listed.stdout


def test_the_cli_closes_the_current_plans_open_cycle(demo, anchor, plan_with_goals, tmp_path):
    plan = plan_with_goals["plan"]
    workspace = tmp_path / "ws"
    shutil.copytree(demo.store.settings.workspace, workspace)
    first, last = last_full_month(anchor)
    store = Store.open(settings_for("sqlite", workspace))
    try:
        with store.transaction() as session:
            cycle = service.open_cycle(session, CycleIn(starts_on=first, ends_on=last, plan_id=plan["id"]),
                                       actor=Actor("test"))
    finally:
        store.close()
    closed = cli_run(workspace, "plan", "close-cycle", "--learned", "Festive platters sell themselves.",
                     "--changes", "Open festive orders a week earlier.")
    assert closed.returncode == 0, closed.stderr
    output = closed.stdout.splitlines()
    following = service.next_period(first, last)
    assert output[0] == f"Closed review cycle {cycle.id} ({first} to {last})."
    assert output[-1] == f"Opened review cycle {cycle.id + 1} ({following[0]} to {following[1]})."
    with sqlite3.connect(workspace / "accord.sqlite3") as db:
        spent = db.execute("SELECT c.name, SUM(s.amount_minor) FROM spend s JOIN campaign c ON c.id = s.campaign_id "
                           "WHERE s.spent_on BETWEEN ? AND ? GROUP BY c.name", (first.isoformat(),
                                                                               last.isoformat())).fetchall()
        closed_by = db.execute("SELECT u.email FROM review_cycle r JOIN app_user u ON u.id = r.closed_by_user_id "
                               "WHERE r.id = ?", (cycle.id,)).fetchone()
    for name, minor in spent:
        row = next(line for line in output if line.startswith(f"│ {name[:12]}"))
        assert str(Money(minor, "ZAR")) in row
    assert closed_by == ("owner@test.example",)
    again = cli_run(workspace, "plan", "close-cycle", "--cycle", str(cycle.id), "--learned", "twice")
    assert (again.returncode, again.stdout, again.stderr.strip()) == (
        1, "", f"error: review cycle {cycle.id} is already closed")
