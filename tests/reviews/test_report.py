"""The printed report: one self-contained HTML page (no scripts, no URLs) and its PDF, section by section."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest
from babel.numbers import format_currency

from accord.errors import Conflict, Invalid
from accord.reviews.base import Review, ReviewQuery, ReviewResult
from accord.reviews.report import REPORT_ROWS, build_report, is_synced, run_review, write_report
from warehouses import warehouse_with

FROM, TO = date(2026, 1, 1), date(2026, 4, 1)
BUSINESS = "Umzimkhulu Bakery & Café"


class PeriodQuery(ReviewQuery):
    """Only the period."""


class DailyResult(ReviewResult):
    """Takings per day in the base currency."""

    currency: str
    total_minor: int
    days: list[dict[str, Any]]

    def rows(self) -> list[dict[str, Any]]:
        """One row a day."""
        return self.days

    def charts(self) -> list[dict[str, Any]]:
        """Takings per day."""
        return [alt.Chart(alt.Data(values=[{"day": r["day"].isoformat(), "amount": r["amount_minor"] / 100}
                                           for r in self.days]))
                .mark_bar().encode(x="day:O", y="amount:Q").properties(width="container", height=200).to_dict()]


def run_daily(warehouse, query: PeriodQuery) -> DailyResult:
    sale = warehouse.table("sale")
    within = sale.filter(sale.sold_day >= query.from_on, sale.sold_day < query.to_on)
    frame = (within.group_by("sold_day").aggregate(amount_minor=within.amount_minor.sum())
             .order_by("sold_day").to_pyarrow().to_pylist())
    days = [{"day": r["sold_day"], "amount_minor": int(r["amount_minor"]), "currency": "ZAR"} for r in frame]
    return DailyResult(currency="ZAR", total_minor=sum(r["amount_minor"] for r in days), days=days,
                       notes=["Takings in ZAR; no other currency was sold."])


class QuietResult(ReviewResult):
    """Nothing to show."""

    def rows(self) -> list[dict[str, Any]]:
        """No rows."""
        return []


def run_quiet(warehouse, query: PeriodQuery) -> QuietResult:
    return QuietResult(notes=["No campaigns ran in this period."])


def run_refusing(warehouse, query: PeriodQuery) -> QuietResult:
    raise Invalid("from_on", "this review needs at least two years of history")


DAILY = Review("daily", "Daily takings", "What came in each day.", PeriodQuery, DailyResult, run_daily)
QUIET = Review("quiet", "Campaign costs", "What each campaign cost.", PeriodQuery, QuietResult, run_quiet)
REFUSING = Review("refusing", "Seasonality", "Peaks and valleys across years.", PeriodQuery, QuietResult,
                  run_refusing)


class WideResult(ReviewResult):
    """A table of twelve columns."""

    def rows(self) -> list[dict[str, Any]]:
        """Three rows of twelve counts."""
        return [{f"model_{c}": r * 100 + c for c in range(1, 13)} for r in range(1, 4)]


WIDE = Review("wide", "Models side by side", "Twelve columns.", PeriodQuery, WideResult,
              lambda warehouse, query: WideResult())


def sales_frame() -> pd.DataFrame:
    """Two sales a day from 15 Dec 2025 to 15 Apr 2026, amounts varying by day."""
    days = [date(2025, 12, 15) + timedelta(days=i) for i in range(122)]
    return pd.DataFrame({
        "id": range(1, 2 * len(days) + 1),
        "sold_day": [d for d in days for _ in (0, 1)],
        "amount_minor": [1_000 + 37 * i + (i % 5) * 1_234 for i in range(2 * len(days))],
    })


@pytest.fixture
def warehouse(tmp_path):
    workspace = pd.DataFrame({"id": [1], "name": [BUSINESS], "base_currency": ["ZAR"],
                              "timezone": ["Africa/Johannesburg"]})
    return warehouse_with("duckdb", {"workspace": workspace, "sale": sales_frame()}, tmp_path)


def expected_days() -> pd.DataFrame:
    frame = sales_frame()
    within = frame[(frame.sold_day >= FROM) & (frame.sold_day < TO)]
    return within.groupby("sold_day", as_index=False)["amount_minor"].sum().sort_values("sold_day")


def section(html: str, name: str) -> str:
    match = re.search(rf'<section class="review" id="review-{name}"[^>]*>(.*?)</section>', html, flags=re.S)
    assert match, f"no section for {name}"
    return match.group(1)


def rand(minor: int) -> str:
    return format_currency(minor / 100, "ZAR", locale="en_ZA")


def test_report_html_is_self_contained_with_a_section_per_review(warehouse):
    html = build_report(warehouse, from_on=FROM, to_on=TO, reviews=[DAILY, QUIET, REFUSING], today=date(2026, 4, 2))

    assert "<script" not in html.lower()
    assert re.findall(r"https?:", html) == []
    assert re.findall(r"""(?:src|href)=["'](?!#)""", html) == []
    title_page = html[:html.index('<section class="review"')]
    assert f"<h1>{BUSINESS.replace('&', '&amp;')}</h1>" in title_page
    assert "Review of 1 January 2026 to 31 March 2026" in title_page
    assert re.findall(r'<li><a href="#review-(\w+)">([^<]+)</a>', title_page) == [
        ("daily", "Daily takings"), ("quiet", "Campaign costs"), ("refusing", "Seasonality")]
    assert re.findall(r'<section class="review" id="review-(\w+)">', html) == ["daily", "quiet", "refusing"]
    assert " data-wide>" not in html

    days = expected_days()
    assert len(days) == 90
    daily = section(html, "daily")
    assert "<h2>Daily takings</h2>" in daily
    assert "<li>Takings in ZAR; no other currency was sold.</li>" in daily
    assert f'<span class="label">Total</span><span class="value">{rand(int(days.amount_minor.sum()))}</span>' in daily
    assert daily.count("<svg") == 1 and daily.count("</svg>") == 1
    assert "<rect" in daily  # the bars were drawn
    body = re.search(r"<tbody>(.*?)</tbody>", daily, flags=re.S).group(1)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]
    assert cells == [[d.isoformat(), rand(int(a)), "ZAR"]
                     for d, a in zip(days.sold_day[:REPORT_ROWS], days.amount_minor[:REPORT_ROWS], strict=True)]
    assert (f"The first {REPORT_ROWS} of 90 rows. All of them: "
            "<code>accord review daily --from 2026-01-01 --to 2026-04-01 --format csv</code>") in daily

    quiet = section(html, "quiet")
    assert "<li>No campaigns ran in this period.</li>" in quiet
    assert "<svg" not in quiet and "<table" not in quiet
    refusing = section(html, "refusing")
    assert "<li>from_on: this review needs at least two years of history</li>" in refusing


