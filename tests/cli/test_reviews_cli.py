"""`accord review` and `accord report` run as a user would, over the demo business with its warehouse synced."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from babel.numbers import format_currency

from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.reviews.base import ReviewQuery, ReviewResult, all_reviews
from accord.reviews.report import write_report
from accord.warehouse import connect
from cli_support import Call, assert_refused, described, lines, run, run_all
from stores import settings_for
from web.test_reviews_pages import IN_ORDER, demo_store, plain_text

REVIEWS = all_reviews()
PERIOD = ["--from", "2024-07-01", "--to", "2025-07-01"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace folder holding the demo business, synced into its warehouse."""
    folder = tmp_path_factory.mktemp("review-cli") / "ws"
    demo_store(folder).close()
    return folder


def accord(workspace: Path, *args: str) -> Call:
    return Call(["--workspace", str(workspace), *args], cwd=workspace.parent)


def run_directly(workspace: Path, name: str, query: ReviewQuery) -> ReviewResult:
    warehouse = connect(settings_for("sqlite", workspace))
    try:
        return REVIEWS[name].run(warehouse, query)
    finally:
        warehouse.disconnect()


def test_list_names_every_review(workspace):
    result = run(accord(workspace, "review", "--list"))
    assert (result.returncode, result.stderr) == (0, ""), described(result)
    listed = [re.match(r"│ (\w+)\s+│ (.+?)\s+│", line).groups() for line in lines(result.stdout)[3:-1]]
    assert listed == [(name, REVIEWS[name].title) for name in IN_ORDER]


def test_json_csv_and_table_show_the_same_review_and_set_passes_any_field(workspace):
    query = REVIEWS["revenue"].query_type(from_on=date(2024, 7, 1), to_on=date(2025, 7, 1), by="month")
    expected = run_directly(workspace, "revenue", query)
    top_three = run_directly(workspace, "revenue", query.model_copy(update={"by": "channel", "top": 3}))
    # One at a time: each opens the DuckDB warehouse file, which one process at a time may hold.
    as_json, as_csv, as_table = [run(accord(workspace, "review", "revenue", *PERIOD, *more)) for more in (
        ["--by", "month", "--format", "json"], ["--by", "channel", "--set", "top=3", "--format", "csv"],
        ["--by", "month"])]
    for result in (as_json, as_csv, as_table):
        assert (result.returncode, result.stderr) == (0, ""), described(result)

    rows = expected.rows()
    assert (len(rows), len(top_three.rows())) == (12, 4)  # three channels and one row for the others
    assert json.loads(as_json.stdout) == {
        "query": {"from_on": "2024-07-01", "to_on": "2025-07-01", "by": "month", "top": query.top},
        "notes": expected.notes,
        "rows": [{k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()} for row in rows],
        "charts": json.loads(json.dumps(expected.charts())),
    }
    columns = list(top_three.rows()[0])
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [columns] + [[plain_text(r[c]) for c in columns]
                                                                         for r in top_three.rows()]
    printed = lines(as_table.stdout)
    assert printed[:2] == [REVIEWS["revenue"].title, "1 July 2024 to 30 June 2025"]
    assert printed[2:2 + len(expected.notes)] == [f"note: {note}" for note in expected.notes]
    net = format_currency(expected.net_minor / 100, "ZAR", locale="en_ZA")
    assert f"Net: {net}" in printed
    body = [line for line in printed if re.match(r"│ \d{4}-\d{2}-\d{2} ", line)]
    assert [line.split("│")[1].strip() for line in body] == [r["month"].isoformat() for r in rows]
    assert [line.split("│")[4].strip() for line in body] == [
        format_currency(r["net_minor"] / 100, "ZAR", locale="en_ZA") for r in rows]


def test_bad_input_is_one_line_and_exit_1(workspace, tmp_path):
    names = ", ".join(REVIEWS)
    cases = {
        ("review",): "error: NAME: give a review's name, or --list to see them",
        ("review", "horoscope"): f"error: no review called 'horoscope'; there are: {names}",
        ("review", "revenue", "--from", "2025-02-31"): "error: --from: input should be a valid date or datetime, "
                                                        "day value is outside expected range (got '2025-02-31')",
        ("review", "revenue", "--from", "2025-07-01", "--to", "2025-01-01"):
            "error: --to: 2025-01-01 is not after from_on 2025-07-01",
        ("review", "revenue", "--set", "colour=blue"): re.compile(
            r"error: --set colour: the revenue review has no option 'colour'; its options are from_on, to_on, .+"),
        ("review", "revenue", "--set", "top"): "error: --set: 'top' is not FIELD=VALUE",
        ("review", "revenue", "--format", "xml"): "error: --format: 'xml' is not one of table, json, csv",
        ("report", *PERIOD, "--out", str(tmp_path / "review.docx")):
            "error: --out: review.docx must end in .html or .pdf",
        ("report", "--from", "July", "--to", "2025-07-01", "--out", str(tmp_path / "r.html")):
            "error: --from: 'July' is not a date (YYYY-MM-DD)",
    }
    results = run_all([accord(workspace, *args) for args in cases])
    for result, line in zip(results, cases.values(), strict=True):
        assert_refused(result, line)
    assert not (tmp_path / "r.html").exists()


def test_an_unsynced_workspace_says_run_accord_sync(tmp_path):
    folder = tmp_path / "ws"
    store = Store.open(settings_for("sqlite", folder), upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="New Shop")
    store.close()
    sync_line = "error: the warehouse holds no data yet: run `accord sync` to copy the store into it, then look again"
    assert_refused(run(accord(folder, "review", "revenue")), sync_line)


def test_report_writes_every_review_and_prints_as_pdf(workspace, tmp_path):
    html_file, pdf_file = tmp_path / "review.html", tmp_path / "review.pdf"
    result = run(accord(workspace, "report", *PERIOD, "--out", str(html_file)), timeout=180)
    assert (result.returncode, result.stderr) == (0, ""), described(result)
    wrote = rf"Wrote the review of 2024-07-01 to 2025-07-01 \(to not included\) to {re.escape(str(html_file))}"
    assert re.fullmatch(wrote + r" \([\d,]+ KB\)", lines(result.stdout)[0]), result.stdout

    page = html_file.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and re.findall(r"https?:", page) == []
    assert re.findall(r'<section class="review" id="review-(\w+)"[^>]*>', page) == IN_ORDER
    for name, review in REVIEWS.items():
        part = re.search(rf'<section class="review" id="review-{name}"[^>]*>(.*?)</section>', page, re.S).group(1)
        assert html.unescape(re.search(r"<h2>(.*?)</h2>", part).group(1)) == review.title
        assert part.count("<svg") >= 1 and part.count("<svg") == part.count("</svg>"), name

    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    write_report(page, pdf_file)
    info = subprocess.run(["pdfinfo", str(pdf_file)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, flags=re.M).group(1))
    assert pages >= 1 + len(REVIEWS)
    texts = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf_file), "-"], capture_output=True,
                            text=True, check=True).stdout for n in range(1, pages + 1)]
    assert "Kasi Kitchen" in texts[0] and "Review of 1 July 2024 to 30 June 2025" in texts[0]
    starts = [next(i for i, text in enumerate(texts) if i > 0 and text.lstrip().startswith(REVIEWS[name].title))
              for name in IN_ORDER]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), starts
