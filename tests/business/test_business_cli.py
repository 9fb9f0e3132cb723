"""`accord business show|diff|competitors`, run as a user would: the installed command in a subprocess."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from accord import models  # noqa: F401 - every table, so the audit rows' foreign keys resolve
from accord.accounts import service as accounts
from accord.business import service
from accord.business.schemas import CompetitorIn, ObservationIn
from accord.kernel.audit import Actor
from accord.kernel.store import Store
from accord.settings import Settings
from business_support import FIRST, SECOND
from cli.cli_support import Call, assert_refused, described, lines, run, run_all

T1 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def init(folder: Path) -> Path:
    workspace = folder / "ws"
    made = run(Call(["--workspace", str(workspace), "init", "--name", "Kasi Kitchen"], cwd=folder))
    assert made.returncode == 0, described(made)
    return workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace made by `accord init`, holding two versions of the review and two competitors."""
    workspace = init(tmp_path_factory.mktemp("business-cli"))
    store = Store.open(Settings(workspace=workspace, database_url=None))
    try:
        with store.transaction() as session:
            owner = Actor.user(accounts.first_owner(session))
            service.save_version(session, FIRST, actor=owner, at=T1)
            service.save_version(session, SECOND, actor=owner, at=T2)
            mama = service.add_competitor(session, CompetitorIn(name="Mama's Kitchen", scope="local",
                                                                website="mamaskitchen.co.za"), actor=owner)
            service.add_competitor(session, CompetitorIn(name="Chef Abroad", scope="international"), actor=owner)
            for day, text in [(1, "New menu"), (9, "Free delivery weekend"), (5, "Price up 10%"), (3, "Hiring")]:
                service.add_observation(session, mama.id, ObservationIn(observed_on=date(2026, 3, day), text=text),
                                        actor=owner, at=T2)
    finally:
        store.close()
    return workspace


def business(workspace: Path, *args: str) -> Call:
    return Call(["--workspace", str(workspace), "business", *args], cwd=workspace.parent)


def test_show_prints_the_latest_or_a_chosen_version(workspace):
    latest, first = run_all([business(workspace, "show"), business(workspace, "show", "--version", "1")])

    assert (latest.returncode, latest.stderr) == (0, ""), described(latest)
    assert lines(latest.stdout) == [
        "Business review, version 2 (saved 01 Jun 2026 11:00 by Owner: after the March review)",
        "Vision",
        "  Home-style catering for Soweto and Johannesburg families.",
        "Needs",
        "  1. Vegetarian menu",
        "  2. orders on whatsapp.",
        "  3. Delivery before 11:00",
        "  4. Halaal options",
        "Opportunities",
        "  1. Corporate year-end functions",
        "  2. Wedding catering",
        "Improvements",
        "  1. Answer messages within an hour",
        "Strengths",
        "  1. Grandmother's recipes",
        "  2. Fast delivery in Soweto and Alexandra",
        "  3. Friendly staff",
        "Exceptions",
        "  1. Closed on Sundays",
        "  2. No alcohol served",
    ]
    assert (first.returncode, first.stderr) == (0, ""), described(first)
    assert lines(first.stdout)[:6] == [
        "Business review, version 1 (saved 02 Mar 2026 11:00 by Owner: the first review)",
        "Vision",
        "  Home-style catering for Soweto families.",
        "Needs",
        "  1. Orders on WhatsApp",
        "  2. Delivery before 12:00",
    ]


def test_diff_prints_what_was_added_removed_and_reworded(workspace):
    forward, same = run_all([business(workspace, "diff", "1", "2"), business(workspace, "diff", "2", "2")])

    assert (forward.returncode, forward.stderr) == (0, ""), described(forward)
    assert lines(forward.stdout) == [
        "Business review: version 1 → version 2",
        "(+ added, - removed, ~ reworded: before → after)",
        "Vision",
        "  - Home-style catering for Soweto families.",
        "  + Home-style catering for Soweto and Johannesburg families.",
        "Needs",
        "  + Vegetarian menu",
        "  ~ Delivery before 12:00 → Delivery before 11:00",
        "Opportunities",
        "  + Wedding catering",
        "Improvements",
        "  + Answer messages within an hour",
        "  - Faster invoices",
        "Strengths",
        "  ~ Fast delivery in Soweto → Fast delivery in Soweto and Alexandra",
        "Exceptions",
        "  (the order changed)",
    ]
    assert (same.returncode, lines(same.stdout)) == (0, ["Nothing changed between version 2 and version 2."])


def test_competitors_are_listed_local_first_with_their_newest_observations(workspace):
    listed = run(business(workspace, "competitors"))

    assert (listed.returncode, listed.stderr) == (0, ""), described(listed)
    assert lines(listed.stdout) == [
        "Local",
        "  Mama's Kitchen (https://mamaskitchen.co.za)",
        "    2026-03-09  Free delivery weekend",
        "    2026-03-05  Price up 10%",
        "    2026-03-03  Hiring",
        "    … and 1 older",
        "International",
        "  Chef Abroad",
    ]


def test_missing_versions_are_one_line_errors(workspace, tmp_path):
    empty = init(tmp_path)
    beyond, not_in_diff, nothing_yet, nobody = run_all([
        business(workspace, "show", "--version", "9"), business(workspace, "diff", "1", "5"),
        business(empty, "show"), business(empty, "competitors"),
    ])

    assert_refused(beyond, "error: no business review version 9; the latest is version 2")
    assert_refused(not_in_diff, "error: no business review version 5; the latest is version 2")
    assert_refused(nothing_yet, "error: no business review saved yet; write the first on the Business page")
    assert (nobody.returncode, lines(nobody.stdout)) == (0, ["No competitors watched yet."])
