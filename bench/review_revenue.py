"""The revenue review on 10M order lines in DuckDB, side by side with a hand-written DuckDB SQL query of the same
figures (split by offer or persona, the month series and the conversion summary; the rate of each currency and
day found once with ASOF JOIN, then joined to the lines).

Run: .venv/bin/python bench/review_revenue.py [--lines 10000000] [--runs 5]
Target: the review (Ibis) at most 2× the hand-written SQL. Both answers are checked to be identical.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import ibis

from accord.reviews.revenue import REVIEW, RevenueQuery

PERIOD = ("2022-03-01", "2024-09-01")


def build(path: Path, lines: int) -> None:
    """Five lines an order; 85% ZAR, 10% USD, 3% EUR, 1% JPY and 1% GBP (which has no rate); 3% refund lines."""
    orders = lines // 5
    con = duckdb.connect(str(path))
    con.execute(f"""
        CREATE TABLE workspace AS SELECT 1 AS id, 'ZAR' AS base_currency, 'Africa/Johannesburg' AS timezone;
        CREATE TABLE offer AS SELECT i AS id, 'SKU' || i AS sku, 'Offer ' || i AS name FROM range(1, 2001) t(i);
        CREATE TABLE contact AS SELECT i AS id, 'Customer ' || i AS display_name FROM range(1, 200001) t(i);
        CREATE TABLE persona AS SELECT * FROM (VALUES (1, 'Busy parent'), (2, 'Office manager'), (3, 'Event planner'))
            t(id, name);
        CREATE TABLE persona_fit AS SELECT p AS persona_id, c AS contact_id, ((c * 7919 + p * 104729) % 1000) / 1000.0
            AS score FROM range(1, 200001) a(c), range(1, 4) b(p);
        CREATE TABLE currency_rate AS SELECT row_number() OVER () AS id, currency,
            (DATE '2021-01-01' + INTERVAL (m) MONTH)::DATE AS valid_from,
            CAST(base + (m % 7) * step AS DECIMAL(20, 10)) AS rate
            FROM (VALUES ('USD', 17.5, 0.0625), ('EUR', 19.25, 0.03125), ('JPY', 0.121, 0.0011))
                 c(currency, base, step), range(0, 60) t(m);
        CREATE TABLE sales_order AS SELECT i AS id, 1 + (i * 2654435761) % 200000 AS contact_id,
            (DATE '2022-01-01' + CAST((i * 40503) % 1095 AS INTEGER))::DATE AS ordered_day,
            ['website', 'instagram', 'facebook', 'whatsapp', 'in_person'][1 + (i * 31) % 5] AS channel,
            ['Soweto', 'Durban', 'Cape Town', NULL][1 + (i * 17) % 4] AS location, 'ZA' AS country,
            CASE WHEN i % 100 < 85 THEN 'ZAR' WHEN i % 100 < 95 THEN 'USD' WHEN i % 100 < 98 THEN 'EUR'
                 WHEN i % 100 < 99 THEN 'JPY' ELSE 'GBP' END AS currency
            FROM range(1, {orders} + 1) t(i);
        CREATE TABLE order_line AS SELECT i AS id, 1 + i // 5 AS order_id, 1 + i % 5 AS line_no,
            1 + (i * 48271) % 2000 AS offer_id,
            CASE WHEN (i * 69621) % 100 < 3 THEN -1 ELSE 1 + (i * 16807) % 5 END AS quantity,
            100 + (i * 1103515245) % 50000 AS unit_price_minor,
            CASE WHEN i % 10 < 6 THEN 60 + (i * 1103515245) % 30000 END AS unit_cost_minor
            FROM range(0, {orders * 5}) t(i);
    """)
    con.close()


SQL_SPLIT = {
    "offer": ("l.offer_id", "LEFT JOIN offer n ON n.id = g.key", "n.name"),
    "persona": ("b.persona_id", "LEFT JOIN persona n ON n.id = g.key", "n.name"),
}


def hand_written(con: duckdb.DuckDBPyConnection, by: str) -> tuple[list, list]:
    """What an analyst would write in DuckDB SQL for the same figures."""
    key, names, label = SQL_SPLIT[by]
    lines = f"""
        WITH best AS (
            SELECT contact_id, arg_max(persona_id, (score, -persona_id)) AS persona_id FROM persona_fit GROUP BY 1),
        orders AS (
            SELECT * FROM sales_order WHERE ordered_day >= DATE '{PERIOD[0]}' AND ordered_day < DATE '{PERIOD[1]}'),
        day_rates AS (
            SELECT d.currency, d.ordered_day, r.rate
            FROM (SELECT DISTINCT currency, ordered_day FROM orders WHERE currency <> 'ZAR') d
            ASOF JOIN currency_rate r ON r.currency = d.currency AND d.ordered_day >= r.valid_from),
        converted AS (
            SELECT l.order_id, {key} AS key, l.quantity, o.currency, o.ordered_day,
                   l.quantity * l.unit_price_minor AS amount,
                   CASE WHEN o.currency = 'ZAR' THEN l.quantity * l.unit_price_minor
                        ELSE CAST(round_even(l.quantity * l.unit_price_minor * r.rate
                                             * CASE o.currency WHEN 'JPY' THEN 100 ELSE 1 END, 0) AS BIGINT)
                   END AS base
            FROM order_line l JOIN orders o ON o.id = l.order_id
            LEFT JOIN day_rates r ON r.currency = o.currency AND r.ordered_day = o.ordered_day
            {"LEFT JOIN best b ON b.contact_id = o.contact_id" if by == "persona" else ""})
    """
    split = con.sql(lines + f"""
        , g AS (
            SELECT key, sum(CASE WHEN quantity > 0 THEN base ELSE 0 END) AS gross,
                   sum(CASE WHEN quantity < 0 THEN -base ELSE 0 END) AS refunds,
                   count(DISTINCT order_id) AS orders, sum(quantity) AS units
            FROM converted WHERE base IS NOT NULL GROUP BY key ORDER BY gross - refunds DESC, key IS NULL, key LIMIT 51)
        SELECT g.key, {label} AS label, g.gross, g.refunds, g.orders, g.units FROM g {names}
    """).fetchall()
    months = con.sql(lines + """
        SELECT date_trunc('month', ordered_day)::DATE AS month, currency, base IS NOT NULL AS has_rate,
               sum(amount) AS amount, count(*) AS rows,
               sum(CASE WHEN quantity > 0 THEN base ELSE 0 END) AS gross,
               sum(CASE WHEN quantity < 0 THEN -base ELSE 0 END) AS refunds, count(DISTINCT order_id) AS orders
        FROM converted GROUP BY ALL
    """).fetchall()
    return split, months


def review(warehouse, by: str):
    """The revenue review as the app runs it."""
    query = RevenueQuery(by=by, top=50, from_on=PERIOD[0], to_on=PERIOD[1])
    return REVIEW.run(warehouse, query)


def same(result, answer) -> bool:
    """The review's top groups and month series equal the SQL's."""
    split, months = answer
    sql = sorted((int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in split)[-50:]
    ours = sorted((g.gross_minor, g.refunds_minor, g.orders or 0, g.units) for g in result.groups
                  if g.label != "(all others)")
    by_month: dict = {}
    for month, _, has_rate, _, _, gross, refunds, orders in months:
        if has_rate:
            found = by_month.setdefault(month, [0, 0, 0])
            found[0], found[1], found[2] = found[0] + int(gross), found[1] + int(refunds), found[2] + int(orders)
    series = [(m.month, m.gross_minor, m.refunds_minor, m.orders) for m in result.months]
    return ours == sql and series == [(m, *v) for m, v in sorted(by_month.items())]


def timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as folder:
        path = Path(folder) / "warehouse.duckdb"
        start = time.perf_counter()
        build(path, args.lines)
        print(f"built {args.lines:,} order lines in {time.perf_counter() - start:.1f} s; DuckDB {duckdb.__version__}, "
              f"ibis {ibis.__version__}, {platform.machine()}, {args.runs} runs each, alternating")
        warehouse = ibis.duckdb.connect(path, read_only=True)
        con = duckdb.connect(str(path), read_only=True)
        for by in ("offer", "persona"):
            assert same(review(warehouse, by), hand_written(con, by)), f"by {by}: the answers differ"
            ours, theirs = [], []
            for _ in range(args.runs):
                ours += timed(lambda: review(warehouse, by), 1)
                theirs += timed(lambda: hand_written(con, by), 1)
            mine, peer = statistics.median(ours), statistics.median(theirs)
            print(f"by {by:8s} review (Ibis) median {mine:6.2f} s  hand-written SQL median {peer:6.2f} s  "
                  f"ratio {mine / peer:4.2f}  (answers identical)")


if __name__ == "__main__":
    main()
