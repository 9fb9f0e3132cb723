"""Run reviews over the warehouse for a person, and the printed report: every review of a period in one file."""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ibis.common.exceptions import TableNotFound

from accord.errors import AccordError, Conflict, Invalid, SetupError
from accord.kernel.clock import utcnow, zone
from accord.reviews.base import Review, ReviewQuery, ReviewResult
from accord.reviews.forms import Table, display_table, headline, in_reading_order
from accord.settings import Settings

NOT_SYNCED = "the warehouse holds no data yet: run `accord sync` to copy the store into it, then look again"
REPORT_ROWS = 20
REPORT_CHART_WIDTH = 620
WIDE_COLUMNS = 10  # a table with more columns is printed on a landscape page
# As DESIGN §5: Debian's Chromium under Playwright, with nothing that reaches the network.
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
)
PAGE_FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#777">'
               'page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')
# Inline SVG in HTML needs no namespace declarations, and the report must hold no URL at all.
_SVG_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="http://www\.w3\.org/[^"]*"')


@contextmanager
def warehouse_for(settings: Settings) -> Iterator[Any]:
    """The workspace's warehouse (an Ibis backend), disconnected afterwards so `accord sync` can write to it."""
    from accord.warehouse import connect

    warehouse = connect(settings)
    try:
        yield warehouse
    finally:
        warehouse.disconnect()


def is_synced(warehouse: Any) -> bool:
    """True once a sync has copied the workspace into the warehouse."""
    # Asking for the table rather than listing tables: ibis 12's list_tables fails on DuckDB 2.
    try:
        workspace = warehouse.table("workspace")
    except TableNotFound:
        return False
    return workspace.count().execute() > 0


def run_review(warehouse: Any, review: Review, query: ReviewQuery) -> ReviewResult:
    """The review's result, or Conflict telling the person to sync when the warehouse is empty."""
    if not is_synced(warehouse):
        raise Conflict(NOT_SYNCED)
    return review.run(warehouse, query)


@dataclass(frozen=True)
class ReportSection:
    """One review as the report prints it."""

    review: Review
    notes: list[str]
    figures: list[tuple[str, str]]
    svgs: list[str]
    table: Table
    total_rows: int
    command: str


def svg_of(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec drawn as inline SVG of a fixed width (a page has no container to fill)."""
    import vl_convert

    fixed = {**spec, "width": REPORT_CHART_WIDTH} if spec.get("width") == "container" else spec
    return _SVG_NAMESPACES.sub("", vl_convert.vegalite_to_svg(fixed))


def _section(warehouse: Any, review: Review, from_on: date, to_on: date, base_currency: str) -> ReportSection:
    query = review.query_type(from_on=from_on, to_on=to_on)
    command = f"accord review {review.name} --from {from_on} --to {to_on} --format csv"
    try:
        result = review.run(warehouse, query)
    except AccordError as exc:  # one review refusing the period must not cost the owner the whole report
        return ReportSection(review, [exc.message], [], [], Table([], []), 0, command)
    rows = result.rows()
    return ReportSection(
        review=review, notes=list(result.notes), figures=headline(result, query, base_currency),
        svgs=[svg_of(spec) for spec in result.charts()],
        table=display_table(rows[:REPORT_ROWS], result, base_currency), total_rows=len(rows), command=command,
    )


def workspace_of(warehouse: Any) -> dict[str, Any]:
    """The synced workspace's name, base currency and time zone, or Conflict telling the person to sync."""
    if not is_synced(warehouse):
        raise Conflict(NOT_SYNCED)
    chosen = warehouse.table("workspace").select("name", "base_currency", "timezone").limit(1)
    return chosen.to_pyarrow().to_pylist()[0]


def build_report(warehouse: Any, *, from_on: date, to_on: date, reviews: Iterable[Review] | None = None,
                 today: date | None = None, progress: Callable[[int, int], None] | None = None) -> str:
    """The whole review of [from_on, to_on) as one self-contained HTML page: no scripts, no URLs."""
    from accord.web.templating import make_templates

    if to_on <= from_on:
        raise Invalid("to_on", f"{to_on} is not after from_on {from_on}")
    workspace = workspace_of(warehouse)
    chosen = in_reading_order() if reviews is None else list(reviews)
    sections = []
    for done, review in enumerate(chosen):
        if progress:
            progress(done, len(chosen))
        sections.append(_section(warehouse, review, from_on, to_on, workspace["base_currency"]))
    template = make_templates().env.get_template("reviews/report.html")
    return template.render(
        business=workspace["name"], base_currency=workspace["base_currency"], from_on=from_on,
        last_day=to_on - timedelta(days=1), sections=sections, wide_columns=WIDE_COLUMNS,
        today=today or utcnow().astimezone(zone(workspace["timezone"])).date(),
    )


def write_report(html: str, out: Path) -> None:
    """Write the report as .html, or as .pdf printed by headless Chromium."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise Invalid("out", f"{out.name} must end in .html or .pdf")
    if suffix == ".html":
        out.write_text(html, encoding="utf-8")
        return
    executable = shutil.which("chromium")
    if executable is None:
        raise SetupError("a PDF needs Chromium (Debian: apt-get install chromium); or write .html and print it")
    if importlib.util.find_spec("playwright") is None:
        raise SetupError("a PDF needs Playwright: pip install 'accord[pdf]'; or write .html and print it")
    # A thread of its own: Playwright's sync API refuses to start where an asyncio loop runs (a server, a test).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_print_pdf, html, out, executable).result()


def _print_pdf(html: str, out: Path, executable: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS), headless=True)
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            page.pdf(path=str(out), prefer_css_page_size=True, print_background=True, display_header_footer=True,
                     header_template="<span></span>", footer_template=PAGE_FOOTER)
        finally:
            browser.close()
