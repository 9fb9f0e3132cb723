"""CDNOW: the published BG/NBD and Gamma-Gamma fits, from the raw file and through Accord's importer, sync and review.

The sample file (2,357 customers of the 1997 first-purchase cohort) with a 39-week calibration period, weeks as
the time unit: Fader, Hardie & Lee (2005) report r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 and a
log-likelihood of -9582.4; Fader & Hardie (2013) report p = 6.25, q = 3.74, gamma = 15.44 for the mean spend
of the 946 customers who bought again in the calibration period.
"""

from __future__ import annotations

import csv
import tomllib
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from accord.connectors.importing.mapping import parse_mapping
from accord.connectors.importing.runner import Rejects, import_file
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.reviews import clv
from accord.reviews.customers import REVIEW, CustomersQuery
from accord.warehouse import connect, sync
from stores import require_shared_data, settings_for
from warehouses import WAREHOUSE_PARAMS, warehouse_with

pytestmark = pytest.mark.realdata

PURCHASES = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}
FIRST_DAY = date(1997, 1, 1)
LAST_DAY = FIRST_DAY + timedelta(weeks=39, days=-1)  # 30 September 1997, the last day of week 39
MAPPING = """
kind = "orders"
source = "cdnow"
currency = "USD"

[fields]
order_id = "row"
ordered_at = { column = "date", format = "%Y%m%d" }
quantity = { value = "1" }
unit_price = "dollars"
description = { template = "{cds} CDs" }

[[identity]]
kind = "handle"
column = "customer"
channel = "other"
"""


def sample_rows() -> list[tuple[int, date, str, str]]:
    """(sample customer id, day, dollars as written, number of CDs) for every line of CDNOW_sample.txt."""
    path = require_shared_data("cdnow", "CDNOW_sample.txt")
    rows = []
    for line in path.read_text(encoding="ascii").splitlines():
        _, customer, day, cds, dollars = line.split()
        rows.append((int(customer), datetime.strptime(day, "%Y%m%d").date(), dollars, cds))
    return rows


def spent_by_day(rows) -> dict[int, dict[date, Decimal]]:
    """Dollars per customer and day within the calibration weeks."""
    spent: dict[int, dict[date, Decimal]] = {}
    for customer, day, dollars, _ in rows:
        if day <= LAST_DAY:
            days = spent.setdefault(customer, {})
            days[day] = days.get(day, Decimal(0)) + Decimal(dollars)
    return spent


def calibration_summary(rows) -> tuple[list[float], list[float], list[float], list[float]]:
    """x, t_x, T in weeks and the mean repeat spend in dollars, as Fader and Hardie count them: a customer's
    purchases on one day are one transaction; T runs from the first purchase to the end of week 39."""
    spent = spent_by_day(rows)
    x, tx, T, m = [], [], [], []
    for customer in sorted(spent):
        days = sorted(spent[customer])
        x.append(len(days) - 1)
        tx.append((days[-1] - days[0]).days / 7)
        T.append((LAST_DAY - days[0]).days / 7)
        repeats = [spent[customer][d] for d in days[1:]]
        m.append(float(sum(repeats) / len(repeats)) if repeats else 0.0)
    return x, tx, T, m


def repeat_cents_per_purchase(rows) -> list[float]:
    """Each customer's mean repeat spend in cents: whole cents of the repeat days over their number."""
    spent = spent_by_day(rows)
    means = []
    for customer in sorted(spent):
        repeats = [spent[customer][d] for d in sorted(spent[customer])[1:]]
        means.append(float(int(sum(repeats) * 100)) / len(repeats) if repeats else 0.0)
    return means


def assert_published(purchases, spend, *, spend_unit: float) -> None:
    assert purchases.r == pytest.approx(PURCHASES["r"], rel=0.01)
    assert purchases.alpha == pytest.approx(PURCHASES["alpha"], rel=0.01)
    assert purchases.a == pytest.approx(PURCHASES["a"], rel=0.01)
    assert purchases.b == pytest.approx(PURCHASES["b"], rel=0.01)
    assert purchases.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert spend.p == pytest.approx(SPEND["p"], rel=0.01)
    assert spend.q == pytest.approx(SPEND["q"], rel=0.01)
    assert spend.gamma / spend_unit == pytest.approx(SPEND["gamma"], rel=0.01)


def test_the_models_on_a_summary_of_the_raw_file_give_the_published_parameters():
    rows = sample_rows()
    assert (len(rows), len({r[0] for r in rows})) == (6919, 2357)
    x, tx, T, m = calibration_summary(rows)
    assert (len(x), sum(x), sum(1 for v in x if v > 0)) == (2357, 2457, 946)

    purchases = clv.fit_bgnbd(x, tx, T)
    spend = clv.fit_gamma_gamma(x, m)

    assert purchases.customers == 2357 and purchases.at_edge == () and spend.customers == 946
    assert_published(purchases, spend, spend_unit=1.0)


