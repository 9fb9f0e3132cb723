"""The Olist marketing funnel through Accord: both files imported with the presets, the warehouse synced, and
conversion by lead origin and by behaviour profile compared row by row with a computation straight from the CSV
files (8,000 marketing-qualified leads, 842 of them won as sellers)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.connectors.importing.presets import load_preset
from accord.connectors.importing.runner import Rejects, import_file
from accord.contacts.models import ContactAttribute
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.pipeline.models import DealAttribute
from accord.reviews.segments import NOT_SET, SegmentsQuery, run
from accord.warehouse import connect, sync
from stores import BACKENDS, require_shared_data, settings_for

pytestmark = pytest.mark.realdata
LEADS_FILE = "olist_marketing_qualified_leads_dataset.csv"
DEALS_FILE = "olist_closed_deals_dataset.csv"
DEAL_ATTRIBUTES = ("seller_id", "sdr_id", "sr_id", "business_segment", "lead_type", "lead_behaviour_profile",
                   "business_type", "has_company", "has_gtin", "average_stock", "declared_product_catalog_size")


def read(name: str) -> list[dict[str, str]]:
    with require_shared_data("olist-marketing-funnel", name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module", params=BACKENDS)
def imported(request, tmp_path_factory) -> Iterator[tuple[Store, Any, list]]:
    """The store after importing both files with the presets (olist-mql first), its warehouse synced."""
    folder = require_shared_data("olist-marketing-funnel")
    tmp = tmp_path_factory.mktemp(f"olist-{request.param}")
    settings = settings_for(request.param, tmp / "workspace", database="accord_test_olist")
    store = Store.open(settings, upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="Olist", base_currency="BRL", timezone="America/Sao_Paulo",
                         default_region="BR")
    reports = []
    rejects = Rejects(tmp / "rejects.csv")
    try:
        for name, preset in ((LEADS_FILE, "olist-mql"), (DEALS_FILE, "olist-closed-deals")):
            reports.append(import_file(store, "leads", folder / name, load_preset(preset), rejects=rejects,
                                       started_by="test", preset=preset))
    finally:
        rejects.close()
    warehouse = connect(settings)
    sync(store, warehouse)
    yield store, warehouse, reports
    warehouse.disconnect()
    store.close()


def independent(by_deal: str | None) -> tuple[list[dict[str, Any]], int]:
    """The review's rows computed from the CSV files alone: by the lead's origin ("(none)" when empty), or by a
    column of the closed deals; and the number of leads."""
    leads = read(LEADS_FILE)
    deals = {deal["mql_id"]: deal for deal in read(DEALS_FILE)}
    assert len(deals) == 842  # one deal per lead
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"leads": 0, "days": [], "value": 0})
    for lead in leads:
        deal = deals.get(lead["mql_id"])
        if by_deal is None:
            value = lead["origin"] or "(none)"
        else:
            value = (deal[by_deal] if deal else "") or NOT_SET
        group = groups[value]
        group["leads"] += 1
        if deal:
            won_on = datetime.strptime(deal["won_date"], "%Y-%m-%d %H:%M:%S").date()
            # One deal is dated the day before its lead's first contact: it counts as won that same day.
            group["days"].append(max(0, (won_on - date.fromisoformat(lead["first_contact_date"])).days))
            group["value"] += int(Decimal(deal["declared_monthly_revenue"] or "0") * 100)
    total = len(leads)
    rows = [
        {"value": value, "leads": g["leads"], "won": len(g["days"]),
         "conversion_rate": round(len(g["days"]) / (total if by_deal else g["leads"]), 4),
         "median_days_to_won": float(median(g["days"])) if g["days"] else None,
         "won_deals": len(g["days"]), "won_value_minor": g["value"], "currency": "BRL"}
        for value, g in groups.items()
    ]
    rows.sort(key=lambda r: (r["value"] == NOT_SET, -r["leads"], -r["won"], r["value"]))
    return rows, total


def test_both_files_import_whole_with_their_attributes(imported):
    store, _, reports = imported
    leads, deals = read(LEADS_FILE), read(DEALS_FILE)

    assert [(r.rows_read, r.rows_written, r.rows_rejected) for r in reports] == [(8000, 8000, 0), (842, 842, 0)]
    with store.transaction() as session:
        contact_keys = dict(session.execute(
            select(ContactAttribute.key, func.count()).group_by(ContactAttribute.key)).all())
        deal_keys = dict(session.execute(select(DealAttribute.key, func.count()).group_by(DealAttribute.key)).all())
    assert contact_keys == {"lead_origin": len(leads), "landing_page": len(leads)}
    assert deal_keys == {key: sum(1 for d in deals if d[key]) for key in DEAL_ATTRIBUTES}
    assert (deal_keys["lead_behaviour_profile"], deal_keys["has_company"]) == (842 - 177, 63)


def test_conversion_by_lead_origin_matches_the_files(imported):
    _, warehouse, _ = imported
    expected, total = independent(None)

    result = run(warehouse, SegmentsQuery(by="lead_origin"))

    assert result.rows() == expected
    assert (result.attribute_of, result.known_only_on_won, result.leads, result.won) == ("contact", False, total, 842)
    assert [(r["value"], r["leads"], r["won"], r["conversion_rate"]) for r in result.rows()[:3]] == [
        ("organic_search", 2296, 271, 0.118), ("paid_search", 1586, 195, 0.123), ("social", 1350, 75, 0.0556)]


def test_conversion_by_behaviour_profile_matches_the_files(imported):
    _, warehouse, _ = imported
    expected, total = independent("lead_behaviour_profile")

    result = run(warehouse, SegmentsQuery(by="lead_behaviour_profile"))

    assert result.rows() == expected
    assert (result.attribute_of, result.known_only_on_won, result.leads, result.won) == ("deal", True, total, 842)
    assert round(sum(r["conversion_rate"] for r in result.rows()), 3) == round(842 / 8000, 3)
    assert any(note.startswith("The deal attribute lead_behaviour_profile is known only on won deals")
               for note in result.notes)


def test_reimporting_both_files_adds_nothing(imported, tmp_path: Path):
    store, _, _ = imported
    folder = require_shared_data("olist-marketing-funnel")
    rejects = Rejects(tmp_path / "rejects.csv")
    try:
        again = [import_file(store, "leads", folder / name, load_preset(preset), rejects=rejects, started_by="test")
                 for name, preset in ((LEADS_FILE, "olist-mql"), (DEALS_FILE, "olist-closed-deals"))]
    finally:
        rejects.close()

    assert [(r.rows_written, r.rows_duplicate) for r in again] == [(0, 8000), (0, 842)]