def test_a_period_that_runs_backwards_is_refused(warehouse):
    with pytest.raises(Invalid) as refused:
        build_report(warehouse, from_on=TO, to_on=FROM, reviews=[DAILY])
    assert (refused.value.field, refused.value.reason) == ("to_on", "2026-01-01 is not after from_on 2026-04-01")


def test_a_report_from_another_file_type_is_refused(tmp_path):
    with pytest.raises(Invalid) as refused:
        write_report("<html></html>", tmp_path / "review.docx")
    assert (refused.value.field, refused.value.reason) == ("out", "review.docx must end in .html or .pdf")


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_an_empty_warehouse_says_to_sync(kind, tmp_path):
    never_synced = warehouse_with(kind, {}, tmp_path)
    emptied = warehouse_with(kind, {"workspace": pd.DataFrame({"id": pd.Series([], dtype="int64"),
                                                               "name": pd.Series([], dtype="string")})}, tmp_path)
    assert (is_synced(never_synced), is_synced(emptied)) == (False, False)
    for empty in (never_synced, emptied):
        with pytest.raises(Conflict, match=r"run `accord sync`"):
            run_review(empty, DAILY, PeriodQuery(from_on=FROM, to_on=TO))
        with pytest.raises(Conflict, match=r"run `accord sync`"):
            build_report(empty, from_on=FROM, to_on=TO, reviews=[DAILY])


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and darkest channel per pixel of an 8-bit non-interlaced grey or RGB PNG (as pdftoppm writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.setdefault(kind, []).append(data[position + 8:position + 8 + length])
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert (depth, colour in (0, 2), interlace) == (8, True, 0)
    step = 3 if colour == 2 else 1
    stride = width * step
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    pixels, previous = bytearray(), bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[x] = (line[x] + near[2]) & 0xFF
        pixels += bytes(min(line[x:x + step]) for x in range(0, stride, step))
        previous = line
    return width, height, bytes(pixels)


@pytest.mark.browser
def test_pdf_has_a_title_page_and_a_page_per_review_and_every_page_renders(warehouse, tmp_path):
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    html = build_report(warehouse, from_on=FROM, to_on=TO, reviews=[DAILY, QUIET, REFUSING, WIDE])
    assert '<section class="review" id="review-wide" data-wide>' in html
    pdf = tmp_path / "review.pdf"

    write_report(html, pdf)

    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^Pages:\s+(\d+)$", info, flags=re.M).group(1) == "5"
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, flags=re.M)
    assert [(round(float(w)), round(float(h))) for w, h in sizes] == [(595, 842)] * 4 + [(842, 595)]
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == 5
    for image, size in zip(images, [(248, 351)] * 4 + [(351, 248)], strict=True):
        width, height, pixels = png_pixels(image)
        assert (width, height) == size  # A4 at 30 dots per inch, the wide table's page across
        inked = sum(1 for p in pixels if p < 200)
        assert inked > 150, f"{image.name} is blank"
    pages = [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout for n in range(1, 6)]
    assert BUSINESS in pages[0] and "Review of 1 January 2026 to 31 March 2026" in pages[0]
    for page, title in zip(pages[1:], ["Daily takings", "Campaign costs", "Seasonality", "Models side by side"],
                           strict=True):
        assert title in page
    assert "No campaigns ran in this period." in pages[2]
    assert f"The first {REPORT_ROWS} of 90 rows." in pages[1]


def test_the_html_report_is_written_as_is(warehouse, tmp_path):
    html = build_report(warehouse, from_on=FROM, to_on=TO, reviews=[QUIET])
    out = tmp_path / "review.html"
    write_report(html, out)
    assert out.read_text(encoding="utf-8") == html