def raw_warehouse_tables(rows) -> dict[str, pa.Table]:
    """The sample as warehouse tables: one order of one line per file line, in US cents."""
    customers = sorted({r[0] for r in rows})
    return {
        "workspace": pa.table({"id": [1], "base_currency": ["USD"], "timezone": ["America/New_York"]}),
        "contact": pa.table({"id": pa.array(customers, pa.int64()), "display_name": [f"CDNOW {c:04d}" for c in customers]}),
        "currency_rate": pa.table({"id": pa.array([], pa.int64()), "currency": pa.array([], pa.string()),
                                   "valid_from": pa.array([], pa.date32()), "rate": pa.array([], pa.decimal128(20, 10))}),
        "sales_order": pa.table({
            "id": pa.array(range(1, len(rows) + 1), pa.int64()),
            "contact_id": pa.array([r[0] for r in rows], pa.int64()),
            "ordered_day": pa.array([r[1] for r in rows], pa.date32()),
            "currency": ["USD"] * len(rows),
        }),
        "order_line": pa.table({
            "order_id": pa.array(range(1, len(rows) + 1), pa.int64()),
            "quantity": pa.array([1] * len(rows), pa.int32()),
            "unit_price_minor": pa.array([int(Decimal(r[2]) * 100) for r in rows], pa.int64()),
        }),
    }


def expected_review_models(rows):
    """The parameters the review must report: the fits on the independent summary, rounded as the review rounds."""
    x, tx, T, _ = calibration_summary(rows)
    purchases = clv.fit_bgnbd(x, tx, T)
    # The review divides whole cents by the number of repeats; so does this, so both fits see the same floats
    # (dollars × 100 differs in the last bit, and the Gamma-Gamma likelihood is flat enough for that to show).
    spend = clv.fit_gamma_gamma(x, repeat_cents_per_purchase(rows))
    return ({"r": round(purchases.r, 6), "alpha": round(purchases.alpha, 6), "a": round(purchases.a, 6),
             "b": round(purchases.b, 6), "customers": 2357},
            {"p": round(spend.p, 6), "q": round(spend.q, 6), "gamma": round(spend.gamma, 6), "customers": 946})


def review_models(result) -> tuple[dict, dict]:
    purchases = result.purchase_model.model_dump(include={"r", "alpha", "a", "b", "customers"})
    spend = result.spend_model.model_dump(include={"p", "q", "gamma", "customers"})
    return purchases, spend


@pytest.mark.parametrize("kind", [p for p in WAREHOUSE_PARAMS if p.values[0] != "spark"])
def test_the_customers_review_fits_the_same_models_on_a_warehouse_of_the_raw_file(kind, tmp_path):
    rows = sample_rows()
    warehouse = warehouse_with(kind, raw_warehouse_tables(rows), tmp_path)

    result = REVIEW.run(warehouse, CustomersQuery(from_on=FIRST_DAY, to_on=LAST_DAY + timedelta(days=1)))

    assert review_models(result) == expected_review_models(rows)
    assert_published(result.purchase_model, result.spend_model, spend_unit=100.0)
    assert len(result.customers) == 2357 and result.as_of == LAST_DAY
    assert sum(c.purchases for c in result.customers) == 2357 + 2457


def test_the_same_models_through_the_importer_the_sync_and_the_review(tmp_path):
    rows = sample_rows()
    orders_csv = tmp_path / "cdnow.csv"
    with orders_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "customer", "date", "cds", "dollars"])
        for n, (customer, day, dollars, cds) in enumerate(rows, 1):
            writer.writerow([n, f"{customer:04d}", day.strftime("%Y%m%d"), cds, dollars])
    settings = settings_for("sqlite", tmp_path / "workspace")
    store = Store.open(settings, upgrade=True)
    try:
        with store.transaction() as session:
            ensure_workspace(session, name="CDNOW", base_currency="USD", timezone="America/New_York", default_region="US")
        rejects = Rejects(tmp_path / "rejects.csv")
        report = import_file(store, "orders", orders_csv, parse_mapping(tomllib.loads(MAPPING), name="cdnow.toml"),
                             rejects=rejects, started_by="test")
        rejects.close()
        assert (report.rows_read, report.rows_written, report.rows_rejected) == (6919, 6919, 0)
        warehouse = connect(settings)
        sync(store, warehouse)
    finally:
        store.close()

    result = REVIEW.run(warehouse, CustomersQuery(from_on=FIRST_DAY, to_on=LAST_DAY + timedelta(days=1)))

    purchases, spend = review_models(result)
    assert (purchases, spend) == expected_review_models(rows)
    assert result.notes[0] == "All order amounts are in USD, the workspace's base currency."
    assert Path(settings.workspace, "warehouse.duckdb").exists()
