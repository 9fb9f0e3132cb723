"""Markov attribution from raw events: Accord's review against pandas path building + ChannelAttribution.

Run: .venv/bin/python bench/attribution.py [--contacts 1000000] [--runs 5]
It writes a DuckDB warehouse of synthetic journeys (touches and engagements with their *_day columns, orders
and lines, as `accord sync` lays them out) to a temporary folder, then times, from those tables to credits:
  - accord, Markov only (attribute_markov): the engine counts the chain's moves from one sort of the timeline,
    without building paths, and numpy/scipy solve the chain exactly;
  - accord, the whole review: all eight models side by side (its Markov credits must equal the line above);
  - the peer a user would pick: the same journey rules in pandas (merge_asof to the next order, the lookback,
    paths joined with ">"), then ChannelAttribution's markov_model (order 1, its simulation to convergence).
The peer runs in bench/.venv (pip install ChannelAttribution matplotlib pandas duckdb pyarrow there), in a
child process that reads the same warehouse file. Medians of --runs runs; the first run of each is a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

BENCH_PYTHON = Path(__file__).resolve().parent / ".venv" / "bin" / "python"
CHANNELS = ["instagram", "facebook", "linkedin", "x", "tiktok", "youtube", "website", "email", "whatsapp", "referral"]
LOOKBACK_DAYS = 90
START = np.datetime64("2024-01-01T00:00:00", "us")


def generate(contacts: int, seed: int = 11) -> dict[str, "pa.Table"]:
    """Journeys of 1–10 events (about 4 on average), a channel mix that matters, and orders after some of them."""
    rng = np.random.default_rng(seed)
    per_contact = np.minimum(1 + rng.poisson(3.0, contacts), 10)
    contact = np.repeat(np.arange(1, contacts + 1), per_contact)
    events = len(contact)
    first = np.zeros(events, dtype=bool)
    first[np.concatenate([[0], np.cumsum(per_contact)[:-1]])] = True
    # Each channel sticks with probability 0.4, else a fresh draw from an uneven mix.
    mix = np.array([0.18, 0.16, 0.06, 0.04, 0.08, 0.05, 0.2, 0.14, 0.06, 0.03])
    fresh = rng.choice(len(CHANNELS), events, p=mix)
    stick = (rng.random(events) < 0.4) & ~first
    channel = fresh.copy()
    for i in np.flatnonzero(stick):  # sequential by nature; a few seconds for millions of events
        channel[i] = channel[i - 1]
    begins = rng.integers(0, 330 * 86_400, contacts)
    gaps = rng.exponential(4 * 86_400, events).astype(np.int64)
    gaps[first] = 0
    offset = np.repeat(begins, per_contact) + np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], per_contact)
    at = START + (offset * 1_000_000).astype("timedelta64[us]")
    # Conversion: more likely after email, website and referral; less after x and tiktok.
    lift = np.array([0.2, 0.1, 0.3, -0.4, -0.3, 0.0, 0.5, 0.8, 0.3, 1.0])
    score = np.bincount(contact - 1, weights=lift[channel], minlength=contacts)
    converts = rng.random(contacts) < 1 / (1 + np.exp(-(score - 2.5)))
    last_at = at[np.cumsum(per_contact) - 1]
    buyers = np.flatnonzero(converts)
    ordered_at = last_at[buyers] + (rng.integers(60, 2 * 86_400, len(buyers)) * 1_000_000).astype("timedelta64[us]")
    engagement = rng.random(events) < 0.25
    ts = pa.timestamp("us", tz="UTC")

    def event_table(rows: np.ndarray, offset_id: int) -> pa.Table:
        moments = at[rows]
        return pa.table({
            "id": pa.array(np.arange(len(rows)) + offset_id, pa.int64()),
            "contact_id": pa.array(contact[rows], pa.int64()),
            "campaign_id": pa.nulls(len(rows), pa.int64()),
            "channel": pa.array(np.array(CHANNELS)[channel[rows]]),
            "kind": pa.array(["ad_click"] * len(rows)),
            "occurred_at": pa.array(moments, ts),
            "occurred_day": pa.array(moments.astype("datetime64[D]"), pa.date32()),
            **({"is_spam": pa.array(np.zeros(len(rows), dtype=bool))} if offset_id else {}),
        })

    price = rng.integers(5_000, 200_000, len(buyers))
    return {
        "workspace": pa.table({"id": [1], "base_currency": ["ZAR"], "timezone": ["UTC"]}),
        "campaign": pa.table({"id": pa.array([], pa.int64()), "name": pa.array([], pa.string())}),
        "currency_rate": pa.table({"id": pa.array([], pa.int64()), "currency": pa.array([], pa.string()),
                                   "valid_from": pa.array([], pa.date32()),
                                   "rate": pa.array([], pa.decimal128(20, 10))}),
        "touch": event_table(np.flatnonzero(~engagement), 0),
        "engagement": event_table(np.flatnonzero(engagement), 10 ** 9),
        "sales_order": pa.table({
            "id": pa.array(np.arange(1, len(buyers) + 1), pa.int64()),
            "contact_id": pa.array(buyers + 1, pa.int64()),
            "ordered_at": pa.array(ordered_at, ts),
            "ordered_day": pa.array(ordered_at.astype("datetime64[D]"), pa.date32()),
            "currency": pa.array(["ZAR"] * len(buyers)),
        }),
        "order_line": pa.table({
            "id": pa.array(np.arange(1, len(buyers) + 1), pa.int64()),
            "order_id": pa.array(np.arange(1, len(buyers) + 1), pa.int64()),
            "quantity": pa.array(np.ones(len(buyers), dtype=np.int64)),
            "unit_price_minor": pa.array(price, pa.int64()),
            "unit_cost_minor": pa.array(price // 2, pa.int64()),
        }),
    }


def timed(function, runs: int) -> tuple[list[float], list[float], object]:
    """Wall and CPU seconds (all threads of this process) of each run after a warm-up, and the last result."""
    result = function()
    wall, cpu = [], []
    for _ in range(runs):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        result = function()
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
    return wall, cpu, result


def peer(path: str, runs: int) -> None:
    """pandas journeys and paths from the warehouse file, then ChannelAttribution's Markov model (bench/.venv)."""
    import duckdb
    import pandas as pd
    from ChannelAttribution import markov_model

    def attribute() -> pd.DataFrame:
        con = duckdb.connect(path, read_only=True)
        events = con.sql(
            "select contact_id, channel, occurred_at as at from touch where contact_id is not null "
            "union all select contact_id, channel, occurred_at from engagement "
            "where contact_id is not null and not is_spam").to_arrow_table().to_pandas()
        orders = con.sql(
            "select o.id, o.contact_id, o.ordered_at as at from sales_order o join "
            "(select order_id, sum(quantity * unit_price_minor) as net from order_line group by order_id) l "
            "on l.order_id = o.id where l.net > 0 and o.contact_id is not null").to_arrow_table().to_pandas()
        con.close()
        events = events.sort_values(["at", "contact_id"], kind="stable")
        orders = orders.sort_values("at")
        # The next order of the same contact strictly after each event.
        joined = pd.merge_asof(events, orders.rename(columns={"at": "order_at"}), left_on="at", right_on="order_at",
                               by="contact_id", direction="forward", allow_exact_matches=False)
        joined["journey"] = joined["id"].fillna(-joined["contact_id"])
        joined["end"] = joined["order_at"].fillna(joined.groupby("journey")["at"].transform("max"))
        joined = joined[joined["at"] >= joined["end"] - pd.Timedelta(days=LOOKBACK_DAYS)]
        joined = joined.sort_values(["journey", "at"], kind="stable")
        journeys = joined.groupby("journey", sort=False).agg(path=("channel", ">".join), converted=("id", "count"))
        journeys["converted"] = (journeys["converted"] > 0).astype(int)
        paths = journeys.groupby("path").agg(total_conversions=("converted", "sum"), total=("converted", "size"))
        paths["total_null"] = paths["total"] - paths["total_conversions"]
        paths = paths.reset_index()
        result = markov_model(paths, "path", "total_conversions", var_null="total_null", order=1, sep=">",
                              verbose=False, flg_pro=False)
        return result

    wall, cpu, result = timed(attribute, runs)
    credits = dict(zip(result["channel_name"], result["total_conversions"]))
    print(json.dumps({"wall": wall, "cpu": cpu, "credits": credits}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        peer(args.peer, args.runs)
        return
    with tempfile.TemporaryDirectory(prefix="accord-bench-attribution-") as folder:
        compare(Path(folder) / "warehouse.duckdb", args.contacts, args.runs)


def compare(path: Path, contacts: int, runs: int) -> None:
    """Write the warehouse, time Accord here and the peer in bench/.venv, and print both."""
    import ibis

    from accord.reviews.attribution import AttributionQuery, attribute, attribute_markov

    load_before = os.getloadavg()[0]  # the load at the end counts this benchmark's own work too
    started = time.perf_counter()
    tables = generate(contacts)
    con = ibis.duckdb.connect(path)
    for name, table in tables.items():
        con.create_table(name, table)
    event_rows = tables["touch"].num_rows + tables["engagement"].num_rows
    print(f"warehouse: {contacts:,} contacts, {event_rows:,} events, {tables['sales_order'].num_rows:,} orders "
          f"written in {time.perf_counter() - started:.1f} s")
    query = AttributionQuery(lookback_days=LOOKBACK_DAYS)

    markov_wall, markov_cpu, alone = timed(lambda: attribute_markov(con, query), runs)
    review_wall, review_cpu, review = timed(lambda: attribute(con, query), runs)
    con.disconnect()
    accord_credits = dict(zip(alone.labels, alone.credits[:, 0].tolist()))
    if accord_credits != {c.label: c.conversions["markov"] for c in review.credits}:
        raise SystemExit("attribute_markov and the review's Markov credits differ")
    print(f"journeys: {alone.journeys:,}, converting {int(alone.totals[0]):,}; "
          "Markov alone gives exactly the review's Markov credits")

    if not BENCH_PYTHON.exists():
        raise SystemExit(f"the peer needs {BENCH_PYTHON}: python3 -m venv bench/.venv && bench/.venv/bin/pip install "
                         "ChannelAttribution matplotlib pandas duckdb pyarrow")
    child = subprocess.run([str(BENCH_PYTHON), __file__, "--peer", str(path), "--runs", str(runs)],
                           capture_output=True, text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    answer = json.loads(child.stdout.strip().splitlines()[-1])
    peer_wall, peer_cpu, peer_credits = answer["wall"], answer["cpu"], answer["credits"]

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {runs} runs after a warm-up; seconds, median (best)")
    figures = {
        "accord Markov (moves counted in the engine + exact solve)": (markov_wall, markov_cpu),
        "accord review (all eight models)": (review_wall, review_cpu),
        "peer pandas + ChannelAttribution Markov": (peer_wall, peer_cpu),
    }
    for name, (wall, cpu) in figures.items():
        print(f"{name:<56} wall {statistics.median(wall):6.2f} ({min(wall):.2f})   "
              f"CPU {statistics.median(cpu):6.2f} ({min(cpu):.2f})")
    peer_median = statistics.median(peer_wall)
    print(f"peer / accord, wall: Markov {peer_median / statistics.median(markov_wall):.1f}x, "
          f"review {peer_median / statistics.median(review_wall):.1f}x")
    worst = max(abs(accord_credits[c] - peer_credits.get(c, 0.0)) for c in accord_credits)
    total = sum(accord_credits.values())
    print(f"largest difference in a channel's Markov credit (exact vs simulated): {worst:,.1f} conversions "
          f"of {total:,.0f} ({worst / total:.3%})")
    for channel in sorted(accord_credits):
        theirs = peer_credits.get(channel, 0.0)
        print(f"  {channel:<10} accord {accord_credits[channel]:>12,.1f}   peer {theirs:>12,.1f}")


if __name__ == "__main__":
    sys.exit(main())
