"""The UCI Online Retail data through Accord's own importer, the warehouse sync and the revenue and growth reviews,
checked month by month against an independent reading of the raw files with the csv module."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accord.kernel.store import Store
from accord.reviews.base import get_review
from accord.reviews.growth import GrowthQuery
from accord.reviews.revenue import RevenueQuery
from accord.settings import Settings
from accord.warehouse import connect, sync
from stores import require_shared_data

pytestmark = pytest.mark.realdata
ACCORD = Path(sys.executable).parent / "accord"
# Published in the data's SOURCE.md: gross sales per month in pounds (every non-cancelled row with Quantity > 0).
PUBLISHED_GROSS = {
    "2010-12": 823746, "2011-01": 691365, "2011-02": 523632, "2011-03": 717639, "2011-04": 537809,
    "2011-05": 770536, "2011-06": 761740, "2011-07": 719221, "2011-08": 737014, "2011-09": 1058590,
    "2011-10": 1154979, "2011-11": 1509496, "2011-12": 638793,
}


def accord(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `accord` command, as a user runs it, without this machine's ACCORD_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    done = subprocess.run([str(ACCORD), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    """The whole data set imported with the online-retail preset into a GBP/London workspace, then synced."""
    folder = require_shared_data("online-retail", "by-day")
    root = tmp_path_factory.mktemp("retail")
    files = sorted(folder.glob("*.csv"))
    accord("--workspace", "ws", "init", "--name", "Online Retail", "--currency", "GBP", "--timezone",
           "Europe/London", "--region", "GB", cwd=root)
    accord("--workspace", "ws", "import", "orders", "--preset", "online-retail", *map(str, files), cwd=root)
    settings = Settings(workspace=root / "ws")
    store = Store.open(settings)
    warehouse = connect(settings)
    sync(store, warehouse)
    store.close()
    return files, root / "ws", warehouse


def raw_rows(files: list[Path]):
    """(file name, data row number from 1, row) for every row of every daily file."""
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=1):
                yield path.name, number, row


def importer_rejects(row: dict[str, str]) -> str | None:
    """The importer's documented rules (docs/importing.md), applied here independently: the field it refuses."""
    quantity, price = int(row["Quantity"]), Decimal(row["UnitPrice"])
    if quantity == 0 or (quantity < 0 and not row["InvoiceNo"].startswith("C")):
        return "quantity"  # stock adjustments: negative quantity without a C invoice
    if price < 0 or price != price.quantize(Decimal("0.01")):
        return "unit_price"  # bad-debt write-offs, and prices below a penny
    return None


def test_monthly_gross_refunds_and_the_peak_agree_with_the_raw_files(retail):
    files, workspace, warehouse = retail
    gross: dict[str, int] = defaultdict(int)
    refunds: dict[str, int] = defaultdict(int)
    published: dict[str, Decimal] = defaultdict(Decimal)
    expected_rejects = {}
    for name, number, row in raw_rows(files):
        month, quantity, price = row["InvoiceDate"][:7], int(row["Quantity"]), Decimal(row["UnitPrice"])
        cancelled = row["InvoiceNo"].startswith("C")
        if not cancelled and quantity > 0:
            published[month] += quantity * price
        field = importer_rejects(row)
        if field:
            expected_rejects[(name, number)] = field
            continue
        pence = int(abs(quantity) * price * 100)
        if cancelled:
            refunds[month] += pence
        else:
            gross[month] += pence
    rejected = {}
    for path in (workspace / "rejects").glob("*.rejects.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            rejected.update({(r["file"], int(r["row"])): r["field"] for r in csv.DictReader(handle)})

    revenue = get_review("revenue").run(warehouse, RevenueQuery(by="month"))
    growth = get_review("growth").run(warehouse, GrowthQuery(grain="month"))

    # The independent reading reproduces the figures published with the data, to the pound.
    assert {m: int(v.quantize(Decimal(1))) for m, v in published.items()} == PUBLISHED_GROSS
    # The importer refused exactly the rows its documented rules refuse: 1,336 stock adjustments, 2 bad-debt
    # write-offs with a negative price, 4 prices below a penny.
    assert rejected == expected_rejects
    assert Counter(rejected.values()) == {"quantity": 1336, "unit_price": 6}
    months = sorted(gross)
    assert [(r["month"], r["gross_minor"], r["refunds_minor"], r["net_minor"]) for r in revenue.rows()] == [
        (date.fromisoformat(m + "-01"), gross[m], refunds[m], gross[m] - refunds[m]) for m in months]
    total_refunds = sum(refunds.values())
    assert (revenue.gross_minor, revenue.refunds_minor) == (sum(gross.values()), total_refunds)
    assert revenue.notes == [
        "All revenue figures are in GBP, the workspace's base currency.",
        f"Refunds and cancellations (negative lines) come to {Decimal(total_refunds).scaleb(-2):,.2f} GBP and are "
        f"netted: net {Decimal(revenue.net_minor).scaleb(-2):,.2f} GBP = gross "
        f"{Decimal(revenue.gross_minor).scaleb(-2):,.2f} GBP − refunds.",
    ]
    net = {m: gross[m] - refunds[m] for m in months}
    whole = [m for m in months if m != "2011-12"]  # the data stops on 9 December 2011
    average = sum(net[m] for m in whole) / len(whole)
    assert max(whole, key=net.get) == "2011-11"
    assert growth.series[0].peak == date(2011, 11, 1)
    assert (f"November 2011 is the peak month: {net['2011-11'] / average:.1f}× the average month "
            f"({Decimal(net['2011-11']).scaleb(-2):,.2f} GBP); the average month is "
            f"{Decimal(round(average)).scaleb(-2):,.2f} GBP.") in growth.notes
    assert ("December 2011 is incomplete (the data runs from 2010-12-01 to 2011-12-09): shown, but left out of "
            "peaks, growth rates, seasonality and the forecast.") in growth.notes
