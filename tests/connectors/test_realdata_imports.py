"""The presets on the real public exports in ../shared/data, checked against independent counts made with csv."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from accord.connectors.importing.presets import PRESETS
from accord.contacts.models import Contact, Identity
from accord.engagement.models import Engagement, Touch
from accord.engagement.queries import waiting_count
from accord.kernel.clock import utcnow
from accord.pipeline.models import Deal, Order, OrderLine
from import_support import count, count_where, rows, run
from stores import require_shared_data

pytestmark = pytest.mark.realdata
RETAIL_DAYS = ("2010-12-01", "2010-12-23", "2011-01-04", "2011-01-05")


def read_csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_online_retail_days_become_orders_with_net_revenue_to_the_penny(store, tmp_path):
    folder = require_shared_data("online-retail", "by-day")
    expected_orders: set[str] = set()
    expected_lines = 0
    net_by_month: dict[str, Decimal] = defaultdict(Decimal)
    reports = []
    for day in RETAIL_DAYS:
        path = folder / f"{day}.csv"
        for line in read_csv(path):
            quantity, price = int(line["Quantity"]), Decimal(line["UnitPrice"])
            cancelled = line["InvoiceNo"].startswith("C")
            if (quantity < 0 and not cancelled) or price < 0 or price != price.quantize(Decimal("0.01")):
                continue  # stock adjustments, bad-debt write-offs and sub-penny prices are rejected
            expected_orders.add(line["InvoiceNo"])
            expected_lines += 1
            net_by_month[line["InvoiceDate"][:7]] += quantity * price
        reports.append(run(store, "orders", path, PRESETS["online-retail"], tmp=tmp_path))

    rows_in_files = sum(len(read_csv(folder / f"{day}.csv")) for day in RETAIL_DAYS)
    assert sum(r.rows_read for r in reports) == rows_in_files
    assert sum(r.rows_written for r in reports) == expected_lines == rows_in_files - sum(r.rows_rejected for r in reports)
    assert count(store, Order) == len(expected_orders)
    assert count(store, OrderLine) == expected_lines
    london = ZoneInfo("Europe/London")
    stored: dict[str, int] = defaultdict(int)
    for ordered_at, amount in rows(store, select(Order.ordered_at, OrderLine.quantity * OrderLine.unit_price_minor)
                                   .join(Order, Order.id == OrderLine.order_id)):
        stored[ordered_at.astimezone(london).strftime("%Y-%m")] += amount
    assert stored == {month: int(total * 100) for month, total in net_by_month.items()}
    assert set(net_by_month) == {"2010-12", "2011-01"}

    again = [run(store, "orders", folder / f"{day}.csv", PRESETS["online-retail"], tmp=tmp_path) for day in RETAIL_DAYS]

    assert sum(r.rows_written for r in again) == 0
    assert (count(store, Order), count(store, OrderLine)) == (len(expected_orders), expected_lines)


def test_olist_leads_then_closed_deals(store, tmp_path):
    folder = require_shared_data("olist-marketing-funnel")
    leads = read_csv(folder / "olist_marketing_qualified_leads_dataset.csv")
    deals = read_csv(folder / "olist_closed_deals_dataset.csv")

    mql = run(store, "leads", folder / "olist_marketing_qualified_leads_dataset.csv", PRESETS["olist-mql"], tmp=tmp_path)
    won = run(store, "leads", folder / "olist_closed_deals_dataset.csv", PRESETS["olist-closed-deals"], tmp=tmp_path)

    assert (mql.rows_read, mql.rows_written, mql.rows_rejected) == (len(leads), len(leads), 0)
    assert (won.rows_read, won.rows_written, won.rows_rejected) == (len(deals), len(deals), 0)
    assert count(store, Contact) == len({lead["mql_id"] for lead in leads})
    assert count(store, Touch) == len(leads)
    origins: dict[str, int] = defaultdict(int)
    for lead in leads:
        origins[lead["origin"] or None] += 1
    assert dict(rows(store, select(Touch.utm_medium, func.count()).group_by(Touch.utm_medium))) == origins
    assert rows(store, select(Identity.channel, func.count()).group_by(Identity.channel).order_by(Identity.channel)) == [
        ("marketplace", len({d["seller_id"] for d in deals})), ("other", len(leads))]
    revenue = sum(Decimal(d["declared_monthly_revenue"] or "0") for d in deals)
    assert rows(store, select(Deal.stage, func.count(), func.sum(Deal.value_minor), Deal.currency)
                .group_by(Deal.stage, Deal.currency)) == [("won", len(deals), int(revenue * 100), "BRL")]
    assert dict(rows(store, select(Contact.lifecycle_stage, func.count()).group_by(Contact.lifecycle_stage))) == {
        "customer": len(deals), "lead": len(leads) - len(deals)}

    again = [run(store, "leads", folder / name, PRESETS[preset], tmp=tmp_path) for name, preset in (
        ("olist_marketing_qualified_leads_dataset.csv", "olist-mql"),
        ("olist_closed_deals_dataset.csv", "olist-closed-deals"))]

    assert [r.rows_written for r in again] == [0, 0]
    assert (count(store, Contact), count(store, Touch), count(store, Deal)) == (len(leads), len(leads), len(deals))


def test_youtube_comments_every_comment_once_one_contact_per_author_all_waiting_but_spam(store, tmp_path):
    folder = require_shared_data("youtube-spam-collection")
    files = sorted(folder.glob("Youtube0*.csv"))
    comments = [row for path in files for row in read_csv(path)]
    undated = {row["COMMENT_ID"] for row in comments if not row["DATE"]}
    before = utcnow()

    reports = [run(store, "engagements", path, PRESETS["youtube-comments"], tmp=tmp_path) for path in files]

    assert sum(r.rows_read for r in reports) == len(comments) == 1956
    assert sum(r.rows_rejected for r in reports) == 0
    assert count(store, Engagement) == len({row["COMMENT_ID"] for row in comments}) == 1953
    assert count(store, Contact) == len({" ".join(row["AUTHOR"].split()).casefold() for row in comments})
    # Comments published without a date count from the moment of the import, so they wait like the rest.
    stamped = rows(store, select(Engagement.occurred_at).where(Engagement.external_id.in_(undated)))
    assert len(stamped) == len(undated) == 243  # 245 undated rows, two of them listed twice
    assert all(before <= at <= utcnow() for (at,) in stamped)
    with store.transaction() as session:
        waiting = waiting_count(session)
    assert waiting == count_where(store, Engagement, Engagement.is_spam.is_(False)) > 0
    assert count_where(store, Engagement, Engagement.is_spam.is_(True)) > 0

    again = [run(store, "engagements", path, PRESETS["youtube-comments"], tmp=tmp_path) for path in files]

    assert sum(r.rows_written for r in again) == 0
    assert count(store, Engagement) == 1953
