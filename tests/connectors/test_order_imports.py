"""Importing order lines on both stores: orders whole across batches, refunds as negative lines, money exact."""

from __future__ import annotations

import csv

from sqlalchemy import select

from accord.contacts.models import Contact, Identity
from accord.kernel.models import AuditEvent
from accord.pipeline.models import Offer, Order, OrderLine
from import_support import count, rows, run

MAPPING = """
source = "till"
currency = "GBP"
timezone = "Europe/London"

[fields]
order_id = "InvoiceNo"
ordered_at = "InvoiceDate"
sku = "StockCode"
description = "Description"
quantity = "Quantity"
unit_price = "UnitPrice"
country = "Country"
channel = { value = "website" }

[[identity]]
kind = "handle"
column = "CustomerID"
channel = "other"
pattern = '^(\\d+)(?:\\.0+)?$'

[refund]
column = "InvoiceNo"
prefix = "C"

[countries]
"Unspecified" = ""
"""
DATA = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER ,6,2011-06-01 08:26:00,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2011-06-01 08:26:00,3.39,17850.0,United Kingdom
536365,POST,POSTAGE,1,2011-06-01 08:26:00,18.00,17850.0,United Kingdom
C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-2,2011-06-01 09:41:00,2.55,17850.0,United Kingdom
536380,22086,PAPER CHAIN KIT,24,2011-06-01 09:45:00,2.95,,EIRE
536381,21777,,-10,2011-06-01 10:00:00,0.0,,Unspecified
536382,22086,PAPER CHAIN KIT,12,2011-06-01 10:05:00,2.955,12583.0,France
536383,22086,PAPER CHAIN KIT,1,2011-06-01 10:06:00,2.95,12583.0,Narnia
"""


def test_lines_make_orders_refunds_are_negative_and_bad_lines_are_rejected(store, tmp_path):
    path = tmp_path / "2011-06-01.csv"
    path.write_text(DATA, encoding="utf-8")

    # Two lines per batch: invoice 536365 is split across batches and must still end up whole.
    report = run(store, "orders", path, MAPPING, tmp=tmp_path, batch_size=2)

    assert (report.rows_read, report.rows_written, report.rows_duplicate, report.rows_rejected) == (8, 5, 0, 3)
    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        assert [row[1:5] for row in csv.reader(handle)][1:] == [
            ["6", "7", "quantity", "-10 is negative but the row is not marked as a refund (InvoiceNo does not start "
                                   "with 'C')"],
            ["7", "8", "unit_price", "'2.955' has more than 2 decimal places for GBP"],
            ["8", "9", "country", "'Narnia' is not a country name or ISO 3166 code; add it to the mapping's "
                                  "[countries] table"],
        ]
    orders = rows(store, select(Order.external_id, Order.channel, Order.country, Order.currency, Order.ordered_at,
                                Contact.display_name).outerjoin(Contact, Contact.id == Order.contact_id)
                  .order_by(Order.external_id))
    # 08:26 in London in June is 07:26 UTC (British Summer Time).
    assert [(*o[:4], o[4].isoformat(), o[5]) for o in orders] == [
        ("536365", "website", "GB", "GBP", "2011-06-01T07:26:00+00:00", "17850"),
        ("536380", "website", "IE", "GBP", "2011-06-01T08:45:00+00:00", None),
        ("C536379", "website", "GB", "GBP", "2011-06-01T08:41:00+00:00", "17850"),
    ]
    lines = rows(store, select(Order.external_id, OrderLine.line_no, Offer.sku, OrderLine.description,
                               OrderLine.quantity, OrderLine.unit_price_minor, OrderLine.unit_cost_minor)
                 .join(Order, Order.id == OrderLine.order_id).join(Offer, Offer.id == OrderLine.offer_id)
                 .order_by(Order.external_id, OrderLine.line_no))
    assert lines == [
        ("536365", 1, "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, 255, None),
        ("536365", 2, "71053", "WHITE METAL LANTERN", 6, 339, None),
        ("536365", 3, "POST", "POSTAGE", 1, 1800, None),
        ("536380", 1, "22086", "PAPER CHAIN KIT", 24, 295, None),
        ("C536379", 1, "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", -2, 255, None),
    ]
    net = sum(quantity * price for *_, quantity, price, _ in lines)
    assert net == 6 * 255 + 6 * 339 + 1800 + 24 * 295 - 2 * 255
    assert sorted(rows(store, select(Offer.sku, Offer.name, Offer.price_minor, Offer.unit_cost_minor,
                                     Offer.currency))) == [
        ("22086", "PAPER CHAIN KIT", 295, 0, "GBP"), ("71053", "WHITE METAL LANTERN", 339, 0, "GBP"),
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 255, 0, "GBP"), ("POST", "POSTAGE", 1800, 0, "GBP"),
    ]
    assert rows(store, select(Identity.channel, Identity.value)) == [("other", "17850")]
    assert rows(store, select(Contact.lifecycle_stage)) == [("customer",)]
    assert sorted(rows(store, select(AuditEvent.entity, AuditEvent.action))) == [
        ("contact", "created"), ("contact", "lifecycle"), ("order", "created"), ("order", "created"),
        ("order", "created"), ("order", "lines_added"),
    ]

    again = run(store, "orders", path, MAPPING, tmp=tmp_path, batch_size=3)

    assert (again.rows_read, again.rows_written, again.rows_duplicate, again.rows_rejected) == (8, 0, 5, 3)
    assert (count(store, Order), count(store, OrderLine), count(store, Offer), count(store, AuditEvent)) == (3, 5, 4, 6)


def test_a_fixed_line_imported_again_takes_its_own_place(store, tmp_path):
    path = tmp_path / "day.csv"
    broken = DATA.replace("536365,71053,WHITE METAL LANTERN,6,", "536365,71053,WHITE METAL LANTERN,six,")
    path.write_text(broken, encoding="utf-8")
    first = run(store, "orders", path, MAPPING, tmp=tmp_path)
    path.write_text(DATA, encoding="utf-8")

    second = run(store, "orders", path, MAPPING, tmp=tmp_path)

    assert (first.rows_written, first.rows_rejected, second.rows_written, second.rows_duplicate) == (4, 4, 1, 4)
    assert rows(store, select(OrderLine.line_no, OrderLine.description).join(Order).where(
        Order.external_id == "536365").order_by(OrderLine.line_no)) == [
        (1, "WHITE HANGING HEART T-LIGHT HOLDER"), (2, "WHITE METAL LANTERN"), (3, "POSTAGE")]


def test_a_cost_ratio_gives_each_line_a_unit_cost(store, tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(DATA, encoding="utf-8")

    run(store, "orders", path, 'cost_ratio = "0.6"\n' + MAPPING, tmp=tmp_path)

    # 0.6 × 255 = 153; 0.6 × 339 = 203.4 → 203; half-even rounding for 0.6 × 295 = 177.
    assert rows(store, select(OrderLine.unit_price_minor, OrderLine.unit_cost_minor).order_by(OrderLine.id)) == [
        (255, 153), (339, 203), (1800, 1080), (255, 153), (295, 177)]
